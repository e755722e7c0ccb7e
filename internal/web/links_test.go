package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/store/storetest"
)

// TestRequireVerifiedEmailPages: with LATCHKEY_REQUIRE_VERIFIED_EMAIL,
// registering through the page does not log in but says to check the
// inbox; the right password then gets a message and "Send the link
// again", whose answer is the same page whatever it names.
func TestRequireVerifiedEmailPages(t *testing.T) {
	opts := auth.DefaultOptions()
	opts.RequireVerifiedEmail = true
	s := newSiteWith(t, storetest.Open(t), opts, nil)
	c := s.browser(t)
	p := do(t, c, "POST", s.URL+"/register", url.Values{"username": {"alice"}, "email": {"alice@example.com"},
		"password": {"correct horse battery"}, "confirm_password": {"correct horse battery"}})
	if p.status != 200 || !strings.Contains(p.body, "Check your inbox") {
		t.Fatalf("registration: %d", p.status)
	}
	if s.sessionCookie(t, c) != "" {
		t.Fatal("registration logged in an unverified account")
	}
	p = do(t, c, "POST", s.URL+"/login", url.Values{"identifier": {"alice"}, "password": {"correct horse battery"}})
	if p.status != http.StatusForbidden || !strings.Contains(p.body, "Confirm your e-mail address") || !strings.Contains(p.body, `action="/verify-email/resend"`) {
		t.Fatalf("login, unverified: %d\n%s", p.status, p.body)
	}
	wrong := do(t, c, "POST", s.URL+"/login", url.Values{"identifier": {"alice"}, "password": {"not the password"}})
	if wrong.status != 422 || strings.Contains(wrong.body, "/verify-email/resend") {
		t.Fatalf("a wrong password, unverified: %d", wrong.status)
	}
	var first string
	for _, who := range []string{"alice", "nobody"} {
		p := do(t, c, "POST", s.URL+"/verify-email/resend", url.Values{"identifier": {who}})
		if p.status != 200 {
			t.Fatalf("resend for %s: %d", who, p.status)
		}
		if first == "" {
			first = p.body
		} else if p.body != first {
			t.Fatal("the resend page differs between a known and an unknown name")
		}
	}
}

// TestDeadLinkPages: every page behind a mail's link answers an unknown
// token with the one 410 page, on GET and on POST, and keeps the token out
// of the Referer.
func TestDeadLinkPages(t *testing.T) {
	s := newSite(t)
	c := s.browser(t)
	for _, path := range []string{"/verify-email", "/reset-password", "/confirm-email", "/undo-email-change", "/login-link/confirm"} {
		get := do(t, c, "GET", s.URL+path+"?token=bm90LWEtdG9rZW4", nil)
		if get.status != http.StatusGone || !strings.Contains(get.body, "This link is no longer valid") {
			t.Errorf("GET %s: %d", path, get.status)
		}
		if rp := get.header.Get("Referrer-Policy"); rp != "no-referrer" {
			t.Errorf("GET %s: Referrer-Policy %q", path, rp)
		}
		form := url.Values{"token": {"bm90LWEtdG9rZW4"}, "new_password": {"a brand new passphrase"}, "confirm_password": {"a brand new passphrase"}}
		if post := do(t, c, "POST", s.URL+path, form); post.status != http.StatusGone {
			t.Errorf("POST %s: %d", path, post.status)
		}
	}
}

// TestConfirmTakenAddress: an address another account took while the
// change waited is refused when the link is used, saying so, and the link
// is not used up.
func TestConfirmTakenAddress(t *testing.T) {
	st := storetest.Open(t)
	s := newSiteOn(t, st)
	c := s.browser(t)
	if p := do(t, c, "POST", s.URL+"/register", registration("alice")); p.status != http.StatusSeeOther {
		t.Fatalf("register: %d", p.status)
	}
	if p := do(t, c, "POST", s.URL+"/account/profile", url.Values{"username": {"alice"}, "email": {"shared@example.com"}, "current_password": {pw}}); p.status != http.StatusSeeOther {
		t.Fatalf("change of address: %d %s", p.status, p.body)
	}
	mail, err := st.ClaimMail(context.Background(), time.Now().Add(time.Second), time.Hour, 100)
	if err != nil {
		t.Fatal(err)
	}
	token := ""
	for _, m := range mail {
		if m.Kind == auth.MailConfirmEmail {
			token = m.Token
		}
	}
	if token == "" {
		t.Fatalf("no confirmation among %d messages", len(mail))
	}
	bob := registration("bob")
	bob.Set("email", "shared@example.com")
	if p := do(t, s.browser(t), "POST", s.URL+"/register", bob); p.status != http.StatusSeeOther {
		t.Fatalf("bob takes the address: %d", p.status)
	}
	p := do(t, c, "POST", s.URL+"/confirm-email", url.Values{"token": {token}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "already exists") {
		t.Fatalf("confirming a taken address: %d\n%s", p.status, p.body)
	}
	if p := do(t, c, "GET", s.URL+"/confirm-email?token="+url.QueryEscape(token), nil); p.status != 200 {
		t.Fatalf("the link after the refusal: %d, want it still usable", p.status)
	}
}

// TestRegisterWhileSignedIn: the registration form is not offered to a
// visitor who is signed in; the page says who they are and how to log out,
// and a posted form creates nothing.
func TestRegisterWhileSignedIn(t *testing.T) {
	s := newSite(t)
	c := s.browser(t)
	if p := do(t, c, "POST", s.URL+"/register", registration("bob")); p.status != http.StatusSeeOther {
		t.Fatalf("register: %d", p.status)
	}
	p := do(t, c, "GET", s.URL+"/register", nil)
	if p.status != 200 || !strings.Contains(p.body, "signed in as <strong>bob</strong>") || strings.Contains(p.body, `id="register-form"`) {
		t.Fatalf("GET /register signed in: %d\n%s", p.status, p.body)
	}
	if p := do(t, c, "POST", s.URL+"/register", registration("carol")); !strings.Contains(p.body, "log out first") {
		t.Fatalf("POST /register signed in: %d", p.status)
	}
	if _, err := s.svc.FindUser(context.Background(), "carol"); err == nil {
		t.Fatal("an account was created while signed in")
	}
	// /login says so too; sent there with a next, it goes on to it.
	if p := do(t, c, "GET", s.URL+"/login", nil); p.status != 200 || !strings.Contains(p.body, "log in as someone else") || strings.Contains(p.body, `id="login-form"`) {
		t.Fatalf("GET /login signed in: %d", p.status)
	}
	if p := do(t, c, "GET", s.URL+"/login?next=%2Faccount", nil); p.status != http.StatusSeeOther || p.header.Get("Location") != "/account" {
		t.Fatalf("GET /login?next= signed in: %d %q", p.status, p.header.Get("Location"))
	}
}

// TestSkipLinkAndRememberWording: every page starts with a link to its
// content (the first thing a keyboard reaches), and the login page's box
// says what it does rather than a number of days the idle limit may cut
// short.
func TestSkipLinkAndRememberWording(t *testing.T) {
	s := newSite(t)
	p := do(t, s.browser(t), "GET", s.URL+"/login", nil)
	body := p.body[strings.Index(p.body, "<body>"):]
	first := strings.Index(body, "<a ")
	if first < 0 || !strings.HasPrefix(body[first:], `<a class="skip-link" href="#main">`) || !strings.Contains(body, `<main id="main">`) {
		t.Fatalf("the first link is not the skip link:\n%s", body[:min(len(body), 400)])
	}
	if !strings.Contains(p.body, "Keep me signed in on this device") || strings.Contains(p.body, "30 days") {
		t.Fatal("the remember-me label")
	}
}

// TestLogOutOthersSaysHowMany: "log out everywhere else" says how many
// sessions it ended.
func TestLogOutOthersSaysHowMany(t *testing.T) {
	s := newSite(t)
	c := s.browser(t)
	if p := do(t, c, "POST", s.URL+"/register", registration("alice")); p.status != http.StatusSeeOther {
		t.Fatalf("register: %d", p.status)
	}
	for range 2 {
		if p := do(t, s.browser(t), "POST", s.URL+"/login", url.Values{"identifier": {"alice"}, "password": {pw}}); p.status != http.StatusSeeOther {
			t.Fatalf("login: %d", p.status)
		}
	}
	p := do(t, c, "POST", s.URL+"/account/sessions/revoke-others", url.Values{})
	if p.status != http.StatusSeeOther {
		t.Fatalf("revoke others: %d", p.status)
	}
	if p := do(t, c, "GET", s.URL+p.header.Get("Location"), nil); !strings.Contains(p.body, "Logged out of 2 other sessions.") {
		t.Fatalf("the notice after logging out of two others:\n%s", p.body)
	}
}

// TestOneDateFormat: the post list, a post and the sessions list show a
// moment the same way, as a <time> with the exact instant and, in its
// title, the minute.
func TestOneDateFormat(t *testing.T) {
	s := newSite(t)
	c := s.browser(t)
	if p := do(t, c, "POST", s.URL+"/register", registration("alice")); p.status != http.StatusSeeOther {
		t.Fatalf("register: %d", p.status)
	}
	p := do(t, c, "POST", s.URL+"/posts/new", url.Values{"title": {"Hello"}, "body": {"x"}})
	path, _, _ := strings.Cut(p.header.Get("Location"), "?")
	day := time.Now().UTC().Format("2 January 2006")
	re := regexp.MustCompile(`<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ" title="` + day + `, \d\d:\d\d UTC">` + day + `</time>`)
	for _, page := range []string{"/", path, "/account"} {
		body := do(t, c, "GET", s.URL+page, nil).body
		if !re.MatchString(body) {
			t.Errorf("%s shows no <time> in the one format", page)
		}
		if strings.Contains(body, time.Now().UTC().Format("Jan 2006,")) {
			t.Errorf("%s still shows the short month format", page)
		}
	}
}
