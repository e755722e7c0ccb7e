package main

import (
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// result is what one scenario measured.
type result struct {
	errors   int // transport errors and unexpected statuses
	elapsed  time.Duration
	latency  []time.Duration // of the requests counted as ok, sorted
	statuses map[int]int
}

func (r result) rps() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(len(r.latency)) / r.elapsed.Seconds()
}

// quantile returns the q-quantile of the ok requests' latency.
func (r result) quantile(q float64) time.Duration {
	if len(r.latency) == 0 {
		return 0
	}
	return r.latency[min(int(q*float64(len(r.latency))), len(r.latency)-1)]
}

// merge adds the measurements of o (another slice of the same scenario).
func (r *result) merge(o result) {
	r.errors += o.errors
	r.elapsed += o.elapsed
	r.latency = append(r.latency, o.latency...)
	slices.Sort(r.latency)
	if r.statuses == nil {
		r.statuses = map[int]int{}
	}
	for s, n := range o.statuses {
		r.statuses[s] += n
	}
}

// interleave measures a baseline and a scenario in alternating slices
// (ABBA, four times) of d/8 each, so that a drift in the machine's speed
// (a VM's neighbours, the CPU's clock) falls on both alike. It returns both
// sides' merged results and, for each pair of neighbouring slices, the
// scenario's throughput as a ratio to the baseline's.
func interleave(d time.Duration, base, scenario func(time.Duration) result) (b, s result, ratios []float64) {
	const n = 8
	slice := d / n
	for i := range n {
		var bi, si result
		if i%2 == 0 {
			bi = base(slice)
			si = scenario(slice)
		} else {
			si = scenario(slice)
			bi = base(slice)
		}
		b.merge(bi)
		s.merge(si)
		if bi.rps() > 0 {
			ratios = append(ratios, si.rps()/bi.rps())
		}
	}
	return b, s, ratios
}

// median returns the middle of xs (the mean of the two middle ones for an
// even count), or 0 for none. Unlike a ratio of totals, it does not move
// when a burst of the VM's steal time falls on one slice: the pair it hit
// lands at an end of the range, and the median ignores it.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// request is one request of a scenario: it returns the status.
type request func(ctx context.Context, c *http.Client, worker int) (int, error)

// load runs workers closed loops of req for d (a worker sends its next
// request when the previous answer has arrived), counting as ok the
// statuses accepted by ok. Requests in flight at the end are waited for
// and counted, and the elapsed time runs until the last answer, so that
// no work the server did falls outside the measurement (a login cut off
// mid-hash would still hold a hashing slot into the next scenario).
func load(ctx context.Context, c *http.Client, workers int, d time.Duration, req request, ok func(int) bool) result {
	var (
		mu  sync.Mutex
		res = result{statuses: map[int]int{}}
		wg  sync.WaitGroup
	)
	start := time.Now()
	stop := start.Add(d)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			statuses, errs := map[int]int{}, 0
			for time.Now().Before(stop) && ctx.Err() == nil {
				t0 := time.Now()
				status, err := req(ctx, c, w)
				statuses[status]++
				if err != nil || !ok(status) {
					errs++
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			defer mu.Unlock()
			res.latency = append(res.latency, lat...)
			res.errors += errs
			for s, k := range statuses {
				res.statuses[s] += k
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	slices.Sort(res.latency)
	return res
}

// send performs one request and drains the answer so the connection is
// reused.
func send(c *http.Client, r *http.Request) (int, error) {
	res, err := c.Do(r)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

func is(codes ...int) func(int) bool {
	return func(s int) bool { return slices.Contains(codes, s) }
}

func newClient(workers int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        workers * 4,
			MaxIdleConnsPerHost: workers * 4,
			IdleConnTimeout:     time.Minute,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
