package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store/pgtest"
)

// TestMain starts and stops the throwaway PostgreSQL cluster the tests
// share.
func TestMain(m *testing.M) { pgtest.Main(m) }

// syncBuffer is a bytes.Buffer safe for the server goroutine to write while
// the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testEnv is a getenv over a map, with a fresh database and cheap hashing.
func testEnv(t *testing.T, extra ...string) func(string) string {
	dir := t.TempDir()
	// The database's directory must exist unless it is the default one.
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"LATCHKEY_DATABASE_URL":      "sqlite:" + filepath.Join(dir, "data", "latchkey.db"),
		"LATCHKEY_MAIL_DIR":          filepath.Join(dir, "data", "mail"), // not ./data/mail in the source tree
		"LATCHKEY_ADDR":              "127.0.0.1:0",
		"LATCHKEY_ARGON2_MEMORY_KIB": "1024",
		"LATCHKEY_ARGON2_TIME":       "1",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return func(k string) string { return env[k] }
}

// startServer runs the real program and returns its base URL once it
// listens, and a function that stops it and returns run's error.
func startServer(t *testing.T, getenv func(string) string) (string, func() error) {
	t.Helper()
	return startServerLogging(t, getenv, &syncBuffer{})
}

// startServerLogging is startServer with the server's log in stderr.
func startServerLogging(t *testing.T, getenv func(string) string, stderr *syncBuffer) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr, done := make(chan string, 1), make(chan error, 1)
	env := &environment{getenv: getenv, stdin: strings.NewReader(""), stdout: io.Discard, stderr: stderr,
		listening: func(a string) { addr <- a }}
	go func() { done <- env.run(ctx, []string{"latchkey"}) }()
	var a string
	select {
	case a = <-addr:
	case err := <-done:
		cancel()
		t.Fatalf("run returned before listening: %v\n%s", err, stderr.String())
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("server did not start:\n%s", stderr.String())
	}
	url := "http://" + a
	stop := sync.OnceValue(func() error { cancel(); return <-done })
	t.Cleanup(func() { stop() })
	waitHealthy(t, url)
	return url, stop
}

// pair is the token endpoint's answer.
type pair struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// testPassword is every test user's password.
const testPassword = "correct horse battery"

// register registers a user over HTTP as NAME with NAME@example.com and
// the test password, failing the test unless the server answers 201.
func register(t *testing.T, base, name string) {
	t.Helper()
	res, err := http.Post(base+"/api/users", "application/json",
		strings.NewReader(`{"username":"`+name+`","email":"`+name+`@example.com","password":"`+testPassword+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("register %s: %d %s", name, res.StatusCode, body)
	}
}

// tokenRequest posts form to the token endpoint.
func tokenRequest(t *testing.T, base string, form neturl.Values) (int, pair) {
	t.Helper()
	res, err := http.PostForm(base+"/api/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var p pair
	json.NewDecoder(res.Body).Decode(&p)
	return res.StatusCode, p
}

// me calls GET /api/users/me with an access token and returns the status.
func me(t *testing.T, base, accessToken string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/users/me", nil)
	req.Header.Set("Authorization", "Bearer "+accessToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

func waitHealthy(t *testing.T, url string) {
	t.Helper()
	for range 100 {
		res, err := http.Get(url + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("server never became healthy")
}

func TestServeRegistersAUser(t *testing.T) {
	url, stop := startServer(t, testEnv(t))

	res, err := http.Get(url + "/readyz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("readyz: %v %v", res, err)
	}
	res.Body.Close()

	body := `{"username":"alice","email":"alice@example.com","password":"` + testPassword + `"}`
	res, err = http.Post(url+"/api/users", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var u struct{ ID, Username, Email, Role string }
	if err := json.NewDecoder(res.Body).Decode(&u); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || u.Username != "alice" || u.Role != "user" || u.ID == "" {
		t.Fatalf("register: %d %+v", res.StatusCode, u)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("missing nosniff header")
	}

	res, err = http.Post(url+"/api/users", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("second registration: %d, want 409", res.StatusCode)
	}

	// Log in through the token endpoint (no grant_type: the password grant
	// is the default) and call /me with the token.
	if status, tok := tokenRequest(t, url, neturl.Values{"username": {"alice"}, "password": {testPassword}}); status != http.StatusOK {
		t.Fatalf("login: %d", status)
	} else if got := me(t, url, tok.AccessToken); got != http.StatusOK {
		t.Fatalf("GET /api/users/me with a fresh token: %d", got)
	}
	for _, path := range []string{"/openapi.json", "/.well-known/jwks.json", "/docs"} {
		res, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", path, res.StatusCode)
		}
	}

	// Pages carry the security headers; a cross-site form post that could
	// ride on the session cookie is refused.
	res, err = http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || res.Header.Get("Referrer-Policy") != "same-origin" {
		t.Errorf("home page headers: %v", res.Header)
	}
	req, _ := http.NewRequest("POST", url+"/logout", strings.NewReader(""))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.AddCookie(&http.Cookie{Name: "latchkey_session", Value: "x"})
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST /logout: %d, want 403", res.StatusCode)
	}

	if err := stop(); err != nil {
		t.Fatalf("graceful shutdown: %v", err)
	}
}

// TestDefaultsNeedNoConfiguration: with an empty environment, run creates
// ./data/latchkey.db in the working directory, ./data included (the one
// directory made when missing: see config.DefaultDatabaseURL).
func TestDefaultsNeedNoConfiguration(t *testing.T) {
	t.Chdir(t.TempDir())
	var out bytes.Buffer
	if err := run(context.Background(), []string{"latchkey", "migrate"}, func(string) string { return "" }, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "applied ") || !strings.Contains(out.String(), " migrations, now at version ") {
		t.Errorf("migrate of a new database said %q", out.String())
	}
	if err := run(context.Background(), []string{"latchkey", "config"}, func(string) string { return "" }, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"LATCHKEY_ADDR=localhost:8080", "LATCHKEY_DATABASE_URL=sqlite:./data/latchkey.db", "LATCHKEY_BASE_URL=http://localhost:8080"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("config output lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := filepathGlob("data/latchkey.db"); err != nil {
		t.Fatal(err)
	}
}

func filepathGlob(p string) (string, error) {
	m, err := filepath.Glob(p)
	if err != nil || len(m) == 0 {
		return "", errors.New(p + " was not created")
	}
	return m[0], nil
}

func runCmd(t *testing.T, getenv func(string) string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	err = run(context.Background(), append([]string{"latchkey"}, args...), getenv, strings.NewReader(stdin), &o, &e)
	return o.String(), e.String(), err
}

// wantOutcome fails t unless err is what a command-line case asked for:
// a usage error (exit status 2), another error containing fail, or, when
// neither, no error (out is shown with it).
func wantOutcome(t *testing.T, err error, usage bool, fail, out string) {
	t.Helper()
	var u usageError
	switch {
	case usage:
		if !errors.As(err, &u) {
			t.Fatalf("got %v, want a usage error", err)
		}
	case fail != "":
		if err == nil || errors.As(err, &u) || !strings.Contains(err.Error(), fail) {
			t.Fatalf("got %v, want an error containing %q", err, fail)
		}
	case err != nil:
		t.Fatalf("unexpected error: %v\n%s", err, out)
	}
}

func TestCommandLine(t *testing.T) {
	getenv := testEnv(t, "LATCHKEY_MASTER_KEY", strings.Repeat("ab", 32), "LATCHKEY_JWT_SECRET", strings.Repeat("s", 40))
	tests := []struct {
		name    string
		args    []string
		stdin   string
		usage   bool   // a usage error: exit status 2
		fail    string // other error containing this
		out     string // stdout contains this
		notOut  string // stdout must not contain this
		noErrIO bool
	}{
		{name: "version", args: []string{"version"}, out: "latchkey dev"},
		{name: "help", args: []string{"help"}, out: "user create"},
		{name: "unknown command", args: []string{"frobnicate"}, usage: true},
		{name: "unknown flag", args: []string{"serve", "--nope"}, usage: true},
		{name: "unknown user subcommand", args: []string{"user", "frobnicate"}, usage: true},
		{name: "delete without a user", args: []string{"user", "delete"}, usage: true},
		{name: "create without email", args: []string{"user", "create", "--username", "x"}, usage: true},
		{name: "password as argument refused", args: []string{"user", "create", "--email", "a@example.com", "--username", "admin", "hunter22hunter22"}, usage: true},
		{name: "config masks secrets", args: []string{"config"}, out: "LATCHKEY_MASTER_KEY=****", notOut: strings.Repeat("ab", 32)},
		{name: "config masks the JWT secret", args: []string{"config"}, out: "LATCHKEY_JWT_SECRET=****", notOut: strings.Repeat("s", 40)},
		{name: "create admin from stdin", args: []string{"user", "create", "--email", "Root@Example.com", "--username", "root", "--admin"},
			stdin: "correct horse battery\ncorrect horse battery\n", out: "created admin"},
		{name: "create from one line without newline", args: []string{"user", "create", "--email", "b@example.com", "--username", "bob"},
			stdin: "correct horse battery", out: "created user"},
		{name: "mismatched confirmation", args: []string{"user", "create", "--email", "c@example.com", "--username", "carol"},
			stdin: "correct horse battery\ncorrect horse batterx\n", fail: "differs"},
		{name: "empty stdin", args: []string{"user", "create", "--email", "c@example.com", "--username", "carol"}, fail: "no password"},
		{name: "invalid password", args: []string{"user", "create", "--email", "c@example.com", "--username", "carol"},
			stdin: "password\n", fail: "password: This password is one of the most common"},
		{name: "duplicate", args: []string{"user", "create", "--email", "root@example.com", "--username", "other"},
			stdin: "correct horse battery\n", fail: "already exists"},
		{name: "disable the last admin", args: []string{"user", "disable", "root@example.com"}, fail: "last active admin"},
		{name: "disable by email", args: []string{"user", "disable", "b@example.com"}, out: "disabled"},
		{name: "enable by email", args: []string{"user", "enable", "B@example.com"}, out: "enabled"},
		{name: "disable unknown", args: []string{"user", "disable", "nobody@example.com"}, fail: "no user"},
		{name: "disable without target", args: []string{"user", "disable"}, usage: true},
		{name: "invalid settings", args: []string{"config", "--argon2-time", "abc", "--jwt-alg", "RS256"}, fail: "LATCHKEY_JWT_ALG"},
		{name: "migrate", args: []string{"migrate"}, out: "up to date at version "},
		{name: "sqlite in a missing directory", args: []string{"migrate", "--database-url", "sqlite:./no/such/dir/latchkey.db"}, fail: "the directory no/such/dir does not exist: create it first"},
		{name: "keys rotate", args: []string{"keys", "rotate"}, out: "rotated: new signing key"},
		{name: "keys without subcommand", args: []string{"keys"}, usage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, err := runCmd(t, getenv, tt.stdin, tt.args...)
			wantOutcome(t, err, tt.usage, tt.fail, out)
			if !strings.Contains(out, tt.out) || (tt.notOut != "" && strings.Contains(out, tt.notOut)) {
				t.Fatalf("stdout %q: want %q, not %q", out, tt.out, tt.notOut)
			}
			if errOut != "" {
				t.Errorf("subcommand wrote to stderr: %q", errOut)
			}
			if err != nil && strings.Contains(err.Error(), "correct horse") {
				t.Errorf("error repeats the password: %v", err)
			}
		})
	}
}

// TestCreatedUserCanRegisterNoOneElse: a user made on the command line is
// in the same database the server uses.
func TestCLIUserVisibleToServer(t *testing.T) {
	getenv := testEnv(t)
	if _, _, err := runCmd(t, getenv, "correct horse battery\n", "user", "create", "--email", "a@example.com", "--username", "alice"); err != nil {
		t.Fatal(err)
	}
	url, _ := startServer(t, getenv)
	res, err := http.Post(url+"/api/users", "application/json",
		strings.NewReader(`{"username":"ALICE","email":"x@example.com","password":"`+testPassword+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("got %d, want 409 for a username created on the command line", res.StatusCode)
	}
}

// TestDisableOnTheCommandLineTakesEffectAtOnce: the server remembers
// sessions it has looked up until the database changes; `user disable`,
// run beside it as another process would, must still end the user's
// access on the very next request.
func TestDisableOnTheCommandLineTakesEffectAtOnce(t *testing.T) {
	getenv := testEnv(t)
	if _, _, err := runCmd(t, getenv, "correct horse battery\n", "user", "create", "--email", "a@example.com", "--username", "alice"); err != nil {
		t.Fatal(err)
	}
	url, _ := startServer(t, getenv)
	status, tok := tokenRequest(t, url, neturl.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {testPassword}})
	if status != http.StatusOK {
		t.Fatalf("login: %d", status)
	}
	for range 3 { // looked up, then remembered
		if got := me(t, url, tok.AccessToken); got != http.StatusOK {
			t.Fatalf("/me before disabling: %d", got)
		}
	}
	if _, _, err := runCmd(t, getenv, "", "user", "disable", "a@example.com"); err != nil {
		t.Fatal(err)
	}
	if got := me(t, url, tok.AccessToken); got != http.StatusUnauthorized {
		t.Fatalf("/me right after `user disable`: %d, want 401", got)
	}
}
