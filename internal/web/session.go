package web

import (
	"context"
	"net/http"
	"net/url"

	"github.com/latchkey/latchkey/internal/auth"
)

type (
	ctxKey       struct{}
	uncheckedKey struct{}
)

// principal is the logged-in caller, or nil.
func principal(r *http.Request) *auth.Principal {
	p, _ := r.Context().Value(ctxKey{}).(*auth.Principal)
	return p
}

// unchecked is why a request's session cookie could not be checked (the
// database was unreachable), or nil.
func unchecked(r *http.Request) error {
	err, _ := r.Context().Value(uncheckedKey{}).(error)
	return err
}

// withUser looks up the session cookie, if any, for every page. A cookie
// that no longer works (logged out, expired) is cleared, so the browser
// stops sending it. When the database cannot say, the cookie stays and
// the page is shown as to a visitor; a page that needs the login answers
// 503 instead (requireLogin).
func (s *site) withUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.Cookies.Has(r) {
			next.ServeHTTP(w, r)
			return
		}
		p, err := s.Auth.AuthorizeCookie(r.Context(), s.Cookies.Read(r), s.client(r))
		switch {
		case err == nil:
			r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, p))
		case auth.ErrorCode(err) == auth.CodeInvalidToken:
			s.Cookies.Clear(w)
		case auth.ErrorCode(err) == auth.CodeUnavailable:
			s.Log.WarnContext(r.Context(), "session check failed", "err", err)
			r = r.WithContext(context.WithValue(r.Context(), uncheckedKey{}, err))
		default:
			s.fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireLogin sends a visitor without a session to the login page, with
// the page they wanted as next. A visitor whose cookie could not be
// checked is most likely logged in: they get the outage's 503, not a
// login form that would fail the same way.
func (s *site) requireLogin(next http.HandlerFunc) http.Handler {
	return s.requireLoginKeeping(next, s.fail)
}

// requireLoginKeeping is requireLogin for a form whose page needs nothing
// else from the database (a new post): when the cookie cannot be checked,
// keep answers instead of the error page, re-rendering the form with what
// was typed, so that an outage loses nothing.
func (s *site) requireLoginKeeping(next http.HandlerFunc, keep func(http.ResponseWriter, *http.Request, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if principal(r) == nil {
			if err := unchecked(r); err != nil {
				keep(w, r, err)
				return
			}
			target := r.URL.Path
			if r.Method != http.MethodGet {
				target = "/" // a form post cannot be replayed after login
			}
			s.redirect(w, r, "/login?next="+url.QueryEscape(target))
			return
		}
		next(w, r)
	})
}
