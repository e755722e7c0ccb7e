package main

import (
	"net/http"
	"net/http/cookiejar"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/mail/mailtest"
)

// fetch is send (cors_test.go) with a form for its body, none for nil:
// how a page is posted.
func fetch(t *testing.T, c *http.Client, method, url string, form neturl.Values, headers ...string) answer {
	t.Helper()
	if form == nil {
		return send(t, c, method, url, "", "", headers...)
	}
	return send(t, c, method, url, "application/x-www-form-urlencoded", form.Encode(), headers...)
}

// browserClient is a client with a cookie jar that does not follow
// redirects.
func browserClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// TestAccountMailsOverSMTP runs the server with a real SMTP server and
// follows the links in what arrives: verification, a reset request whose
// Host and X-Forwarded-Host lie (the link still names the base URL), a
// change of address confirmed and then undone from the old address.
func TestAccountMailsOverSMTP(t *testing.T) {
	sink := mailtest.NewSink(t)
	base := "http://latchkey.test"
	url, _ := startServer(t, testEnv(t, "LATCHKEY_SMTP_URL", sink.URL(), "LATCHKEY_BASE_URL", base))
	local := func(link string) string { return url + strings.TrimPrefix(link, base) }
	n := 0
	next := func(to, subject string) mailtest.Received {
		t.Helper()
		n++
		m := sink.Wait(t, n, 10*time.Second)[n-1]
		if len(m.To) != 1 || m.To[0] != to || !strings.Contains(m.Subject, subject) {
			t.Fatalf("message %d: to %v, subject %q; want %s, %q", n, m.To, m.Subject, to, subject)
		}
		return m
	}

	// Registering mails a verification link; opening it changes nothing,
	// its button does.
	register(t, url, "alice")
	verify := next("alice@example.com", "Confirm your e-mail address").Link(t, "/verify-email")
	c := browserClient()
	if p := fetch(t, c, "GET", local(verify), nil); p.status != 200 || p.header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("GET the verification link: %d, Referrer-Policy %q", p.status, p.header.Get("Referrer-Policy"))
	}
	_, pair := tokenRequest(t, url, neturl.Values{"username": {"alice"}, "password": {testPassword}})
	if got := meBody(t, url, pair.AccessToken); !strings.Contains(got, `"email_verified":false`) {
		t.Fatalf("verified by a GET: %s", got)
	}
	token := linkToken(t, verify)
	if p := fetch(t, c, "POST", url+"/verify-email", neturl.Values{"token": {token}}); p.status != 200 {
		t.Fatalf("POST the verification: %d", p.status)
	}
	if got := meBody(t, url, pair.AccessToken); !strings.Contains(got, `"email_verified":true`) {
		t.Fatalf("after the verification: %s", got)
	}
	if p := fetch(t, c, "GET", local(verify), nil); p.status != http.StatusGone || !strings.Contains(p.body, "no longer valid") {
		t.Fatalf("the used link: %d", p.status)
	}

	// Host-header poisoning: the link names the base URL whatever the
	// request said.
	p := fetch(t, c, "POST", url+"/forgot-password", neturl.Values{"email": {"alice@example.com"}},
		"Host", "evil.example", "X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "https")
	if p.status != 200 {
		t.Fatalf("forgot password: %d", p.status)
	}
	reset := next("alice@example.com", "Reset your").Link(t, "/reset-password")
	if !strings.HasPrefix(reset, base+"/reset-password?token=") || strings.Contains(reset, "evil") {
		t.Fatalf("reset link %q", reset)
	}

	// A change of address: the confirmation goes to the new address, the
	// notice with its undo link to the old one.
	if p := fetch(t, c, "POST", url+"/login", neturl.Values{"identifier": {"alice"}, "password": {testPassword}}); p.status != http.StatusSeeOther {
		t.Fatalf("login: %d", p.status)
	}
	if p := fetch(t, c, "POST", url+"/account/profile", neturl.Values{"username": {"alice"}, "email": {"alice@new.example"}, "current_password": {testPassword}}); p.status != http.StatusSeeOther {
		t.Fatalf("change of address: %d %s", p.status, p.body)
	}
	if p := fetch(t, c, "GET", url+"/account", nil); !strings.Contains(p.body, "alice@new.example") || !strings.Contains(p.body, "Cancel the change") {
		t.Fatalf("the account page does not show the pending address")
	}
	var confirm, undo string
	for range 2 {
		m := sink.Wait(t, n+1, 10*time.Second)[n]
		n++
		switch m.To[0] {
		case "alice@new.example":
			confirm = m.Link(t, "/confirm-email")
		case "alice@example.com":
			undo = m.Link(t, "/undo-email-change")
			if !strings.Contains(m.Text, "alice@new.example") {
				t.Errorf("the notice does not name the new address:\n%s", m.Text)
			}
		}
	}
	if confirm == "" || undo == "" {
		t.Fatalf("confirmation %q, undo %q", confirm, undo)
	}
	if p := fetch(t, c, "POST", url+"/confirm-email", neturl.Values{"token": {linkToken(t, confirm)}}); p.status != 200 {
		t.Fatalf("confirm: %d %s", p.status, p.body)
	}
	if got := meBody(t, url, pair.AccessToken); !strings.Contains(got, `"email":"alice@new.example"`) {
		t.Fatalf("after the confirmation: %s", got)
	}
	// The reset link went to the old address: dead now.
	if p := fetch(t, c, "GET", local(reset), nil); p.status != http.StatusGone {
		t.Fatalf("a reset link to the old address after the change: %d", p.status)
	}

	// The owner of the old address takes the account back.
	owner := browserClient()
	if p := fetch(t, owner, "GET", local(undo), nil); p.status != 200 || !strings.Contains(p.body, "alice@example.com") {
		t.Fatalf("GET undo: %d", p.status)
	}
	if p := fetch(t, owner, "POST", url+"/undo-email-change", neturl.Values{"token": {linkToken(t, undo)}}); p.status != 200 {
		t.Fatalf("POST undo: %d %s", p.status, p.body)
	}
	if got := me(t, url, pair.AccessToken); got != http.StatusUnauthorized {
		t.Fatalf("a session from before the undo: %d", got)
	}
	if p := fetch(t, c, "GET", url+"/account", nil); p.status != http.StatusSeeOther {
		t.Fatalf("the browser session from before the undo: %d", p.status)
	}
	back := next("alice@example.com", "Reset your").Link(t, "/reset-password")
	if p := fetch(t, owner, "GET", local(back), nil); p.status != 200 {
		t.Fatalf("the reset link the undo sent: %d", p.status)
	}
}

// TestMailWithoutSMTPGoesToFiles: with no SMTP server configured, a
// message is an .eml file in LATCHKEY_MAIL_DIR, and its link works.
func TestMailWithoutSMTPGoesToFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	url, _ := startServer(t, testEnv(t, "LATCHKEY_MAIL_DIR", dir))
	register(t, url, "alice")
	var files []string
	deadline := time.Now().Add(10 * time.Second)
	for len(files) == 0 && time.Now().Before(deadline) {
		files, _ = filepath.Glob(filepath.Join(dir, "*.eml"))
		time.Sleep(20 * time.Millisecond)
	}
	if len(files) != 1 {
		t.Fatalf("%d .eml files in %s, want 1", len(files), dir)
	}
	if fi, err := os.Stat(files[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the file's mode: %v %v", fi.Mode(), err)
	}
	m := mailtest.ReadEML(t, files[0])
	link := m.Link(t, "/verify-email")
	if !strings.HasPrefix(link, url) {
		t.Fatalf("link %q is not on the base URL %s", link, url)
	}
	if p := fetch(t, browserClient(), "GET", link, nil); p.status != 200 {
		t.Fatalf("the link from the file: %d", p.status)
	}
}

// TestLoginLinksOffHasNoPages: LATCHKEY_LOGIN_LINKS=false removes the
// pages and the offer on the login page.
func TestLoginLinksOffHasNoPages(t *testing.T) {
	url, _ := startServer(t, testEnv(t, "LATCHKEY_LOGIN_LINKS", "false"))
	c := browserClient()
	for _, path := range []string{"/login-link", "/login-link/confirm?token=x"} {
		if p := fetch(t, c, "GET", url+path, nil); p.status != http.StatusNotFound {
			t.Errorf("GET %s: %d", path, p.status)
		}
	}
	if p := fetch(t, c, "GET", url+"/login", nil); strings.Contains(p.body, "/login-link") {
		t.Error("the login page offers a sign-in link")
	}
}

// linkToken is a link's token= value.
func linkToken(t *testing.T, link string) string {
	t.Helper()
	u, err := neturl.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

// meBody is GET /api/users/me's body.
func meBody(t *testing.T, base, accessToken string) string {
	t.Helper()
	return fetch(t, http.DefaultClient, "GET", base+"/api/users/me", nil, "Authorization", "Bearer "+accessToken).body
}
