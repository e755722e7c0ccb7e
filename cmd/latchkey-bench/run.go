package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/store"
	"golang.org/x/crypto/argon2"
)

const benchPassword = "correct horse battery staple"

// row is one line of the table.
type row struct {
	scenario string
	res      result
	rate     float64 // for a baseline measured without requests (argon2id): its rate
	rss      int64
	ratio    float64 // to the baseline, or 0 when there is none
	baseline string
	budget   string
	ok       bool
}

func run(ctx context.Context, o options, out io.Writer) (bool, error) {
	dir, err := os.MkdirTemp("", "latchkey-bench-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dir)
	bin, err := build(ctx, dir, o.bin)
	if err != nil {
		return false, err
	}
	db := "sqlite:" + filepath.Join(dir, "latchkey.db")
	if err := seed(ctx, db, o.users); err != nil {
		return false, err
	}
	srv, err := start(ctx, bin, dir, []string{
		"LATCHKEY_DATABASE_URL=" + db,
		"LATCHKEY_RATE_LIMIT_PER_IP=0", // one load generator is one IP
	})
	if err != nil {
		return false, err
	}
	defer srv.stop()

	pool := runtime.NumCPU() // LATCHKEY_HASH_CONCURRENCY's default
	c := newClient(o.workers * 4)
	tokens, err := logins(ctx, c, srv.url, min(o.workers*4, o.users))
	if err != nil {
		return false, err
	}
	meBody, err := fetch(c, srv.url+"/api/users/me", tokens[0].AccessToken, nil)
	if err != nil {
		return false, err
	}
	cookie, err := browserLogin(c, srv.url)
	if err != nil {
		return false, err
	}
	pageBody, err := fetch(c, srv.url+"/account", "", cookie)
	if err != nil {
		return false, err
	}

	var rows []row
	me := func(base string) request {
		return func(ctx context.Context, c *http.Client, w, n int) (int, error) {
			r, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/users/me", nil)
			r.Header.Set("Authorization", "Bearer "+tokens[w%len(tokens)].AccessToken)
			return send(c, r)
		}
	}
	bareMe := bare(meBody, "application/json")
	defer bareMe.Close()
	baseMe := load(ctx, c, o.workers, o.duration, me(bareMe.URL), is(200))
	rows = append(rows, row{scenario: "baseline: bare handler, /me bytes", res: baseMe, ok: true})
	meRes := load(ctx, c, o.workers, o.duration, me(srv.url), is(200))
	rows = append(rows, ratioRow("GET /api/users/me (bearer)", meRes, srv, meRes.rps(), baseMe.rps(), "bare handler", 0.5))

	refresh := make([]string, len(tokens))
	for i, t := range tokens {
		refresh[i] = t.RefreshToken
	}
	var refreshMu sync.Mutex
	refreshRes := load(ctx, c, o.workers, o.duration, func(ctx context.Context, c *http.Client, w, n int) (int, error) {
		refreshMu.Lock()
		rt := refresh[w%len(refresh)]
		refreshMu.Unlock()
		status, p, err := tokenRequest(ctx, c, srv.url, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
		if status == 200 {
			refreshMu.Lock()
			refresh[w%len(refresh)] = p.RefreshToken
			refreshMu.Unlock()
		}
		return status, err
	}, is(200))
	rows = append(rows, row{scenario: "token refresh", res: refreshRes, rss: srv.peakRSS(), ok: refreshRes.errors == 0})

	raw := argon2Rate(o.duration, pool)
	rows = append(rows, row{scenario: fmt.Sprintf("baseline: raw argon2id, %d cores", pool), rate: raw, ok: true})
	var userN atomic.Int64
	loginRes := load(ctx, c, pool*2, o.duration, func(ctx context.Context, c *http.Client, w, n int) (int, error) {
		i := userN.Add(1) % int64(o.users)
		status, _, err := tokenRequest(ctx, c, srv.url, url.Values{"username": {fmt.Sprintf("user%d", i)}, "password": {benchPassword}})
		return status, err
	}, is(200))
	rows = append(rows, ratioRow("login (password grant)", loginRes, srv, loginRes.rps(), raw, "raw argon2id", 0.9))

	registerRes := load(ctx, c, pool*2, o.duration, func(ctx context.Context, c *http.Client, w, n int) (int, error) {
		name := "new" + strings.ReplaceAll(uuid.NewString(), "-", "")[:20]
		r, _ := http.NewRequestWithContext(ctx, "POST", srv.url+"/api/users", strings.NewReader(
			`{"username":"`+name+`","email":"`+name+`@example.com","password":"`+benchPassword+`"}`))
		r.Header.Set("Content-Type", "application/json")
		return send(c, r)
	}, is(201))
	rows = append(rows, ratioRow("registration", registerRes, srv, registerRes.rps(), raw, "raw argon2id", 0.9))

	page := func(base string) request {
		return func(ctx context.Context, c *http.Client, w, n int) (int, error) {
			r, _ := http.NewRequestWithContext(ctx, "GET", base+"/account", nil)
			r.AddCookie(cookie)
			return send(c, r)
		}
	}
	barePage := bare(pageBody, "text/html; charset=utf-8")
	defer barePage.Close()
	basePage := load(ctx, c, o.workers, o.duration, page(barePage.URL), is(200))
	rows = append(rows, row{scenario: "baseline: bare handler, /account bytes", res: basePage, ok: true})
	pageRes := load(ctx, c, o.workers, o.duration, page(srv.url), is(200))
	rows = append(rows, ratioRow("GET /account (cookie session)", pageRes, srv, pageRes.rps(), basePage.rps(), "bare handler", 0.3))

	rows = append(rows, flood(ctx, c, srv, o, pool, me(srv.url))...)

	print(out, rows, o)
	allOK := true
	for _, r := range rows {
		allOK = allOK && r.ok
	}
	return allOK, nil
}

func ratioRow(name string, r result, srv *server, got, base float64, baseName string, budget float64) row {
	ratio := 0.0
	if base > 0 {
		ratio = got / base
	}
	return row{scenario: name, res: r, rss: srv.peakRSS(), ratio: ratio, baseline: baseName,
		budget: fmt.Sprintf("≥ %.0f %%", budget*100), ok: ratio >= budget && r.errors == 0}
}

// flood sends 4× more concurrent logins than the hashing pool serves while
// /me keeps being measured: /me's p99 must stay within 3× of its unloaded
// p99, admitted logins' p99 under 2 s, and the server's memory under
// pool × m + 100 MiB.
func flood(ctx context.Context, c *http.Client, srv *server, o options, pool int, me request) []row {
	meWorkers := 2
	quiet := load(ctx, c, meWorkers, o.duration, me, is(200))
	var (
		wg          sync.WaitGroup
		logins      result
		loadedMe    result
		admittedLat []time.Duration
		mu          sync.Mutex
	)
	var userN atomic.Int64
	wg.Add(2)
	go func() {
		defer wg.Done()
		logins = load(ctx, c, pool*4, o.duration, func(ctx context.Context, c *http.Client, w, n int) (int, error) {
			i := userN.Add(1) % int64(o.users)
			t0 := time.Now()
			status, _, err := tokenRequest(ctx, c, srv.url, url.Values{"username": {fmt.Sprintf("user%d", i)}, "password": {benchPassword}})
			if status == http.StatusOK && ctx.Err() == nil {
				mu.Lock()
				admittedLat = append(admittedLat, time.Since(t0))
				mu.Unlock()
			}
			return status, err
		}, is(200, 503))
	}()
	go func() {
		defer wg.Done()
		time.Sleep(o.duration / 10) // let the flood build up first
		loadedMe = load(ctx, c, meWorkers, o.duration*8/10, me, is(200))
	}()
	wg.Wait()
	// logins.latency holds admitted and refused answers; split them.
	admitted := logins.statuses[200]
	m := int64(password.DefaultParams().MemoryKiB) * 1024
	limit := int64(pool)*m + 100<<20
	rss := srv.peakRSS()
	p99quiet, p99loaded := quiet.quantile(0.99), loadedMe.quantile(0.99)
	ratio := float64(p99loaded) / float64(max(p99quiet, 1))
	rows := []row{
		{scenario: "flood: /me unloaded (2 clients)", res: quiet, ok: quiet.errors == 0},
		{scenario: fmt.Sprintf("flood: /me during %d concurrent logins", pool*4), res: loadedMe, rss: rss, ratio: ratio,
			baseline: "unloaded /me p99", budget: "p99 ≤ 3×", ok: ratio <= 3 && loadedMe.errors == 0},
	}
	slices.Sort(admittedLat)
	loginP99 := result{latency: admittedLat}.quantile(0.99)
	rows = append(rows, row{scenario: fmt.Sprintf("flood: logins (%d admitted, %d refused 503)", admitted, logins.statuses[503]),
		res: logins, rss: rss, budget: fmt.Sprintf("admitted p99 < 2 s (%s); RSS ≤ %d MiB", loginP99.Round(time.Millisecond), limit>>20),
		ok: loginP99 < 2*time.Second && rss <= limit && logins.errors == 0})
	return rows
}

// argon2Rate is how many argon2id hashes a second the cores compute, at
// the default parameters, with one goroutine per core.
func argon2Rate(d time.Duration, cores int) float64 {
	p := password.DefaultParams()
	var n atomic.Int64
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for range cores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			salt := make([]byte, 16)
			for time.Now().Before(stop) {
				argon2.IDKey([]byte(benchPassword), salt, p.Time, p.MemoryKiB, p.Threads, 32)
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / d.Seconds()
}

// seed creates users user0…userN-1 through the store, with one hash made
// once at the default parameters (hashing a million passwords would take
// hours; verifying them is what the benchmark measures).
func seed(ctx context.Context, db string, n int) error {
	st, err := store.Open(ctx, db)
	if err != nil {
		return err
	}
	defer st.Close()
	hash, err := password.Hash(benchPassword, password.DefaultParams())
	if err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	for start := 0; start < n; start += 10000 {
		batch := make([]*auth.User, 0, 10000)
		for i := start; i < min(start+10000, n); i++ {
			batch = append(batch, &auth.User{ID: uuid.Must(uuid.NewV7()).String(), Username: fmt.Sprintf("user%d", i),
				Email: fmt.Sprintf("user%d@example.com", i), PasswordHash: hash, Role: auth.RoleUser, CreatedAt: now, UpdatedAt: now})
		}
		if err := st.ImportUsers(ctx, batch); err != nil {
			return err
		}
	}
	return nil
}

type tokenPair struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

func tokenRequest(ctx context.Context, c *http.Client, base string, form url.Values) (int, tokenPair, error) {
	r, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.Do(r)
	if err != nil {
		return 0, tokenPair{}, err
	}
	defer res.Body.Close()
	var p tokenPair
	json.NewDecoder(res.Body).Decode(&p)
	io.Copy(io.Discard, res.Body)
	return res.StatusCode, p, nil
}

// logins gets token pairs for the first n seeded users.
func logins(ctx context.Context, c *http.Client, base string, n int) ([]tokenPair, error) {
	pairs := make([]tokenPair, 0, n)
	for i := range n {
		status, p, err := tokenRequest(ctx, c, base, url.Values{"username": {fmt.Sprintf("user%d", i)}, "password": {benchPassword}})
		if err != nil || status != 200 {
			return nil, fmt.Errorf("log in user%d: %d %v", i, status, err)
		}
		pairs = append(pairs, p)
	}
	return pairs, nil
}

func browserLogin(c *http.Client, base string) (*http.Cookie, error) {
	res, err := c.PostForm(base+"/login", url.Values{"identifier": {"user0"}, "password": {benchPassword}})
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	for _, ck := range res.Cookies() {
		if ck.Name == "latchkey_session" {
			return ck, nil
		}
	}
	return nil, fmt.Errorf("browser login: %d, no session cookie", res.StatusCode)
}

func fetch(c *http.Client, u, bearer string, cookie *http.Cookie) ([]byte, error) {
	r, _ := http.NewRequest("GET", u, nil)
	if bearer != "" {
		r.Header.Set("Authorization", "Bearer "+bearer)
	}
	if cookie != nil {
		r.AddCookie(cookie)
	}
	res, err := c.Do(r)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode != 200 {
		err = fmt.Errorf("GET %s: %d", u, res.StatusCode)
	}
	return b, err
}

// bare is the baseline: a net/http server writing the same bytes.
func bare(body []byte, contentType string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Write(body)
	}))
}

func print(out io.Writer, rows []row, o options) {
	host, _ := os.Hostname()
	fmt.Fprintf(out, "latchkey-bench: %d users, %d clients, %s per scenario, %d CPUs (%s, %s)\n\n",
		o.users, o.workers, o.duration, runtime.NumCPU(), cpuModel(), host)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\treq/s\tp50\tp99\terrors\tpeak RSS\tratio\tbudget\t")
	for _, r := range rows {
		ratio, rss, verdict := "", "", ""
		if r.ratio > 0 {
			ratio = fmt.Sprintf("%.2f × %s", r.ratio, r.baseline)
		}
		if r.rss > 0 {
			rss = fmt.Sprintf("%d MiB", r.rss>>20)
		}
		if r.budget != "" {
			verdict = r.budget + map[bool]string{true: " ok", false: " MISSED"}[r.ok]
		}
		rate, p50, p99 := r.res.rps(), "", ""
		if r.rate > 0 {
			rate = r.rate
		} else {
			p50, p99 = r.res.quantile(0.5).Round(10*time.Microsecond).String(), r.res.quantile(0.99).Round(10*time.Microsecond).String()
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%d\t%s\t%s\t%s\t\n", r.scenario, rate, p50, p99, r.res.errors, rss, ratio, verdict)
	}
	tw.Flush()
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return runtime.GOARCH
}
