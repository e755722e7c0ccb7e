package verify

import (
	"context"
	"net/http"
	"path"
	"strings"
)

// claimsKey is the context key of a request's claims.
type claimsKey struct{}

// ClaimsFrom returns the claims Middleware put in a request's context, or
// nil when there are none (a public path requested without a valid token).
func ClaimsFrom(ctx context.Context) *Claims {
	c, _ := ctx.Value(claimsKey{}).(*Claims)
	return c
}

// ContextWithClaims returns ctx carrying c, as Middleware passes it on:
// for tests of handlers that sit behind Middleware.
func ContextWithClaims(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// A MiddlewareOption changes what Middleware lets through or how it
// answers.
type MiddlewareOption func(*middleware)

// Public lets requests for these paths through without a token. A prefix
// that ends in "/" covers the whole subtree ("/static/"), any other is one
// path ("/healthz"), as with http.ServeMux patterns. The request's path is
// cleaned first, so "/static/../admin" is not public. A valid token sent
// to a public path still puts its claims in the context; an invalid one is
// ignored there.
func Public(prefixes ...string) MiddlewareOption {
	return func(m *middleware) { m.public = append(m.public, prefixes...) }
}

// Realm sets the realm of the WWW-Authenticate challenge ("latchkey", as
// Latchkey's own API says).
func Realm(realm string) MiddlewareOption {
	// A quoted-string (RFC 9110 §5.6.4): a quote or backslash is escaped.
	realm = strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(realm)
	return func(m *middleware) { m.realm = realm }
}

type middleware struct {
	v      *Verifier
	next   http.Handler
	public []string
	realm  string
}

// Middleware lets a request through to next only with a valid bearer
// token (Authorization: Bearer …), whose claims it puts in the request's
// context (ClaimsFrom); paths made Public pass without one. Anything else
// is answered 401 with the RFC 6750 challenge: WWW-Authenticate: Bearer
// realm="latchkey" when no token was sent, and with error="invalid_token"
// when one was and was refused. It reads no cookie: browsers sign in to
// Latchkey itself, services receive tokens.
func (v *Verifier) Middleware(next http.Handler, opts ...MiddlewareOption) http.Handler {
	m := &middleware{v: v, next: next, realm: "latchkey"}
	for _, o := range opts {
		o(m)
	}
	return m
}

func (m *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, sent := bearer(r)
	public := m.isPublic(r.URL.Path)
	if !sent {
		if public {
			m.next.ServeHTTP(w, r)
			return
		}
		m.refuse(w, false)
		return
	}
	c, err := m.v.Verify(r.Context(), token)
	switch {
	case err == nil:
		m.next.ServeHTTP(w, r.WithContext(ContextWithClaims(r.Context(), c)))
	case public:
		m.next.ServeHTTP(w, r)
	default:
		m.refuse(w, true)
	}
}

// bearer returns the request's bearer token. A header of another scheme,
// or "Bearer" with nothing after it, is no token, as in Latchkey's API.
func bearer(r *http.Request) (string, bool) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

func (m *middleware) isPublic(p string) bool {
	if len(m.public) == 0 {
		return false
	}
	clean := path.Clean("/" + p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	for _, pub := range m.public {
		if clean == pub || (strings.HasSuffix(pub, "/") && strings.HasPrefix(clean, pub)) {
			return true
		}
	}
	return false
}

// refuse answers 401 with the RFC 6750 §3 challenge and an RFC 9457
// problem, as Latchkey's API does; the reason a token was refused stays
// out of it.
func (m *middleware) refuse(w http.ResponseWriter, invalid bool) {
	challenge := `Bearer realm="` + m.realm + `"`
	detail := "Send an access token from Latchkey as Authorization: Bearer <token>."
	if invalid {
		challenge += `, error="invalid_token"`
		detail = "The access token is invalid or has expired."
	}
	h := w.Header()
	h.Set("WWW-Authenticate", challenge)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusUnauthorized)
	w.Write([]byte(`{"title":"Unauthorized","status":401,"detail":"` + detail + `"}` + "\n"))
}
