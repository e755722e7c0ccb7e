package main

import (
	"context"
	"crypto/rand"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/metrics/metricstest"
	"github.com/latchkey/latchkey/internal/store/pgtest"
)

// startWithMetrics runs the real program with LATCHKEY_METRICS_ADDR on
// any free port, and returns the server's base URL, the metrics' URL and
// a function that stops it and returns run's error.
func startWithMetrics(t *testing.T, getenv func(string) string) (base, metricsURL string, stop func() error) {
	t.Helper()
	env := func(k string) string {
		if k == "LATCHKEY_METRICS_ADDR" {
			return "127.0.0.1:0"
		}
		return getenv(k)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncBuffer{}
	addr, maddr, done := make(chan string, 1), make(chan string, 1), make(chan error, 1)
	e := &environment{getenv: env, stdin: strings.NewReader(""), stdout: io.Discard, stderr: stderr,
		listening: func(a string) { addr <- a }, metricsListening: func(a string) { maddr <- a }}
	go func() { done <- e.run(ctx, []string{"latchkey"}) }()
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		cancel()
		t.Fatalf("run returned before listening: %v\n%s", err, stderr.String())
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("server did not start:\n%s", stderr.String())
	}
	select {
	case a := <-maddr: // told before the server's address
		metricsURL = "http://" + a + "/metrics"
	default:
		cancel()
		t.Fatalf("the metrics' address was not told before the server's:\n%s", stderr.String())
	}
	stop = sync.OnceValue(func() error { cancel(); return <-done })
	t.Cleanup(func() { stop() })
	waitHealthy(t, base)
	return base, metricsURL, stop
}

func get(t *testing.T, url string) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// TestMetrics runs the real program with its metrics listener, on both
// databases, and reads a scrape with the Prometheus text parser: the
// requests are there by route pattern (a path's ids never become labels),
// and so are the hashing pool, the database pools, SQLite's group commit,
// the outbox and the Go runtime. The public address has no /metrics, and the metrics listener
// stops with the server.
func TestMetrics(t *testing.T) {
	for _, tt := range []struct {
		name  string
		env   []string
		pools []string
	}{
		{"sqlite", nil, []string{"write", "read"}},
		{"postgres", []string{"LATCHKEY_DATABASE_URL", pgtest.URL(t)}, []string{"read_write"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base, metricsURL, stop := startWithMetrics(t, testEnv(t, append(tt.env, "LATCHKEY_HASH_CONCURRENCY", "3")...))
			if got := get(t, base+"/metrics"); got != http.StatusNotFound {
				t.Fatalf("GET /metrics on the public address: %d, want 404", got)
			}

			register(t, base, "alice") // queues the verification mail
			code, tokens := tokenRequest(t, base, neturl.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {testPassword}})
			if code != http.StatusOK {
				t.Fatalf("login: %d", code)
			}
			loggedIn := time.Now()
			if code, _ := tokenRequest(t, base, neturl.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"not it"}}); code != http.StatusBadRequest {
				t.Fatalf("login with a wrong password: %d", code)
			}
			const lookups = 5
			var ids []string // in the paths asked for; never in a label
			for range lookups {
				id := rand.Text()
				ids = append(ids, id)
				if got := get(t, base+"/api/users/"+id); got != http.StatusNotFound {
					t.Fatalf("an unknown user: %d", got)
				}
			}
			for range 3 {
				id := rand.Text()
				ids = append(ids, id)
				get(t, base+"/no/such/page/"+id)
			}

			// A refresh, once the session's refresh budget allows one, goes
			// through SQLite's group commit.
			time.Sleep(time.Until(loggedIn.Add(auth.RefreshMinInterval)))
			if code, _ := tokenRequest(t, base, neturl.Values{"grant_type": {"refresh_token"}, "refresh_token": {tokens.RefreshToken}}); code != http.StatusOK {
				t.Fatalf("refresh: %d", code)
			}

			s := metricstest.Get(t, metricsURL)
			const requests = "latchkey_http_request_duration_seconds"
			if typ := s.Type(requests); typ != "histogram" {
				t.Fatalf("%s is a %q, want a histogram", requests, typ)
			}
			if got := s.Value(t, requests, "route", "GET /api/users/{id}", "status", "4xx"); got != lookups {
				t.Errorf("GET /api/users/{id} 4xx: %v requests, want %d", got, lookups)
			}
			if n := len(s.Series(requests, "route", "GET /api/users/{id}")); n != 1 {
				t.Errorf("%d series for one route and status class, want 1", n)
			}
			if got := s.Value(t, requests, "route", "POST /api/users", "status", "2xx"); got != 1 {
				t.Errorf("POST /api/users 2xx: %v, want 1", got)
			}
			// The public /metrics and the pages that do not exist.
			if got := s.Value(t, requests, "route", "unmatched", "status", "4xx"); got != 4 {
				t.Errorf("unmatched 4xx: %v, want 4", got)
			}
			for _, sr := range s.Series(requests) {
				for _, l := range sr.GetLabel() {
					for _, id := range ids {
						if strings.Contains(l.GetValue(), id) {
							t.Errorf("label %s=%q holds a path", l.GetName(), l.GetValue())
						}
					}
				}
			}
			h := s.Series(requests, "route", "GET /api/users/{id}")[0].GetHistogram()
			if n := len(h.GetBucket()); n < 10 {
				t.Errorf("%d buckets", n)
			}

			for _, c := range []struct {
				name, result string
				want         float64
			}{
				{"latchkey_registrations_total", "ok", 1},
				{"latchkey_logins_total", "ok", 1},
				{"latchkey_logins_total", "invalid_credentials", 1},
				{"latchkey_logins_total", "too_many_attempts", 0},
			} {
				if got := s.Value(t, c.name, "result", c.result); got != c.want {
					t.Errorf("%s{result=%q} = %v, want %v", c.name, c.result, got, c.want)
				}
			}

			if got := s.Value(t, "latchkey_hash_pool_slots"); got != 3 {
				t.Errorf("hashing slots %v, want LATCHKEY_HASH_CONCURRENCY", got)
			}
			for _, name := range []string{"latchkey_hash_pool_busy", "latchkey_hash_pool_waiting", "latchkey_hash_pool_refused_total"} {
				if got := s.Value(t, name); got != 0 {
					t.Errorf("%s = %v on an idle server", name, got)
				}
			}
			for _, pool := range tt.pools {
				if got := s.Value(t, "go_sql_max_open_connections", "db_name", pool); got < 1 {
					t.Errorf("pool %q: at most %v connections", pool, got)
				}
			}
			// The refresh wrote through SQLite's group commit; PostgreSQL
			// has none, and no such series.
			if tt.name == "sqlite" {
				commits, writes := s.Value(t, "latchkey_db_group_commits_total"), s.Value(t, "latchkey_db_group_commit_writes_total")
				if commits < 1 || writes < commits {
					t.Errorf("group commit: %v writes in %v commits", writes, commits)
				}
			} else if n := len(s.Series("latchkey_db_group_commits_total")); n != 0 {
				t.Errorf("PostgreSQL shows %d group commit series", n)
			}
			for _, name := range []string{"go_goroutines", "go_gc_duration_seconds", "process_resident_memory_bytes"} {
				if s[name] == nil {
					t.Errorf("%s is missing", name)
				}
			}

			// The verification mail is delivered (into the mail directory):
			// counted sent, and the outbox is empty again.
			deadline := time.Now().Add(10 * time.Second)
			for {
				s = metricstest.Get(t, metricsURL)
				if s.Value(t, "latchkey_mail_attempts_total", "result", "sent") == 1 && s.Value(t, "latchkey_mail_pending") == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("mail sent %v, pending %v; want 1 and 0",
						s.Value(t, "latchkey_mail_attempts_total", "result", "sent"), s.Value(t, "latchkey_mail_pending"))
				}
				time.Sleep(50 * time.Millisecond)
			}
			if got := s.Value(t, "latchkey_mail_oldest_pending_seconds"); got != 0 {
				t.Errorf("oldest pending %vs with none pending", got)
			}

			maddr := strings.TrimSuffix(strings.TrimPrefix(metricsURL, "http://"), "/metrics")
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if c, err := net.DialTimeout("tcp", maddr, time.Second); err == nil {
				c.Close()
				t.Fatal("the metrics listener outlived the server")
			}
		})
	}
}

// TestMetricsOffByDefault: without LATCHKEY_METRICS_ADDR nothing listens
// for metrics, and the public address has no /metrics either.
func TestMetricsOffByDefault(t *testing.T) {
	told := make(chan string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	addr, done := make(chan string, 1), make(chan error, 1)
	e := &environment{getenv: testEnv(t), stdin: strings.NewReader(""), stdout: io.Discard, stderr: &syncBuffer{},
		listening: func(a string) { addr <- a }, metricsListening: func(a string) { told <- a }}
	go func() { done <- e.run(ctx, []string{"latchkey"}) }()
	defer func() { cancel(); <-done }()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("run returned: %v", err)
	}
	select {
	case a := <-told:
		t.Fatalf("metrics listening on %s without LATCHKEY_METRICS_ADDR", a)
	default:
	}
	waitHealthy(t, base)
	if got := get(t, base+"/metrics"); got != http.StatusNotFound {
		t.Fatalf("GET /metrics on the public address: %d, want 404", got)
	}
}
