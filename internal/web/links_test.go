package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

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
