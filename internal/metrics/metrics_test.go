package metrics_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/metrics"
	"github.com/latchkey/latchkey/internal/metrics/metricstest"
	"github.com/latchkey/latchkey/internal/outbox"
	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/store"
)

// serve returns the URL of m's /metrics on a test server.
func serve(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler(slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	return srv.URL + "/metrics"
}

func TestOnlyMetricsIsServed(t *testing.T) {
	h := metrics.New().Handler(slog.New(slog.DiscardHandler))
	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/metrics", 200},
		{"HEAD", "/metrics", 200},
		{"POST", "/metrics", 405},
		{"GET", "/", 404},
		{"GET", "/healthz", 404},
		{"GET", "/metrics/x", 404},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if rec.Code != tt.status {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.path, rec.Code, tt.status)
		}
	}
}

// TestStandardSeries: the Go runtime's and the process's series are there
// from the start, and so are the usual results of the flows, at zero.
func TestStandardSeries(t *testing.T) {
	s := metricstest.Get(t, serve(t, metrics.New()))
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "go_gc_duration_seconds", "process_cpu_seconds_total", "process_resident_memory_bytes"} {
		if s[name] == nil {
			t.Errorf("%s is missing", name)
		}
	}
	for _, c := range []struct{ name, result string }{
		{"latchkey_logins_total", "ok"},
		{"latchkey_logins_total", "invalid_credentials"},
		{"latchkey_registrations_total", "ok"},
		{"latchkey_refreshes_total", "invalid_grant"},
		{"latchkey_mail_attempts_total", "given_up"},
	} {
		if v := s.Value(t, c.name, "result", c.result); v != 0 {
			t.Errorf("%s{result=%q} = %v at start, want 0", c.name, c.result, v)
		}
	}
	if v := s.Value(t, "latchkey_refresh_token_reuse_total"); v != 0 {
		t.Errorf("reuse = %v at start", v)
	}
}

func TestFlowCounters(t *testing.T) {
	m := metrics.New()
	m.Login(nil)
	m.Login(nil)
	m.Login(&auth.Error{Code: auth.CodeInvalidCredentials})
	m.Login(fmt.Errorf("rate: %w", &auth.Error{Code: auth.CodeTooManyAttempts}))
	m.Login(errors.New("disk on fire"))
	m.Registration(auth.ErrEmailTaken)
	m.Refresh(nil)
	m.Refresh(auth.ErrInvalidGrant)
	m.RefreshReused()
	m.MailAttempted(outbox.ResultSent)
	m.MailAttempted(outbox.ResultFailed)
	m.MailAttempted(outbox.ResultFailed)

	s := metricstest.Get(t, serve(t, m))
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"latchkey_logins_total", []string{"result", "ok"}, 2},
		{"latchkey_logins_total", []string{"result", "invalid_credentials"}, 1},
		{"latchkey_logins_total", []string{"result", "too_many_attempts"}, 1},
		{"latchkey_logins_total", []string{"result", "internal"}, 1},
		{"latchkey_registrations_total", []string{"result", "email_taken"}, 1},
		{"latchkey_registrations_total", []string{"result", "ok"}, 0},
		{"latchkey_refreshes_total", []string{"result", "ok"}, 1},
		{"latchkey_refreshes_total", []string{"result", "invalid_grant"}, 1},
		{"latchkey_refresh_token_reuse_total", nil, 1},
		{"latchkey_mail_attempts_total", []string{"result", "sent"}, 1},
		{"latchkey_mail_attempts_total", []string{"result", "failed"}, 2},
		{"latchkey_mail_attempts_total", []string{"result", "dropped"}, 0},
	} {
		if got := s.Value(t, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
		if typ := s.Type(c.name); typ != "counter" {
			t.Errorf("%s is a %s, want a counter", c.name, typ)
		}
	}
}

// TestRequestSeries: requests are counted and timed by route pattern and
// status class, with the histogram's buckets; an unmatched request shares
// one series whatever its path.
func TestRequestSeries(t *testing.T) {
	m := metrics.New()
	m.ObserveRequest("GET /api/users/{id}", 200, 3*time.Millisecond)
	m.ObserveRequest("GET /api/users/{id}", 404, time.Millisecond)
	m.ObserveRequest("GET /api/users/{id}", 404, 2*time.Second)
	m.ObserveRequest("POST /api/token", 503, time.Second)
	m.ObserveRequest("", 404, time.Microsecond)
	m.ObserveRequest("", 405, time.Microsecond)
	m.ObserveRequest("GET /x", 999, 0)

	s := metricstest.Get(t, serve(t, m))
	const name = "latchkey_http_request_duration_seconds"
	if typ := s.Type(name); typ != "histogram" {
		t.Fatalf("%s is a %q, want a histogram", name, typ)
	}
	for _, c := range []struct {
		route, status string
		count         float64
	}{
		{"GET /api/users/{id}", "2xx", 1},
		{"GET /api/users/{id}", "4xx", 2},
		{"POST /api/token", "5xx", 1},
		{"unmatched", "4xx", 2},
		{"GET /x", "other", 1},
	} {
		if got := s.Value(t, name, "route", c.route, "status", c.status); got != c.count {
			t.Errorf("%s{route=%q,status=%q} count %v, want %v", name, c.route, c.status, got, c.count)
		}
	}
	if n := len(s.Series(name)); n != 5 {
		t.Errorf("%d series, want 5", n)
	}

	// The buckets: the one slow 404 is above 1s and within 2s.
	h := s.Series(name, "route", "GET /api/users/{id}", "status", "4xx")[0].GetHistogram()
	bounds := map[float64]uint64{}
	for _, b := range h.GetBucket() {
		bounds[b.GetUpperBound()] = b.GetCumulativeCount()
	}
	for bound, want := range map[float64]uint64{0.001: 1, 0.025: 1, 1: 1, 2: 2, 10: 2} {
		got, ok := bounds[bound]
		if !ok {
			t.Errorf("no bucket le=%v; buckets %v", bound, bounds)
			continue
		}
		if got != want {
			t.Errorf("bucket le=%v holds %d, want %d", bound, got, want)
		}
	}
	if got, want := h.GetSampleSum(), 2.001; got < want-1e-9 || got > want+1e-9 {
		t.Errorf("sum %v, want %v", got, want)
	}
}

// TestConcurrentRoutes: series first seen by many goroutines at once are
// each made once, and lose no request (run with -race).
func TestConcurrentRoutes(t *testing.T) {
	m := metrics.New()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				m.ObserveRequest(fmt.Sprintf("GET /r%d", (i+g)%20), 200+100*(i%3), time.Millisecond)
			}
		})
	}
	wg.Wait()
	s := metricstest.Get(t, serve(t, m))
	total := 0.0
	for _, sr := range s.Series("latchkey_http_request_duration_seconds") {
		total += float64(sr.GetHistogram().GetSampleCount())
	}
	if total != 8*200 {
		t.Fatalf("%v requests counted, want %d", total, 8*200)
	}
}

func TestWatchHashing(t *testing.T) {
	m := metrics.New()
	stats := password.PoolStats{Slots: 4, Busy: 3, Waiting: 2, Refused: 7}
	m.WatchHashing(func() password.PoolStats { return stats })
	s := metricstest.Get(t, serve(t, m))
	for name, want := range map[string]float64{
		"latchkey_hash_pool_slots": 4, "latchkey_hash_pool_busy": 3,
		"latchkey_hash_pool_waiting": 2, "latchkey_hash_pool_refused_total": 7,
	} {
		if got := s.Value(t, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if typ := s.Type("latchkey_hash_pool_refused_total"); typ != "counter" {
		t.Errorf("refused is a %s", typ)
	}
}

func TestWatchDatabase(t *testing.T) {
	m := metrics.New()
	m.WatchDatabase(func() []store.Pool {
		return []store.Pool{
			{Name: "write", Stats: sql.DBStats{MaxOpenConnections: 1, OpenConnections: 1, InUse: 1, WaitCount: 5, WaitDuration: 1500 * time.Millisecond}},
			{Name: "read", Stats: sql.DBStats{MaxOpenConnections: 4, OpenConnections: 3, Idle: 3}},
		}
	})
	s := metricstest.Get(t, serve(t, m))
	for _, c := range []struct {
		name, pool string
		want       float64
	}{
		{"go_sql_max_open_connections", "write", 1},
		{"go_sql_in_use_connections", "write", 1},
		{"go_sql_wait_count_total", "write", 5},
		{"go_sql_wait_duration_seconds_total", "write", 1.5},
		{"go_sql_max_open_connections", "read", 4},
		{"go_sql_idle_connections", "read", 3},
		{"go_sql_wait_count_total", "read", 0},
	} {
		if got := s.Value(t, c.name, "db_name", c.pool); got != c.want {
			t.Errorf("%s{db_name=%q} = %v, want %v", c.name, c.pool, got, c.want)
		}
	}
}

// TestWatchGroupCommit: SQLite's counts are shown as counters; a store
// without group commit (PostgreSQL) has no such series.
func TestWatchGroupCommit(t *testing.T) {
	m := metrics.New()
	m.WatchGroupCommit(func() (store.GroupCommits, bool) { return store.GroupCommits{Commits: 3, Writes: 29}, true })
	s := metricstest.Get(t, serve(t, m))
	for name, want := range map[string]float64{"latchkey_db_group_commits_total": 3, "latchkey_db_group_commit_writes_total": 29} {
		if got := s.Value(t, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
		if typ := s.Type(name); typ != "counter" {
			t.Errorf("%s is a %s", name, typ)
		}
	}

	m = metrics.New()
	m.WatchGroupCommit(func() (store.GroupCommits, bool) { return store.GroupCommits{}, false })
	s = metricstest.Get(t, serve(t, m))
	if got := s.Series("latchkey_db_group_commits_total"); len(got) != 0 {
		t.Errorf("a store without group commit shows %d series", len(got))
	}
}

func TestWatchMail(t *testing.T) {
	var (
		mu      sync.Mutex
		backlog outbox.Backlog
		fail    error
	)
	set := func(b outbox.Backlog, err error) {
		mu.Lock()
		defer mu.Unlock()
		backlog, fail = b, err
	}
	m := metrics.New()
	m.WatchMail(func(ctx context.Context) (outbox.Backlog, error) {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("the backlog is read without a deadline")
		}
		mu.Lock()
		defer mu.Unlock()
		return backlog, fail
	})
	var logs strings.Builder
	var logMu sync.Mutex
	srv := httptest.NewServer(m.Handler(slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logs}, nil))))
	t.Cleanup(srv.Close)
	url := srv.URL + "/metrics"

	s := metricstest.Get(t, url)
	if p, age := s.Value(t, "latchkey_mail_pending"), s.Value(t, "latchkey_mail_oldest_pending_seconds"); p != 0 || age != 0 {
		t.Errorf("empty outbox: pending %v, oldest %vs", p, age)
	}

	set(outbox.Backlog{Pending: 3, Oldest: time.Now().Add(-90 * time.Second)}, nil)
	s = metricstest.Get(t, url)
	if p := s.Value(t, "latchkey_mail_pending"); p != 3 {
		t.Errorf("pending %v, want 3", p)
	}
	if age := s.Value(t, "latchkey_mail_oldest_pending_seconds"); age < 90 || age > 120 {
		t.Errorf("oldest %vs, want about 90s", age)
	}

	// A database that fails costs the two series, not the scrape.
	set(outbox.Backlog{}, errors.New("database is away"))
	s = metricstest.Get(t, url)
	if s["latchkey_mail_pending"] != nil || s["latchkey_mail_oldest_pending_seconds"] != nil {
		t.Error("the backlog's series are shown though it could not be read")
	}
	if s["latchkey_logins_total"] == nil || s["go_goroutines"] == nil {
		t.Error("the other series are missing after the backlog failed")
	}
	logMu.Lock()
	defer logMu.Unlock()
	if !strings.Contains(logs.String(), "database is away") {
		t.Errorf("the failure is not logged: %q", logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// TestHandlerIsFresh: two registries do not share series, so that tests
// (and servers) in one process do not see each other's counts.
func TestHandlerIsFresh(t *testing.T) {
	a, b := metrics.New(), metrics.New()
	a.Login(nil)
	if got := metricstest.Get(t, serve(t, b)).Value(t, "latchkey_logins_total", "result", "ok"); got != 0 {
		t.Fatalf("a second registry counts the first one's login: %v", got)
	}
}
