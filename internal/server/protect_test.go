package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/hosts"
	"github.com/latchkey/latchkey/internal/sessioncookie"
)

func TestCrossOriginProtection(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	// As New composes them: an SPA origin is configured for CORS.
	const spa = "https://app.example.com"
	h := cors([]string{spa}, crossOrigin(sessioncookie.New(nil, ""), ok))
	cookie := &http.Cookie{Name: "latchkey_session", Value: "tok"}
	tests := []struct {
		name, method, path string
		headers            map[string]string
		cookie             bool
		want               int
	}{
		{"same-origin POST with cookie", "POST", "/api/users/me/password",
			map[string]string{"Sec-Fetch-Site": "same-origin"}, true, 204},
		{"cross-site POST with cookie", "POST", "/api/users/me/password",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, true, 403},
		{"cross-site form POST, old browser (Origin only)", "POST", "/logout",
			map[string]string{"Origin": "https://evil.example"}, true, 403},
		{"cross-site admin action", "POST", "/admin/users/x/disable",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, true, 403},
		{"cross-site DELETE", "DELETE", "/api/sessions/x",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, true, 403},
		{"cross-site GET is safe", "GET", "/api/users/me",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, true, 204},
		{"bearer without cookie is exempt", "POST", "/api/users/me/password",
			map[string]string{"Sec-Fetch-Site": "cross-site", "Authorization": "Bearer x"}, false, 204},
		{"bearer with cookie is not exempt", "POST", "/api/users/me/password",
			map[string]string{"Sec-Fetch-Site": "cross-site", "Authorization": "Bearer x"}, true, 403},
		{"token endpoint is exempt", "POST", "/api/token",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, false, 204},
		{"token introspection is exempt, like the other token endpoints", "POST", "/api/token/introspect",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, true, 204},
		// A CORS origin is no CSRF exemption (DESIGN.md: the exemptions
		// above are the complete list); its SPA uses bearer tokens.
		{"SPA origin with cookie", "PATCH", "/api/users/me",
			map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": spa}, true, 403},
		{"SPA origin with cookie, old browser (Origin only)", "PATCH", "/api/users/me",
			map[string]string{"Origin": spa}, true, 403},
		{"SPA origin with cookie on a page", "POST", "/posts/new",
			map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": spa}, true, 403},
		{"SPA origin with cookie and bearer", "POST", "/api/users/me/password",
			map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": spa, "Authorization": "Bearer x"}, true, 403},
		// Registration from the SPA: no cookie, no bearer token, nothing
		// of anyone's session to ride on.
		{"SPA origin registers without cookie or bearer", "POST", "/api/users",
			map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": spa}, false, 204},
		{"SPA origin registers, old browser (Origin only)", "POST", "/api/users",
			map[string]string{"Origin": spa}, false, 204},
		{"SPA origin registers with the cookie", "POST", "/api/users",
			map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": spa}, true, 403},
		{"any site, API write without cookie", "POST", "/api/password-reset",
			map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, false, 204},
		{"any site, API write with cookie", "POST", "/api/posts",
			map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, true, 403},
		// The pages stay protected without a cookie: a forged login or
		// registration would sign the visitor in as the attacker.
		{"cross-site login form without cookie", "POST", "/login",
			map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, false, 403},
		{"cross-site registration form without cookie", "POST", "/register",
			map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, false, 403},
		{"SPA origin, login form without cookie", "POST", "/login",
			map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": spa}, false, 403},
		{"cross-site login form, old browser (Origin only)", "POST", "/login",
			map[string]string{"Origin": "https://evil.example"}, false, 403},
		// Paths that become /api/ only once decoded or cleaned are pages'.
		{"encoded /api/ prefix without cookie", "POST", "/%61pi/../login",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, false, 403},
		{"dot segments out of /api/ without cookie", "POST", "/api/../login",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, false, 403},
		{"double slash in /api/ without cookie", "POST", "/api//users",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, false, 403},
		{"encoded slash after /api without cookie", "POST", "/api%2Fusers",
			map[string]string{"Sec-Fetch-Site": "cross-site"}, false, 403},
		{"SPA origin, bearer without cookie", "PATCH", "/api/users/me",
			map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": spa, "Authorization": "Bearer x"}, false, 204},
		{"SPA origin, token endpoint", "POST", "/api/token",
			map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": spa}, false, 204},
		{"SPA origin, token revocation", "POST", "/api/token/revoke",
			map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": spa}, false, 204},
		{"non-browser client (no headers)", "POST", "/api/users", nil, true, 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "http://latchkey.test"+tt.path, nil)
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			if tt.cookie {
				r.AddCookie(cookie)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body.String())
			}
			if rec.Code == 403 && !strings.Contains(rec.Body.String(), "cross_origin_request") {
				t.Fatalf("refusal is not our problem document: %s", rec.Body.String())
			}
			if rec.Code == 204 && tt.headers["Origin"] == spa && rec.Header().Get("Access-Control-Allow-Origin") != spa {
				t.Fatalf("the SPA cannot read the answer: %v", rec.Header())
			}
		})
	}
}

func TestCORS(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	h := cors([]string{"https://app.example.com"}, ok)

	r := httptest.NewRequest("OPTIONS", "/api/users/me", nil)
	r.Header.Set("Origin", "https://app.example.com")
	r.Header.Set("Access-Control-Request-Method", "GET")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != 204 || rec.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		!strings.Contains(rec.Header().Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("preflight: %d %v", rec.Code, rec.Header())
	}
	if rec.Header().Get("Access-Control-Allow-Credentials") != "" {
		t.Fatal("credentials allowed cross-origin")
	}

	r = httptest.NewRequest("GET", "/api/users/me", nil)
	r.Header.Set("Origin", "https://evil.example")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("an unconfigured origin got CORS headers")
	}
}

func TestSecurityHeaders(t *testing.T) {
	rec := httptest.NewRecorder()
	headers(nil, http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	csp := rec.Header().Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("Referrer-Policy") != "same-origin" {
		t.Errorf("headers %v", rec.Header())
	}
	if !strings.HasSuffix(csp, "; form-action 'self'") {
		t.Errorf("without forward authentication, CSP %q lets forms lead elsewhere", csp)
	}
}

// TestFormActionListsForwardAuthHosts: a login form's redirect to an app
// behind forward authentication (its next) is held to form-action, so
// the apps' hosts are there, as CSP writes hosts: no IPv6 address.
func TestFormActionListsForwardAuthHosts(t *testing.T) {
	apps := []hosts.Host{{Name: "app.example.com"}, {Name: "tools.example.com", Port: 8443}, {Name: "127.0.0.1", Port: 3000}, {Name: "[::1]", Port: 3000}}
	rec := httptest.NewRecorder()
	headers(apps, http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", "/login", nil))
	csp := rec.Header().Get("Content-Security-Policy")
	if want := "; form-action 'self' app.example.com tools.example.com:8443 127.0.0.1:3000"; !strings.HasSuffix(csp, want) {
		t.Errorf("CSP %q does not end in %q", csp, want)
	}
}
