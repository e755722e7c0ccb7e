package main

import (
	"io"
	"net/http"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store/pgtest"
)

// TestServeOnPostgres runs the real program on PostgreSQL: registration,
// a password login and a call with the token.
func TestServeOnPostgres(t *testing.T) {
	url, stop := startServer(t, testEnv(t, "LATCHKEY_DATABASE_URL", pgtest.URL(t)))
	register(t, url, "alice")
	res, err := http.PostForm(url+"/api/token", neturl.Values{"username": {"ALICE"}, "password": {testPassword}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("login on PostgreSQL: %d", res.StatusCode)
	}
	res, err = http.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("readyz on PostgreSQL: %d", res.StatusCode)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// TestDatabaseOutage stops PostgreSQL under a running server: requests that
// need the database answer 503 problem details and /readyz fails, without
// a panic or a 500; when the database is back, so is the service, without
// a restart.
func TestDatabaseOutage(t *testing.T) {
	pg := pgtest.Private(t)
	dbURL, err := pg.NewDatabase()
	if err != nil {
		t.Fatal(err)
	}
	url, _ := startServer(t, testEnv(t, "LATCHKEY_DATABASE_URL", dbURL))
	var lastBody string
	register := func(name string) *http.Response {
		res, err := http.Post(url+"/api/users", "application/json",
			strings.NewReader(`{"username":"`+name+`","email":"`+name+`@example.com","password":"`+testPassword+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		lastBody = string(b)
		return res
	}
	if res := register("alice"); res.StatusCode != http.StatusCreated {
		t.Fatalf("before the outage: %d", res.StatusCode)
	}
	// An authenticated request before, during and after: the session
	// cache's snapshot checks must fail and then recover like the rest.
	status, tokens := tokenRequest(t, url, neturl.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {testPassword}})
	if status != http.StatusOK {
		t.Fatalf("log in before the outage: %d", status)
	}
	if status := me(t, url, tokens.AccessToken); status != http.StatusOK {
		t.Fatalf("/me before the outage: %d", status)
	}

	pg.Stop()
	if res := register("bob"); res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Content-Type") != "application/problem+json" ||
		!strings.Contains(lastBody, `"code":"unavailable"`) {
		t.Fatalf("registration during the outage: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), lastBody)
	}
	res, err := http.PostForm(url+"/api/token", neturl.Values{"username": {"alice"}, "password": {testPassword}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Fatalf("login during the outage: %d", res.StatusCode)
	}
	if res, err := http.Get(url + "/readyz"); err != nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz during the outage: %v %v", res, err)
	}
	if res, err := http.Get(url + "/healthz"); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz during the outage: %v %v", res, err)
	}
	if status := me(t, url, tokens.AccessToken); status != http.StatusServiceUnavailable {
		t.Fatalf("/me during the outage: %d", status)
	}

	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	if res, err := http.Get(url + "/readyz"); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("readyz after the outage: %v %v", res, err)
	}
	if res := register("bob"); res.StatusCode != http.StatusCreated {
		t.Fatalf("registration after the outage: %d", res.StatusCode)
	}
	if status := me(t, url, tokens.AccessToken); status != http.StatusOK {
		t.Fatalf("/me after the outage: %d", status)
	}
}

// TestStartupWaitsForTheDatabase: a server started while PostgreSQL is
// down says so in its log, and serves once the database comes up within
// the wait.
func TestStartupWaitsForTheDatabase(t *testing.T) {
	pg := pgtest.Private(t)
	dbURL, err := pg.NewDatabase()
	if err != nil {
		t.Fatal(err)
	}
	pg.Stop()
	go func() {
		time.Sleep(2 * time.Second)
		if err := pg.Start(); err != nil {
			t.Error(err)
		}
	}()
	var log syncBuffer
	url, _ := startServerLogging(t, testEnv(t, "LATCHKEY_DATABASE_URL", dbURL), &log)
	if !strings.Contains(log.String(), "waiting for the database") {
		t.Fatalf("no log line about waiting:\n%s", log.String())
	}
	if res, err := http.Get(url + "/readyz"); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("readyz after the wait: %v %v", res, err)
	}
}
