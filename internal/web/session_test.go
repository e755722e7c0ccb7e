package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/store/storetest"
)

// TestShortIdleTTL: with LATCHKEY_SESSION_IDLE_TTL under 12 hours, both
// kinds of cookie keep their form (Max-Age only when remembered, also on
// the cookie a password change renews) and both sessions idle out at the
// setting, not at 12 hours.
func TestShortIdleTTL(t *testing.T) {
	opts := auth.DefaultOptions()
	opts.SessionIdleTTL = time.Minute
	clock := authtest.NewClock()
	s := newSiteWith(t, storetest.Open(t), opts, clock.Now)
	if _, err := s.svc.Register(context.Background(), auth.Registration{Username: "alice", Email: "alice@example.com", Password: pw}, auth.Client{}); err != nil {
		t.Fatal(err)
	}
	// A remembered cookie lasts until the session's absolute end.
	maxAge := "Max-Age=" + strconv.Itoa(int(opts.SessionAbsoluteTTL/time.Second))
	password := pw
	login := func(remember bool) *http.Client {
		t.Helper()
		c := s.browser(t)
		form := url.Values{"identifier": {"alice"}, "password": {password}}
		if remember {
			form.Set("remember_me", "on")
		}
		p := do(t, c, "POST", s.URL+"/login", form)
		if p.status != http.StatusSeeOther {
			t.Fatalf("login, remember me %v: %d", remember, p.status)
		}
		if got := p.header.Get("Set-Cookie"); strings.Contains(got, "Max-Age") != remember || remember && !strings.Contains(got, maxAge) {
			t.Errorf("login, remember me %v: Set-Cookie %q", remember, got)
		}
		if p := do(t, c, "GET", s.URL+"/account", nil); p.status != http.StatusOK {
			t.Fatalf("account right after login, remember me %v: %d", remember, p.status)
		}
		return c
	}

	short, long := login(false), login(true)
	clock.Advance(75 * time.Second)
	for name, c := range map[string]*http.Client{"browser session": short, "remembered": long} {
		p := do(t, c, "GET", s.URL+"/account", nil)
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?next=%2Faccount" {
			t.Errorf("%s after 75 s idle: %d %q, want the login page", name, p.status, p.header.Get("Location"))
		}
	}

	// A password change renews the cookie in the form it had.
	for _, remember := range []bool{false, true} {
		c, changed := login(remember), password+"!"
		p := do(t, c, "POST", s.URL+"/account/password", url.Values{"current_password": {password}, "new_password": {changed}, "confirm_password": {changed}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("password change, remember me %v: %d", remember, p.status)
		}
		password = changed
		if got := p.header.Get("Set-Cookie"); strings.Contains(got, "Max-Age") != remember || remember && !strings.Contains(got, maxAge) {
			t.Errorf("cookie renewed by a password change, remember me %v: %q", remember, got)
		}
	}
}
