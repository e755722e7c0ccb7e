package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	neturl "net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/pgtest"
	"github.com/latchkey/latchkey/internal/token"
)

// TestTwoInstancesOnePostgres runs two Latchkey servers against one
// PostgreSQL database and checks that they behave as one.
func TestTwoInstancesOnePostgres(t *testing.T) {
	dbURL := pgtest.URL(t)
	// Instances behind one proxy share the public URL: the tokens' issuer.
	getenv := testEnv(t, "LATCHKEY_DATABASE_URL", dbURL, "LATCHKEY_BASE_URL", "http://latchkey.test")
	a, _ := startServer(t, getenv)
	b, _ := startServer(t, getenv)

	// Register on A, log in on B, refresh on A, revoke on B.
	register(t, a, "alice")
	status, first := tokenRequest(t, b, neturl.Values{"username": {"alice"}, "password": {testPassword}})
	if status != 200 {
		t.Fatalf("login on B: %d", status)
	}
	// The refresh budget is the session's, wherever it is spent: at once
	// after B's login, A refuses; a second later, A rotates.
	if status, _ := tokenRequest(t, a, neturl.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}}); status != 429 {
		t.Fatalf("refresh on A at once after login on B: %d, want 429", status)
	}
	time.Sleep(auth.RefreshMinInterval)
	status, second := tokenRequest(t, a, neturl.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}})
	if status != 200 || me(t, b, second.AccessToken) != 200 {
		t.Fatalf("refresh on A of B's token: %d", status)
	}
	res, err := http.PostForm(b+"/api/token/revoke", neturl.Values{"token": {second.RefreshToken}})
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("revoke on B: %v %v", res, err)
	}
	res.Body.Close()
	if status, _ := tokenRequest(t, a, neturl.Values{"grant_type": {"refresh_token"}, "refresh_token": {second.RefreshToken}}); status != 400 {
		t.Fatalf("refresh on A after revocation on B: %d", status)
	}
	if got := me(t, a, second.AccessToken); got != 401 {
		t.Fatalf("access token on A after revocation on B: %d", got)
	}

	// Ten concurrent refreshes of one token, split across A and B: one wins.
	_, fresh := tokenRequest(t, a, neturl.Values{"username": {"alice"}, "password": {testPassword}})
	time.Sleep(auth.RefreshMinInterval)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	start := make(chan struct{})
	for i := range 10 {
		base := a
		if i%2 == 1 {
			base = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := http.PostForm(base+"/api/token", neturl.Values{"grant_type": {"refresh_token"}, "refresh_token": {fresh.RefreshToken}})
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			if res.StatusCode == 200 {
				wins++
			} else if res.StatusCode != 400 {
				t.Errorf("concurrent refresh: %d", res.StatusCode)
			}
		}()
	}
	close(start)
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d of 10 concurrent refreshes across two instances won, want exactly 1", wins)
	}

	// An operator rotates a leaked key; a token signed with the new key (as
	// any instance signs once it has reloaded) verifies on B at once.
	if _, _, err := runCmd(t, getenv, "", "keys", "rotate", "--now"); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	signer, err := token.New(context.Background(), db, token.Options{Alg: "ES256", Issuer: "http://latchkey.test", Audience: "http://latchkey.test", TTL: time.Minute, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	claims := payload(t, fresh.AccessToken)
	u, err := db.UserByID(context.Background(), claims.Sub)
	if err != nil {
		t.Fatal(err)
	}
	_, newest := tokenRequest(t, a, neturl.Values{"username": {"alice"}, "password": {testPassword}})
	signed, _, err := signer.Issue(u.ID, payload(t, newest.AccessToken).Sid, string(u.Role), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if header(t, signed).Kid == header(t, newest.AccessToken).Kid {
		t.Fatal("the token after rotation is signed with the old key")
	}
	if got := me(t, b, signed); got != 200 {
		t.Fatalf("a token signed with the rotated key, on B: %d", got)
	}

	// A browser session made on A works on B, and logging out on B ends it
	// on A. (Cookies are per host, not per port: one jar serves both.)
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err = browser.PostForm(a+"/login", neturl.Values{"identifier": {"alice"}, "password": {testPassword}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("browser login on A: %v %v", res, err)
	}
	res.Body.Close()
	if got := getStatus(t, browser, b+"/account"); got != 200 {
		t.Fatalf("A's browser session on B: %d", got)
	}
	aURL, _ := neturl.Parse(a)
	cookies := jar.Cookies(aURL)
	res, err = browser.PostForm(b+"/logout", neturl.Values{})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout on B: %v %v", res, err)
	}
	res.Body.Close()
	// The jar dropped the cookie at logout: replay the old one by hand on A.
	req, _ := http.NewRequest("GET", a+"/account", nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	res, err = browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if len(cookies) == 0 || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the session cookie on A after logout on B: %d (%d cookies replayed)", res.StatusCode, len(cookies))
	}
}

type jwtClaims struct{ Sub, Sid string }

func payload(t *testing.T, jwt string) jwtClaims {
	var c jwtClaims
	decodeSegment(t, strings.Split(jwt, ".")[1], &c)
	return c
}

func header(t *testing.T, jwt string) struct{ Kid string } {
	var h struct{ Kid string }
	decodeSegment(t, strings.Split(jwt, ".")[0], &h)
	return h
}

func decodeSegment(t *testing.T, seg string, v any) {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// TestThrottlingSharedAcrossInstances: the per-account failure count and
// the per-IP budget hold across instances, because both live in the
// database.
func TestThrottlingSharedAcrossInstances(t *testing.T) {
	dbURL := pgtest.URL(t)
	getenv := testEnv(t, "LATCHKEY_DATABASE_URL", dbURL, "LATCHKEY_BASE_URL", "http://latchkey.test")
	a, _ := startServer(t, getenv)
	b, _ := startServer(t, getenv)
	register(t, a, "alice")
	for i := range 10 {
		base := a
		if i%2 == 1 {
			base = b
		}
		if status, _ := tokenRequest(t, base, neturl.Values{"username": {"alice"}, "password": {"wrong password"}}); status != 400 {
			t.Fatalf("failure %d: %d", i+1, status)
		}
	}
	if status, _ := tokenRequest(t, b, neturl.Values{"username": {"alice"}, "password": {testPassword}}); status != http.StatusTooManyRequests {
		t.Fatalf("11th attempt, right password, other instance: %d, want 429", status)
	}

	limited := testEnv(t, "LATCHKEY_DATABASE_URL", dbURL, "LATCHKEY_BASE_URL", "http://latchkey.test", "LATCHKEY_RATE_LIMIT_PER_IP", "4")
	c, _ := startServer(t, limited)
	d, _ := startServer(t, limited)
	for i, base := range []string{c, d, c, d} {
		if status, _ := tokenRequest(t, base, neturl.Values{"username": {"nobody" + string(rune('a'+i))}, "password": {"x"}}); status != 400 {
			t.Fatalf("attempt %d within the per-IP budget: %d", i+1, status)
		}
	}
	if status, _ := tokenRequest(t, c, neturl.Values{"username": {"nobody"}, "password": {"x"}}); status != http.StatusTooManyRequests {
		t.Fatalf("5th attempt from one IP across two instances: %d, want 429", status)
	}
}
