package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAccountActivity: /account lists the user's own last 20 events in
// words, with where they came from.
func TestAccountActivity(t *testing.T) {
	s := newSite(t)
	alice, _ := s.member(t, "alice")
	do(t, s.browser(t), "POST", s.URL+"/login", url.Values{"identifier": {"alice"}, "password": {"wrong password"}})
	s.signIn(t, "alice")
	if p := do(t, alice, "POST", s.URL+"/account/sessions/revoke-others", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("log out everywhere else: %d", p.status)
	}
	if p := do(t, alice, "POST", s.URL+"/account/password", url.Values{"current_password": {pw}, "new_password": {"a brand new passphrase"}, "confirm_password": {"a brand new passphrase"}}); p.status != http.StatusSeeOther {
		t.Fatalf("change password: %d", p.status)
	}
	p := do(t, alice, "GET", s.URL+"/account", nil, "User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
	_, activity, ok := strings.Cut(p.body, "Recent security activity")
	if p.status != 200 || !ok {
		t.Fatalf("account: %d, no activity section", p.status)
	}
	for _, want := range []string{"Account created", "Signed in after registering", "Sign-in failed: wrong password", "Signed in (password)",
		"Signed out everywhere else", "Password changed", "127.0.0.1", "<time datetime="} {
		if !strings.Contains(activity, want) {
			t.Errorf("the activity lacks %q", want)
		}
	}
	if i, j := strings.Index(activity, "Password changed"), strings.Index(activity, "Account created"); i > j {
		t.Error("the activity is not newest first")
	}

	// Only the last 20.
	for range 25 {
		do(t, s.browser(t), "POST", s.URL+"/login", url.Values{"identifier": {"alice"}, "password": {"wrong password"}})
	}
	p = do(t, alice, "GET", s.URL+"/account", nil)
	_, activity, _ = strings.Cut(p.body, "Recent security activity")
	if n := strings.Count(activity, "<li>"); n != 20 {
		t.Errorf("%d events listed, want the last 20", n)
	}
	if strings.Contains(activity, "Password changed") {
		t.Error("an event older than the last 20 is listed")
	}
}
