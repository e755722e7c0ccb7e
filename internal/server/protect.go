package server

import (
	"net/http"
	"slices"
	"strings"

	"github.com/latchkey/latchkey/internal/sessioncookie"
)

// contentSecurityPolicy allows scripts, styles and images from Latchkey
// itself only: no inline script, no plugins, no <base> tricks, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// headers sets the headers every answer carries.
func headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// crossOrigin refuses state-changing requests from other sites that could
// ride on the session cookie (CSRF), with the standard library's
// CrossOriginProtection (Fetch Metadata and Origin), as the OWASP CSRF
// cheat sheet allows instead of form tokens. Exempt: the OAuth endpoints
// (token, revocation, introspection), which take no cookie, and requests that authenticate with a bearer token
// and send no cookie, which a browser never adds on its own. That list is
// complete: the SPA origins that cors lets in are not trusted here, because
// an SPA uses tokens, and a request from its origin that carries the cookie
// is as foreign to the session as one from any other site.
func crossOrigin(cookies sessioncookie.Jar, next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.AddInsecureBypassPattern("POST /api/token")
	cop.AddInsecureBypassPattern("POST /api/token/revoke")
	cop.AddInsecureBypassPattern("POST /api/token/introspect")
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"type":"about:blank","title":"Forbidden","status":403,"code":"cross_origin_request",` +
			`"detail":"Cross-origin requests that could carry the session cookie are refused."}` + "\n"))
	}))
	protected := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" && !cookies.Has(r) {
			next.ServeHTTP(w, r)
			return
		}
		protected.ServeHTTP(w, r)
	})
}

// cors lets the configured SPA origins call the JSON API with bearer
// tokens. Credentials (cookies) are not allowed cross-origin: an SPA on
// another origin uses tokens, and crossOrigin refuses its writes that carry
// the cookie.
func cors(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || !strings.HasPrefix(r.URL.Path, "/api/") || !slices.Contains(origins, origin) {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", "Location, Retry-After, WWW-Authenticate")
		next.ServeHTTP(w, r)
	})
}
