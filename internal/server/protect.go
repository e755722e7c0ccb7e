package server

import (
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/latchkey/latchkey/internal/hosts"
	"github.com/latchkey/latchkey/internal/sessioncookie"
)

// contentSecurityPolicy allows scripts, styles and images from Latchkey
// itself only: no inline script, no plugins, no <base> tricks, no framing.
// Forms post to Latchkey itself, but a login may then redirect to an app
// behind forward authentication (its next), and browsers hold a form's
// redirects to form-action too: the apps' hosts are listed there, each
// as a host-source without a scheme, which a browser matches on the page's
// scheme (or https) and the host's port, or the scheme's default port,
// as package hosts does. CSP has no syntax for an IPv6 address, so such a
// host is left out: the login leads there with JavaScript (htmx follows
// the redirect itself), not from a plain form.
func contentSecurityPolicy(apps []hosts.Host) string {
	formAction := "'self'"
	for _, h := range apps {
		if !strings.HasPrefix(h.Name, "[") {
			formAction += " " + h.String()
		}
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action " + formAction
}

// headers sets the headers every answer carries; apps are the hosts of
// forward authentication (see contentSecurityPolicy).
func headers(apps []hosts.Host, next http.Handler) http.Handler {
	csp := contentSecurityPolicy(apps)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// crossOrigin refuses state-changing requests from other sites that could
// ride on the session cookie (CSRF), with the standard library's
// CrossOriginProtection (Fetch Metadata and Origin), as the OWASP CSRF
// cheat sheet allows instead of form tokens.
//
// What is refused is what could use the session: a request is exempt when
// it cannot. That is the OAuth endpoints (token, revocation,
// introspection), which take no cookie; a request that authenticates with
// a bearer token and sends no cookie, which a browser never adds on its
// own; and any other write to the JSON API that sends no cookie. The API
// reads a session only from the cookie or a bearer token and sets no
// cookie of a new session, so without the cookie such a write acts as
// nobody's but its own: it is what an SPA on another origin does when it
// registers at POST /api/users. (A JSON body also makes a browser ask the
// CORS preflight first, which only LATCHKEY_CORS_ORIGINS pass.) The pages
// stay protected without a cookie, as a forged login or registration form
// would sign the visitor in to the attacker's account (login CSRF).
//
// The SPA origins that cors lets in are trusted no further: an SPA uses
// tokens, and a request from its origin that carries the cookie is as
// foreign to the session as one from any other site.
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
		if !cookies.Has(r) && (r.Header.Get("Authorization") != "" || apiPath(r)) {
			next.ServeHTTP(w, r)
			return
		}
		protected.ServeHTTP(w, r)
	})
}

// apiPath reports whether r is for the JSON API. It looks at the path as
// sent: one that reaches /api/ only once decoded ("/%61pi/…"), or that
// the router would clean first ("/api/../login"), is not taken for the
// API's, and stays protected.
func apiPath(r *http.Request) bool {
	p := r.URL.EscapedPath()
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/" // as the ServeMux cleans a path: the slash is kept
	}
	return strings.HasPrefix(p, "/api/") && p == clean
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
