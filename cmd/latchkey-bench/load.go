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
	requests int
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

// request is one request of a scenario: it returns the status.
type request func(ctx context.Context, c *http.Client, worker, n int) (int, error)

// load runs workers closed loops of req for d (a worker sends its next
// request when the previous answer has arrived), counting as ok the
// statuses accepted by ok.
func load(ctx context.Context, c *http.Client, workers int, d time.Duration, req request, ok func(int) bool) result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu  sync.Mutex
		res = result{statuses: map[int]int{}}
		wg  sync.WaitGroup
	)
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			statuses, errs, n := map[int]int{}, 0, 0
			for ctx.Err() == nil {
				t0 := time.Now()
				status, err := req(ctx, c, w, n)
				n++
				if ctx.Err() != nil {
					break // cut off by the deadline: not a measurement
				}
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
				res.requests += k
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
