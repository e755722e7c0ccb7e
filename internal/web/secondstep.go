package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/latchkey/latchkey/internal/auth"
)

// The login's second step (DESIGN.md, "Login with a second factor"): a
// right password, or a sign-in link, of an account with two-step
// verification on opens no session yet. The answer is a page that asks
// for a code from the authenticator app (or a recovery code, in the same
// input: auth tells them apart), and only its POST opens the session.
// The waiting login is named by a hidden field, mfa_token: not a cookie,
// so no other page sends it, and it opens nothing without the code.

type secondStepData struct {
	Form *form
	Next string // where the login goes once done, as the first step had it
}

func secondStepForm(token string) *form {
	// A plain text input: inputmode="numeric" would give a phone a keypad
	// without the letters of a recovery code.
	f := newForm("second-step-form", "/login/verify", input{"otp", "Code from your authenticator app", "text", "one-time-code"})
	f.hint("otp", "Six digits, or one of your recovery codes.")
	f.focus = true
	f.Values["mfa_token"] = token
	return f
}

// askSecondFactor answers a first step that needs the second: the page
// that asks for the code, in place of the form that was sent.
func (s *site) askSecondFactor(w http.ResponseWriter, r *http.Request, step *auth.SecondStepRequired, next string) {
	s.renderWhole(w, r, http.StatusOK, "second_step", "Two-step verification",
		secondStepData{Form: secondStepForm(step.Token), Next: next})
}

// verifyLogin takes the second step. A wrong code shows the form again
// (the login still waits, for a few more tries); a login whose wait is
// over (expired, five wrong codes, used) goes back to the login page.
func (s *site) verifyLogin(w http.ResponseWriter, r *http.Request) {
	f := secondStepForm("")
	if err := readForm(w, r, f, "mfa_token", "next"); err != nil {
		badForm(w, err)
		return
	}
	next := s.safeNext(f.Values["next"])
	bs, err := s.Auth.CompleteBrowserLogin(r.Context(), f.Values["mfa_token"], auth.SecondFactor{Code: f.Values["otp"]}, s.client(r))
	if errors.Is(err, auth.ErrSecondStepOver) {
		s.redirect(w, r, loginAgain(next))
		return
	}
	if err != nil {
		status, ok := s.apply(w, r, f, err)
		if !ok {
			return // answered with the error page
		}
		s.render(w, r, status, "second_step", "Two-step verification", secondStepData{Form: f, Next: next})
		return
	}
	s.startSession(w, r, bs)
	s.redirect(w, r, next)
}

// loginAgain is the login page saying that the second step's wait is
// over, keeping next.
func loginAgain(next string) string {
	v := url.Values{"done": {"expired"}}
	if next != "/" {
		v.Set("next", next)
	}
	return "/login?" + v.Encode()
}
