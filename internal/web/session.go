package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/latchkey/latchkey/internal/auth"
)

type ctxKey struct{}

// principal is the logged-in caller, or nil.
func principal(r *http.Request) *auth.Principal {
	p, _ := r.Context().Value(ctxKey{}).(*auth.Principal)
	return p
}

// withUser looks up the session cookie, if any, for every page. A cookie
// that no longer works (logged out, expired) is cleared, so the browser
// stops sending it.
func (s *site) withUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.Cookies.Has(r) {
			next.ServeHTTP(w, r)
			return
		}
		p, err := s.Auth.AuthorizeCookie(r.Context(), s.Cookies.Read(r))
		switch {
		case err == nil:
			r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, p))
		case auth.ErrorCode(err) == auth.CodeInvalidToken:
			s.Cookies.Clear(w)
		case auth.ErrorCode(err) == auth.CodeUnavailable:
			s.Log.WarnContext(r.Context(), "session check failed", "err", err) // show the page logged out
		default:
			s.fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireLogin sends a visitor without a session to the login page, with
// the page they wanted as next.
func (s *site) requireLogin(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if principal(r) == nil {
			target := r.URL.Path
			if r.Method != http.MethodGet {
				target = "/" // a form post cannot be replayed after login
			}
			redirect(w, r, "/login?next="+url.QueryEscape(target))
			return
		}
		next(w, r)
	})
}

// safeNext accepts only a local path: it starts with "/" and its second
// character is neither "/" nor "\" (which browsers read as another host).
// Anything else goes to "/".
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, `/\`) ||
		strings.ContainsAny(next, "\r\n\t") {
		return "/"
	}
	return next
}
