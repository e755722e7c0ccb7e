package main

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	neturl "net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store/pgtest"
)

// testDeadline bounds every request of the tests below, so that a request
// the server never answers fails the test instead of hanging it. It is
// not a measure of speed: with LATCHKEY_DATABASE_TIMEOUT at 300ms, the
// answers are due after a fraction of it.
const testDeadline = 10 * time.Second

// call sends one request with client (a copy bounded by testDeadline)
// and returns the status and the Retry-After; a request not answered
// within the deadline fails the test.
func call(t *testing.T, client *http.Client, method, url, bearer string, form neturl.Values) (int, string) {
	t.Helper()
	c := *client
	c.Timeout = testDeadline
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: no answer: %v", method, url, err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, res.Header.Get("Retry-After")
}

// TestFrozenDatabase freezes PostgreSQL under a running server (SIGSTOP
// to the postmaster and its backends: connections are accepted and never
// answered, as in a network partition). Requests that need the database
// answer 503 with a Retry-After once LATCHKEY_DATABASE_TIMEOUT has passed,
// instead of a 500 after many seconds or no answer at all; when the
// database thaws, everything works again without a restart.
func TestFrozenDatabase(t *testing.T) {
	pg := pgtest.Private(t)
	dbURL, err := pg.NewDatabase()
	if err != nil {
		t.Fatal(err)
	}
	url, _ := startServer(t, testEnv(t, "LATCHKEY_DATABASE_URL", dbURL, "LATCHKEY_DATABASE_TIMEOUT", "300ms"))
	register(t, url, "alice")
	status, tokens := tokenRequest(t, url, neturl.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {testPassword}})
	if status != http.StatusOK {
		t.Fatalf("log in: %d", status)
	}
	browser := loginOverHTTP(t, url, "alice", testPassword)
	login := neturl.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {testPassword}}
	requests := []struct {
		name         string
		client       *http.Client
		method, path string
		bearer       string
		form         neturl.Values
	}{
		{"/me with a token", http.DefaultClient, "GET", "/api/users/me", tokens.AccessToken, nil},
		{"the posts", http.DefaultClient, "GET", "/api/posts", "", nil},
		{"a password grant", http.DefaultClient, "POST", "/api/token", "", login},
		{"the account page", browser, "GET", "/account", "", nil},
	}
	for _, r := range requests {
		if status, _ := call(t, r.client, r.method, url+r.path, r.bearer, r.form); status != http.StatusOK {
			t.Fatalf("%s before the freeze: %d", r.name, status)
		}
	}

	if err := pg.Freeze(); err != nil {
		t.Fatal(err)
	}
	for _, r := range requests {
		t.Run(r.name, func(t *testing.T) {
			status, retryAfter := call(t, r.client, r.method, url+r.path, r.bearer, r.form)
			if status != http.StatusServiceUnavailable || retryAfter == "" {
				t.Errorf("%s %s with the database frozen: %d, Retry-After %q; want 503 with one", r.method, r.path, status, retryAfter)
			}
		})
	}
	if status, _ := call(t, http.DefaultClient, "GET", url+"/readyz", "", nil); status != http.StatusServiceUnavailable {
		t.Errorf("readyz with the database frozen: %d", status)
	}
	pg.Thaw()

	// A thawed PostgreSQL first works through what queued up while it was
	// stopped (the cancelled queries, the connections asked for), which
	// can take longer than the 300 ms timeout: the server must recover by
	// itself within a few seconds, not on its very first request.
	for _, r := range requests {
		status := 0
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if status, _ = call(t, r.client, r.method, url+r.path, r.bearer, r.form); status == http.StatusOK {
				break
			}
		}
		if status != http.StatusOK {
			t.Errorf("%s 10 s after the thaw: %d", r.name, status)
		}
	}
}

// TestSQLiteWriteLockHeld holds the SQLite file's write lock from another
// connection, as another process writing would: a registration, which
// must write, answers 503 with a Retry-After once
// LATCHKEY_DATABASE_TIMEOUT has passed, and succeeds once the lock is
// released.
func TestSQLiteWriteLockHeld(t *testing.T) {
	path := filepath.Join(t.TempDir(), "latchkey.db")
	url, _ := startServer(t, testEnv(t, "LATCHKEY_DATABASE_URL", "sqlite:"+path, "LATCHKEY_DATABASE_TIMEOUT", "300ms"))
	// The server writes on its own too (the purge at start, the outbox):
	// the test's connection waits its turn for the lock, as a process would.
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}

	registration := func(name string) (int, string) {
		t.Helper()
		c := http.Client{Timeout: testDeadline}
		res, err := c.Post(url+"/api/users", "application/json",
			strings.NewReader(`{"username":"`+name+`","email":"`+name+`@example.com","password":"`+testPassword+`"}`))
		if err != nil {
			t.Fatalf("register %s: no answer: %v", name, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, res.Header.Get("Retry-After")
	}
	if status, retryAfter := registration("alice"); status != http.StatusServiceUnavailable || retryAfter == "" {
		t.Fatalf("registration under another's write lock: %d, Retry-After %q; want 503 with one", status, retryAfter)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if status, _ := registration("alice"); status != http.StatusCreated {
		t.Fatalf("registration once the lock is released: %d", status)
	}
}
