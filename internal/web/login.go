package web

import (
	"errors"
	"net/http"

	"github.com/latchkey/latchkey/internal/auth"
)

type loginData struct {
	Form       *form
	Next       string
	Notice     string // after a password reset
	LoginLinks bool   // offer "E-mail me a sign-in link"
	// Unverified: the right password of an account whose address must be
	// proven first; the page offers to send the link again.
	Unverified bool
	Passkeys   bool // offer "Sign in with a passkey"
}

// loginForm is the login form; with passkeys on, its identifier field
// asks the browser to offer them among its suggestions (autofill).
func (s *site) loginForm() *form {
	ident := "username"
	if s.Auth.PasskeysOn() {
		ident = "username webauthn"
	}
	return newForm("login-form", "/login",
		input{"identifier", "Email or username", "text", ident},
		input{"password", "Password", "password", "current-password"})
}

func (s *site) loginPage(w http.ResponseWriter, r *http.Request) {
	next := s.safeNext(r.URL.Query().Get("next"))
	if principal(r) != nil && r.URL.Query().Has("next") {
		s.redirect(w, r, next) // sent here by a page that is now open to them
		return
	}
	if s.signedIn(w, r, "log in as someone else") {
		return
	}
	d := loginData{Form: s.loginForm(), Next: next, LoginLinks: s.Auth.LoginLinks(), Passkeys: s.Auth.PasskeysOn()}
	switch r.URL.Query().Get("done") {
	case "reset":
		d.Notice = "Your password was changed and every session logged out. Log in with the new password."
	case "expired":
		d.Notice = "That sign-in expired or had too many wrong codes; sign in again."
	}
	s.render(w, r, http.StatusOK, "login", "Log in", d)
}

// login opens a new browser session; any earlier session cookie is
// replaced, never reused.
func (s *site) login(w http.ResponseWriter, r *http.Request) {
	f := s.loginForm()
	if err := readForm(w, r, f, "remember_me", "next"); err != nil {
		badForm(w, err)
		return
	}
	next := s.safeNext(f.Values["next"])
	bs, err := s.Auth.LoginBrowser(r.Context(), f.Values["identifier"], f.Values["password"], f.Values["remember_me"] != "", s.client(r))
	if step := (*auth.SecondStepRequired)(nil); errors.As(err, &step) {
		s.askSecondFactor(w, r, step, next)
		return
	}
	if err != nil {
		status, ok := s.apply(w, r, f, err)
		if !ok {
			return // answered with the error page
		}
		// Wrong credentials point at the password field; a wait (throttled,
		// busy, unavailable) is no fault of what was typed.
		if status == http.StatusUnprocessableEntity && len(f.Errors) == 0 {
			f.set("password", "Check your email or username and password.")
		}
		s.render(w, r, status, "login", "Log in", loginData{Form: f, Next: next, LoginLinks: s.Auth.LoginLinks(),
			Unverified: errors.Is(err, auth.ErrEmailNotVerified), Passkeys: s.Auth.PasskeysOn()})
		return
	}
	s.startSession(w, r, bs)
	s.redirect(w, r, next)
}

// startSession gives the browser the cookie of its new session; an
// earlier session on this browser ends, never reused.
func (s *site) startSession(w http.ResponseWriter, r *http.Request, bs *auth.BrowserSession) {
	if old := s.Cookies.Read(r); old != "" {
		s.Auth.Logout(r.Context(), old, s.client(r))
	}
	s.Cookies.Set(w, bs.Token, bs.Session, s.Now())
}

// logout ends the session server-side and clears the cookie.
func (s *site) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.Auth.Logout(r.Context(), s.Cookies.Read(r), s.client(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	s.Cookies.Clear(w)
	s.redirect(w, r, "/")
}
