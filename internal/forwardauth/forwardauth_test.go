package forwardauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/forwardauth"
	"github.com/latchkey/latchkey/internal/hosts"
)

// forwarded are the X-Forwarded-* headers of a proxy asked for
// GET https://app.example.com/reports?q=1, with changes: name, value
// pairs that replace a header, or remove it when the value is "".
func forwarded(changes ...string) []string {
	h := map[string]string{
		"X-Forwarded-Method": "GET",
		"X-Forwarded-Proto":  "https",
		"X-Forwarded-Host":   "app.example.com",
		"X-Forwarded-Uri":    "/reports?q=1",
	}
	for i := 0; i+1 < len(changes); i += 2 {
		h[changes[i]] = changes[i+1]
	}
	var pairs []string
	for k, v := range h {
		if v != "" {
			pairs = append(pairs, k, v)
		}
	}
	return pairs
}

// toLogin is the Location that sends a browser to the login page with
// next.
func toLogin(next string) string { return base + "/login?next=" + url.QueryEscape(next) }

func TestVerify(t *testing.T) {
	s := newServer(t)
	alice, root := s.register(t, "alice", false), s.register(t, "root", true)
	aliceCookie, aliceSession := s.browser(t, "alice")
	rootCookie, rootSession := s.browser(t, "root")
	aliceToken, rootToken := s.bearer(t, "alice"), s.bearer(t, "root")
	deadCookie, _ := s.browser(t, "alice")
	if err := s.svc.Logout(context.Background(), deadCookie.Value, auth.Client{}); err != nil {
		t.Fatal(err)
	}
	bearer := func(g *auth.Grant) []string { return []string{"Authorization", "Bearer " + g.AccessToken} }
	type who struct {
		user      *auth.User
		sessionID string
	}

	tests := []struct {
		name     string
		query    string
		cookie   *http.Cookie
		headers  []string
		status   int
		user     *who   // the X-Latchkey-* headers of a 204
		location string // of a 302
		invalid  bool   // a 401 says error="invalid_token"
	}{
		{name: "a session cookie", cookie: aliceCookie, status: 204, user: &who{alice, aliceSession.Session.ID}},
		{name: "a bearer token", headers: bearer(aliceToken), status: 204, user: &who{alice, aliceToken.Session.ID}},
		{name: "a bearer token wins over the cookie", cookie: rootCookie, headers: bearer(aliceToken), status: 204, user: &who{alice, aliceToken.Session.ID}},
		{name: "a bearer token, lower case", headers: []string{"Authorization", "bearer " + aliceToken.AccessToken}, status: 204, user: &who{alice, aliceToken.Session.ID}},
		{name: "any user", query: "role=user", cookie: aliceCookie, status: 204, user: &who{alice, aliceSession.Session.ID}},
		{name: "an admin", query: "role=admin", cookie: rootCookie, status: 204, user: &who{root, rootSession.Session.ID}},
		{name: "an admin's bearer token", query: "role=admin", headers: bearer(rootToken), status: 204, user: &who{root, rootToken.Session.ID}},
		{name: "an admin anywhere", query: "role=user&redirect=1", cookie: rootCookie, status: 204, user: &who{root, rootSession.Session.ID}},
		{name: "not an admin", query: "role=admin", cookie: aliceCookie, status: 403},
		{name: "not an admin, with a redirect asked for", query: "role=admin&redirect=1", cookie: aliceCookie, headers: forwarded(), status: 403},
		{name: "not an admin's bearer token", query: "role=admin", headers: bearer(aliceToken), status: 403},
		{name: "spoofed headers do not change who it is", cookie: aliceCookie,
			headers: []string{"X-Latchkey-User-Id", root.ID, "X-Latchkey-Role", "admin", "X-Latchkey-Username", "root"},
			status:  204, user: &who{alice, aliceSession.Session.ID}},
		{name: "spoofed headers make no admin", query: "role=admin", cookie: aliceCookie,
			headers: []string{"X-Latchkey-User-Id", root.ID, "X-Latchkey-Role", "admin"}, status: 403},

		{name: "anonymous", status: 401},
		{name: "anonymous, spoofing a user", headers: []string{"X-Latchkey-User-Id", alice.ID, "X-Latchkey-Role", "admin"}, status: 401},
		{name: "a logged-out cookie", cookie: deadCookie, status: 401, invalid: true},
		{name: "a cookie of another value", cookie: &http.Cookie{Name: aliceCookie.Name, Value: "forged"}, status: 401, invalid: true},
		{name: "a forged bearer token", headers: []string{"Authorization", "Bearer x.y.z"}, status: 401, invalid: true},
		{name: "Basic credentials", headers: []string{"Authorization", "Basic YWxpY2U6cHc="}, status: 401, invalid: true},
		{name: "an empty bearer token", cookie: aliceCookie, headers: []string{"Authorization", "Bearer "}, status: 401, invalid: true},
		{name: "two bearer tokens", headers: append(bearer(aliceToken), bearer(rootToken)...), status: 401, invalid: true},

		{name: "anonymous, redirected", query: "redirect=1", headers: forwarded(), status: 302, location: toLogin("https://app.example.com/reports?q=1")},
		{name: "anonymous, redirected for an admin page", query: "redirect=1&role=admin", headers: forwarded(), status: 302, location: toLogin("https://app.example.com/reports?q=1")},
		{name: "a logged-out cookie, redirected", query: "redirect=1", cookie: deadCookie, headers: forwarded(), status: 302, location: toLogin("https://app.example.com/reports?q=1")},
		{name: "HEAD, redirected", query: "redirect=1", headers: forwarded("X-Forwarded-Method", "HEAD"), status: 302, location: toLogin("https://app.example.com/reports?q=1")},
		{name: "the scheme in capitals", query: "redirect=1", headers: forwarded("X-Forwarded-Proto", "HTTPS"), status: 302, location: toLogin("https://app.example.com/reports?q=1")},
		{name: "the default port written", query: "redirect=1", headers: forwarded("X-Forwarded-Host", "app.example.com:443"), status: 302, location: toLogin("https://app.example.com/reports?q=1")},
		{name: "a host on its port", query: "redirect=1", headers: forwarded("X-Forwarded-Host", "tools.example.com:8443"), status: 302, location: toLogin("https://tools.example.com:8443/reports?q=1")},
		{name: "the base URL's host", query: "redirect=1", headers: forwarded("X-Forwarded-Proto", "http", "X-Forwarded-Host", "auth.example.com"), status: 302, location: toLogin("http://auth.example.com/reports?q=1")},
		{name: "a URI beyond ASCII", query: "redirect=1", headers: forwarded("X-Forwarded-Uri", "/caf\xc3\xa9?x=&y=%2F"), status: 302, location: toLogin("https://app.example.com/caf\xc3\xa9?x=&y=%2F")},
		{name: "two slashes in the URI", query: "redirect=1", headers: forwarded("X-Forwarded-Uri", "//evil.example/"), status: 302, location: toLogin("https://app.example.com//evil.example/")},
		{name: "a bearer program is not redirected", query: "redirect=1", headers: append(forwarded(), "Authorization", "Bearer x.y.z"), status: 401, invalid: true},
		{name: "no forwarded headers", query: "redirect=1", status: 401},
		{name: "no method", query: "redirect=1", headers: forwarded("X-Forwarded-Method", ""), status: 401},
		{name: "no scheme", query: "redirect=1", headers: forwarded("X-Forwarded-Proto", ""), status: 401},
		{name: "no host", query: "redirect=1", headers: forwarded("X-Forwarded-Host", ""), status: 401},
		{name: "no URI", query: "redirect=1", headers: forwarded("X-Forwarded-Uri", ""), status: 401},
		{name: "a POST", query: "redirect=1", headers: forwarded("X-Forwarded-Method", "POST"), status: 401},
		{name: "a method in lower case", query: "redirect=1", headers: forwarded("X-Forwarded-Method", "get"), status: 401},
		{name: "another scheme", query: "redirect=1", headers: forwarded("X-Forwarded-Proto", "javascript"), status: 401},
		{name: "two schemes", query: "redirect=1", headers: forwarded("X-Forwarded-Proto", "https,http"), status: 401},
		{name: "another host", query: "redirect=1", headers: forwarded("X-Forwarded-Host", "evil.example"), status: 401},
		{name: "a look-alike host", query: "redirect=1", headers: forwarded("X-Forwarded-Host", "app.example.com.evil.example"), status: 401},
		{name: "a punycode look-alike", query: "redirect=1", headers: forwarded("X-Forwarded-Host", "xn--pp-7ka.example.com"), status: 401},
		{name: "a host beyond ASCII", query: "redirect=1", headers: forwarded("X-Forwarded-Host", "\xd0\xb0pp.example.com"), status: 401},
		{name: "userinfo in the host", query: "redirect=1", headers: forwarded("X-Forwarded-Host", "app.example.com@evil.example"), status: 401},
		{name: "a path in the host", query: "redirect=1", headers: forwarded("X-Forwarded-Host", "app.example.com/x"), status: 401},
		{name: "two hosts", query: "redirect=1", headers: forwarded("X-Forwarded-Host", "app.example.com, evil.example"), status: 401},
		{name: "the host twice", query: "redirect=1", headers: append(forwarded(), "X-Forwarded-Host", "evil.example"), status: 401},
		{name: "the wrong port", query: "redirect=1", headers: forwarded("X-Forwarded-Host", "app.example.com:8443"), status: 401},
		{name: "a port left out", query: "redirect=1", headers: forwarded("X-Forwarded-Host", "tools.example.com"), status: 401},
		{name: "a tab in the host", query: "redirect=1", headers: forwarded("X-Forwarded-Host", "app.example.com\t.evil.example"), status: 401},
		{name: "a tab in the URI", query: "redirect=1", headers: forwarded("X-Forwarded-Uri", "/\t/evil.example"), status: 401},
		{name: "a backslash in the URI", query: "redirect=1", headers: forwarded("X-Forwarded-Uri", `/\evil.example`), status: 401},
		{name: "a URI without its slash", query: "redirect=1", headers: forwarded("X-Forwarded-Uri", "reports"), status: 401},
		{name: "an absolute URI", query: "redirect=1", headers: forwarded("X-Forwarded-Uri", "https://evil.example/"), status: 401},
		{name: "a URI with a space", query: "redirect=1", headers: forwarded("X-Forwarded-Uri", "/a b"), status: 401},

		{name: "an unknown role", query: "role=root", cookie: rootCookie, status: 400},
		{name: "a role in capitals", query: "role=Admin", cookie: rootCookie, status: 400},
		{name: "an empty role", query: "role=", cookie: rootCookie, status: 400},
		{name: "a misspelt parameter", query: "rol=admin", cookie: aliceCookie, status: 400},
		{name: "two roles", query: "role=admin&role=user", cookie: rootCookie, status: 400},
		{name: "redirect=true", query: "redirect=true", headers: forwarded(), status: 400},
		{name: "redirect=0", query: "redirect=0", headers: forwarded(), status: 400},
		{name: "an extra parameter", query: "redirect=1&next=https://evil.example", headers: forwarded(), status: 400},
		{name: "a bad escape", query: "role=%zz", cookie: rootCookie, status: 400},
		{name: "a semicolon", query: "role=admin;x=1", cookie: rootCookie, status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := s.verify(t, tt.query, tt.cookie, tt.headers...)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d", a.status, tt.status)
			}
			if a.body != "" {
				t.Errorf("body %q, want none", a.body)
			}
			if cc := a.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q", cc)
			}
			if a.header.Get("Set-Cookie") != "" {
				t.Errorf("Set-Cookie %q: it writes nothing", a.header.Get("Set-Cookie"))
			}
			want := map[string]string{}
			if tt.user != nil {
				want = map[string]string{
					forwardauth.HeaderUserID: tt.user.user.ID, forwardauth.HeaderUsername: tt.user.user.Username,
					forwardauth.HeaderRole: string(tt.user.user.Role), forwardauth.HeaderSessionID: tt.user.sessionID,
				}
			}
			for _, h := range []string{forwardauth.HeaderUserID, forwardauth.HeaderUsername, forwardauth.HeaderRole, forwardauth.HeaderSessionID} {
				if got := a.header.Values(h); (want[h] == "" && len(got) != 0) || (want[h] != "" && (len(got) != 1 || got[0] != want[h])) {
					t.Errorf("%s %q, want %q", h, got, want[h])
				}
			}
			if got := a.header.Get("Location"); got != tt.location {
				t.Errorf("Location %q\nwant     %q", got, tt.location)
			}
			if tt.status == 401 {
				challenge := `Bearer realm="latchkey"`
				if tt.invalid {
					challenge += `, error="invalid_token"`
				}
				if got := a.header.Get("WWW-Authenticate"); got != challenge {
					t.Errorf("WWW-Authenticate %q, want %q", got, challenge)
				}
			}
		})
	}
}

// TestVerifySeesChangesAtOnce: a logout, a disabled account and a new
// role count from the next request, as on Latchkey's own endpoints: the
// proxy asks about every request, and nothing is cached in between.
func TestVerifySeesChangesAtOnce(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	s.register(t, "alice", false)
	s.register(t, "root", true)
	cookie, _ := s.browser(t, "alice")
	token := s.bearer(t, "alice")
	bearer := []string{"Authorization", "Bearer " + token.AccessToken}
	status := func(query string, c *http.Cookie, headers ...string) int {
		return s.verify(t, query, c, headers...).status
	}
	if status("", cookie) != 204 || status("", nil, bearer...) != 204 || status("role=admin", cookie) != 403 {
		t.Fatal("alice is not let in as a user")
	}
	if _, err := s.svc.SetRole(ctx, nil, "alice", auth.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if got := status("role=admin", cookie); got != 204 {
		t.Errorf("made an admin: %d, want 204", got)
	}
	if _, err := s.svc.SetDisabled(ctx, nil, "alice", true); err != nil {
		t.Fatal(err)
	}
	if got, gotBearer := status("", cookie), status("", nil, bearer...); got != 401 || gotBearer != 401 {
		t.Errorf("disabled: cookie %d, bearer token %d; want 401", got, gotBearer)
	}
}

// TestVerifyWhenTheDatabaseIsDown: a 503 with a Retry-After, which every
// proxy passes on or turns into an error, never a 204 and never a
// redirect to a login that would fail the same way.
func TestVerifyWhenTheDatabaseIsDown(t *testing.T) {
	s := newServer(t)
	s.register(t, "alice", false)
	cookie, _ := s.browser(t, "alice")
	token := s.bearer(t, "alice")
	s.store.down.Store(true)
	for name, a := range map[string]answer{
		"cookie":                s.verify(t, "", cookie),
		"cookie, redirect":      s.verify(t, "redirect=1", cookie, forwarded()...),
		"bearer token":          s.verify(t, "", nil, "Authorization", "Bearer "+token.AccessToken),
		"bearer token as admin": s.verify(t, "role=admin", nil, "Authorization", "Bearer "+token.AccessToken),
	} {
		if a.status != 503 || a.header.Get("Retry-After") != "1" || a.body != "" || a.header.Get(forwardauth.HeaderUserID) != "" {
			t.Errorf("%s: %d Retry-After %q body %q", name, a.status, a.header.Get("Retry-After"), a.body)
		}
	}
	// Anonymous requests need no database.
	if a := s.verify(t, "redirect=1", nil, forwarded()...); a.status != 302 {
		t.Errorf("anonymous while the database is down: %d, want 302", a.status)
	}
	s.store.down.Store(false)
	if a := s.verify(t, "", cookie); a.status != 204 {
		t.Errorf("the database back: %d, want 204", a.status)
	}
}

// TestLoginUnderTheBasePath: the redirect goes to the login page under
// the base URL's path, absolute, as the browser that follows it is on the
// app's host.
func TestLoginUnderTheBasePath(t *testing.T) {
	u, _ := url.Parse("https://example.com/auth")
	h := forwardauth.Handler(forwardauth.Deps{BaseURL: u, Hosts: hosts.NewList(u, nil)})
	r := httptest.NewRequest("GET", "/auth/verify?redirect=1", nil)
	for i, p := 0, forwarded("X-Forwarded-Host", "example.com"); i < len(p); i += 2 {
		r.Header.Set(p[i], p[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if want := "https://example.com/auth/login?next=" + url.QueryEscape("https://example.com/reports?q=1"); w.Code != 302 || w.Header().Get("Location") != want {
		t.Errorf("%d Location %q, want 302 %q", w.Code, w.Header().Get("Location"), want)
	}
	if !strings.HasPrefix(w.Header().Get("Location"), "https://") {
		t.Error("the Location is not absolute")
	}
}

// TestControlCharactersFailClosed sends, straight to the handler,
// forwarded headers that net/http's server would refuse or trim before
// the handler saw them (another server in front, or a later Go, may not):
// a control character anywhere means no redirect.
func TestControlCharactersFailClosed(t *testing.T) {
	u, _ := url.Parse(base)
	h := forwardauth.Handler(forwardauth.Deps{BaseURL: u, Hosts: hosts.NewList(u, []hosts.Host{{Name: "app.example.com"}})})
	send := func(headers []string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/auth/verify?redirect=1", nil)
		for i := 0; i < len(headers); i += 2 {
			r.Header.Set(headers[i], headers[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	if w := send(forwarded()); w.Code != 302 {
		t.Fatalf("clean headers: %d, want 302", w.Code)
	}
	for _, name := range []string{"X-Forwarded-Method", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Uri"} {
		for _, c := range []string{"\x00", "\t", "\n", "\r", "\x1b", "\x7f"} {
			clean := map[string]string{"X-Forwarded-Method": "GET", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/reports"}
			for _, v := range []string{clean[name] + c, c + clean[name]} {
				if w := send(forwarded(name, v)); w.Code != 401 || w.Header().Get("Location") != "" {
					t.Errorf("%s %q: %d Location %q, want 401", name, v, w.Code, w.Header().Get("Location"))
				}
			}
		}
	}
}
