package main

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/latchkey/latchkey/internal/browsertest"
	"github.com/latchkey/latchkey/internal/store"
)

// spaDir is examples/spa, the single-page app the test serves.
var spaDir = filepath.Join("..", "..", "examples", "spa")

// spaHandler serves examples/spa as a static site would, with the page
// pointed at Latchkey's URL instead of the one written in it (the page
// says to change it, and its Content-Security-Policy, together).
func spaHandler(t *testing.T, latchkey *atomic.Pointer[string]) http.Handler {
	files := http.FileServerFS(os.DirFS(spaDir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" && r.URL.Path != "/index.html" {
			files.ServeHTTP(w, r)
			return
		}
		page, err := os.ReadFile(filepath.Join(spaDir, "index.html"))
		if err != nil {
			t.Error(err)
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(strings.ReplaceAll(string(page), "http://localhost:8080", *latchkey.Load())))
	})
}

// TestSPAInABrowser drives examples/spa in Chromium, served from a second
// origin listed in LATCHKEY_CORS_ORIGINS: it registers, logs in with the
// password grant, calls /api/users/me, refreshes on its own before the
// access token expires (a one-minute token, refreshed after half of it),
// calls /me with the new token and logs out. The page's text says what
// happened; the database says the same: one API session, a refresh token
// used by the refresh, and the session revoked by the logout.
func TestSPAInABrowser(t *testing.T) {
	ctx := browsertest.New(t)
	var latchkey atomic.Pointer[string]
	spa := httptest.NewServer(spaHandler(t, &latchkey))
	t.Cleanup(spa.Close)
	env := testEnv(t, "LATCHKEY_CORS_ORIGINS", spa.URL, "LATCHKEY_ACCESS_TOKEN_TTL", "1m")
	url, _ := startServer(t, env)
	latchkey.Store(&url)
	db, err := store.Open(context.Background(), env("LATCHKEY_DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b := tab{t: t, ctx: ctx, url: spa.URL}

	b.do(chromedp.Navigate(spa.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#register-form")))
	b.typeInto(map[string]string{"#register-username": "alice", "#register-email": "alice@example.com", "#register-password": testPassword})
	b.do(chromedp.Click(chromedp.CSS("#register-form button")))
	b.waitText("#log", "Registered alice", 10*time.Second)

	b.typeInto(map[string]string{"#login-username": "alice", "#login-password": testPassword})
	b.do(chromedp.Click(chromedp.CSS("#login-form button")))
	b.waitText("#status", "Signed in as alice.", 10*time.Second)
	if log := b.content("#log"); !strings.Contains(log, "the access token lasts 60 s, so it is refreshed in 30 s") {
		t.Errorf("the page does not tell when it refreshes:\n%s", log)
	}
	u, err := db.UserByUsername(context.Background(), "alice")
	if err != nil {
		t.Fatalf("the account registered in the SPA: %v", err)
	}
	live, err := db.ListSessions(context.Background(), u.ID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(live) != 1 || live[0].Kind != "api" {
		t.Fatalf("after the SPA's login: %d live sessions (%+v), want its one API session", len(live), live)
	}
	sid := live[0].ID

	b.eval(`document.getElementById("me").textContent = ""; "ok"`)
	b.do(chromedp.Click(chromedp.CSS("#me-button")))
	b.waitText("#me", "You are alice (alice@example.com), role user.", 10*time.Second)

	// The refresh comes by itself, half a minute after the login.
	b.waitText("#log", "Refreshed: a new access token for 60 s", 50*time.Second)
	if n := usedRefreshTokens(t, env, sid); n != 1 {
		t.Errorf("after the SPA's refresh, its session has %d used refresh tokens, want 1", n)
	}
	b.eval(`document.getElementById("me").textContent = ""; "ok"`)
	b.do(chromedp.Click(chromedp.CSS("#me-button")))
	b.waitText("#me", "You are alice", 10*time.Second)
	if log := b.content("#log"); strings.Count(log, "GET /api/users/me with the access token: alice.") != 3 || strings.Contains(log, "refused") {
		t.Errorf("want three calls of /me, none refused:\n%s", log)
	}

	b.do(chromedp.Click(chromedp.CSS("#logout-button")))
	b.waitText("#status", "Signed out.", 10*time.Second)
	log := b.content("#log")
	for _, want := range []string{"Logged out: POST /api/token/revoke ended the session on the server.",
		"The old access token, not yet expired, now gets 401 Unauthorized."} {
		if !strings.Contains(log, want) {
			t.Errorf("the page does not say %q:\n%s", want, log)
		}
	}
	ss, _, err := db.SessionWithUser(context.Background(), sid)
	if err != nil {
		t.Fatal(err)
	}
	if ss.RevokedAt == nil {
		t.Error("the SPA's session is not revoked after its logout")
	}
	if live, _ := db.ListSessions(context.Background(), u.ID, time.Now()); len(live) != 0 {
		t.Errorf("after the logout alice has %d live sessions", len(live))
	}
	// The tokens were kept in memory only, and no cookie was involved.
	if got := b.eval(`String(localStorage.length + sessionStorage.length) + "/" + document.cookie`); got != "0/" {
		t.Errorf("the page stored something (storage items/cookies): %q", got)
	}
}

// usedRefreshTokens counts the refresh tokens of a session that have been
// used: one per refresh.
func usedRefreshTokens(t *testing.T, env func(string) string, sessionID string) int {
	t.Helper()
	db, err := sql.Open("sqlite", strings.TrimPrefix(env("LATCHKEY_DATABASE_URL"), "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM refresh_tokens WHERE session_id = ? AND used_at IS NOT NULL`, sessionID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// typeInto types into fields found by CSS selector, emptied first.
func (b tab) typeInto(values map[string]string) {
	b.t.Helper()
	for sel, v := range values {
		b.eval(`document.querySelector('` + sel + `').value = ""; "ok"`)
		b.do(chromedp.SendKeys(chromedp.CSS(sel), v))
	}
}

// waitText waits until the text of sel contains want.
func (b tab) waitText(sel, want string, within time.Duration) {
	b.t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(100 * time.Millisecond) {
		got := b.content(sel)
		if strings.Contains(got, want) {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("after %s, %s says %q, want %q in it\nlog:\n%s", within, sel, got, want, b.content("#log"))
		}
	}
}

// content is the text of sel as the page has it, shown or not (an empty
// list is not "visible", and chromedp.Text would wait for it).
func (b tab) content(sel string) string {
	b.t.Helper()
	return b.eval(`document.querySelector('` + sel + `').textContent`)
}
