package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/latchkey/latchkey/internal/auth"
)

// The sign-in link pages (DESIGN.md, "Sign-in link"); routed only when
// sign-in links are on.

func loginLinkForm() *form {
	return newForm("login-link-form", "/login-link", input{"email", "Email", "email", "email"})
}

func (s *site) loginLinkPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "login_link", "E-mail me a sign-in link",
		requestData{Form: loginLinkForm(), Next: s.safeNext(r.URL.Query().Get("next"))})
}

// requestLoginLink asks for a link; the answer is the same page for every
// address.
func (s *site) requestLoginLink(w http.ResponseWriter, r *http.Request) {
	f := loginLinkForm()
	if err := readForm(w, r, f, "next"); err != nil {
		badForm(w, err)
		return
	}
	next := s.safeNext(f.Values["next"])
	if err := s.Auth.RequestLoginLink(r.Context(), f.Values["email"], next, s.client(r)); err != nil {
		status, ok := s.apply(w, r, f, err)
		if ok {
			s.render(w, r, status, "login_link", "E-mail me a sign-in link", requestData{Form: f, Next: next})
		}
		return
	}
	s.render(w, r, http.StatusOK, "login_link", "Check your inbox", requestData{Form: f, Next: next,
		Sent: "If " + f.Values["email"] + " belongs to an account, we have sent it a sign-in link. It works for 10 minutes, once."})
}

// loginLinkConfirmPage shows "Sign in as NAME": opening the link signs
// nobody in, only the button does.
func (s *site) loginLinkConfirmPage(w http.ResponseWriter, r *http.Request) {
	noReferrer(w)
	token := r.URL.Query().Get("token")
	u, err := s.Auth.CheckLoginLink(r.Context(), token)
	if err != nil {
		s.deadLink(w, r, err)
		return
	}
	action := "/login-link/confirm"
	if next := s.safeNext(r.URL.Query().Get("next")); next != "/" {
		action += "?" + url.Values{"next": {next}}.Encode()
	}
	s.render(w, r, http.StatusOK, "link", "Sign in", linkData{
		Action: action, Token: token, Button: "Sign in as " + u.Username,
		Text: "This link signs you in as " + u.Username + " (" + u.Email + ") in this browser.",
	})
}

// loginWithLink uses the link: a new browser session, as a password login
// opens, with "remember me" off.
func (s *site) loginWithLink(w http.ResponseWriter, r *http.Request) {
	noReferrer(w)
	token, ok := postedToken(w, r)
	if !ok {
		return
	}
	next := s.safeNext(r.URL.Query().Get("next"))
	bs, err := s.Auth.LoginWithLink(r.Context(), token, s.client(r))
	if step := (*auth.SecondStepRequired)(nil); errors.As(err, &step) {
		s.askSecondFactor(w, r, step, next) // the link is used up: it stood for the password
		return
	}
	if err != nil {
		s.deadLink(w, r, err)
		return
	}
	s.startSession(w, r, bs)
	s.redirect(w, r, next)
}
