package web

import (
	"errors"
	"net/http"

	"github.com/latchkey/latchkey/internal/auth"
)

// The pages behind the links in account e-mails, and the forms that ask
// for them. A link opened with GET only shows a page with one button:
// mail scanners fetch links to look at them, and must not use them up.
// Only the POST uses the token. A dead link (used, expired, unknown, of an
// address that is no longer the account's) gets one page, 410, saying how
// to ask for a new one.

// noReferrer keeps a token in the page's URL out of the Referer header of
// anything the page loads or links to.
func noReferrer(w http.ResponseWriter) { w.Header().Set("Referrer-Policy", "no-referrer") }

// deadLink answers a link that can no longer be used; other errors get the
// usual error page.
// A form sent by htmx (the reset form) swaps only its own element and
// nothing for a 410, so it is sent to the page instead.
func (s *site) deadLink(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, auth.ErrDeadLink) {
		s.fail(w, r, err)
		return
	}
	if r.Header.Get("HX-Request") == "true" {
		s.redirect(w, r, "/link-expired")
		return
	}
	s.linkExpired(w, r)
}

// linkExpired is the one page for a link that can no longer be used.
func (s *site) linkExpired(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusGone, "link_dead", "This link is no longer valid", nil)
}

// linkData is a link page's one button, and what it says.
type linkData struct {
	Action, Token, Button, Text string
}

// sentData is the "check your inbox" page: the same for every address.
type sentData struct{ Text string }

func forgotForm() *form {
	return newForm("forgot-form", "/forgot-password", input{"email", "Email", "email", "email"})
}

// requestData is a page that asks for mail: its form, or, once sent, what
// to expect in its place (in the form's own element, so that htmx, which
// swaps only that element, shows it too).
type requestData struct {
	Form *form
	Sent string
	Next string // the sign-in link's
}

func (s *site) forgotPasswordPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "forgot", "Forgot your password?", requestData{Form: forgotForm()})
}

// forgotPassword asks for a reset link. Whatever the address, the answer
// is the same page: it must not tell who has an account.
func (s *site) forgotPassword(w http.ResponseWriter, r *http.Request) {
	f := forgotForm()
	if err := readForm(w, r, f); err != nil {
		badForm(w, err)
		return
	}
	if err := s.Auth.RequestPasswordReset(r.Context(), f.Values["email"], s.client(r)); err != nil {
		status, ok := s.apply(w, r, f, err)
		if ok {
			s.render(w, r, status, "forgot", "Forgot your password?", requestData{Form: f})
		}
		return
	}
	s.render(w, r, http.StatusOK, "forgot", "Check your inbox", requestData{Form: f,
		Sent: "If " + f.Values["email"] + " belongs to an account, we have sent it a link to choose a new password. It works for 30 minutes."})
}

// resetForm is the form for a new password; for an account with two-step
// verification on (mfa), it asks for a code too: the link alone, which
// whoever reads the owner's mail has, must not be enough.
func resetForm(token string, mfa bool) *form {
	inputs := []input{
		{"new_password", "New password", "password", "new-password"},
		{"confirm_password", "Confirm new password", "password", "new-password"},
	}
	if mfa {
		inputs = append(inputs, input{"otp", "Code from your authenticator app", "text", "one-time-code"})
	}
	f := newForm("reset-form", "/reset-password", inputs...)
	if mfa {
		f.hint("otp", "Your account has two-step verification: six digits, or one of your recovery codes.")
	}
	f.Values["token"] = token
	return f
}

func (s *site) resetPasswordPage(w http.ResponseWriter, r *http.Request) {
	noReferrer(w)
	token := r.URL.Query().Get("token")
	u, err := s.Auth.CheckResetLink(r.Context(), token)
	if err != nil {
		s.deadLink(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "reset", "Choose a new password", resetForm(token, u.MFAEnabled()))
}

// resetPassword sets the new password and sends the visitor to log in with
// it: a reset logs nobody in (whoever asked for the link may not be the
// one who reads the mail). The link is checked first, to know whether the
// form asks for a code.
func (s *site) resetPassword(w http.ResponseWriter, r *http.Request) {
	noReferrer(w)
	token, ok := postedToken(w, r)
	if !ok {
		return
	}
	u, err := s.Auth.CheckResetLink(r.Context(), token)
	if err != nil {
		s.deadLink(w, r, err)
		return
	}
	f := resetForm(token, u.MFAEnabled())
	if err := readForm(w, r, f); err != nil {
		badForm(w, err)
		return
	}
	if f.Values["confirm_password"] != f.Values["new_password"] {
		f.set("confirm_password", "The two passwords do not match.")
		s.render(w, r, http.StatusUnprocessableEntity, "reset", "Choose a new password", f)
		return
	}
	if _, err := s.Auth.ResetPassword(r.Context(), f.Values["token"], f.Values["new_password"],
		auth.SecondFactor{Code: f.Values["otp"]}, s.client(r)); err != nil {
		if errors.Is(err, auth.ErrDeadLink) {
			s.deadLink(w, r, err)
			return
		}
		status, ok := s.apply(w, r, f, err)
		if ok {
			s.render(w, r, status, "reset", "Choose a new password", f)
		}
		return
	}
	s.redirect(w, r, "/login?done=reset")
}

func (s *site) verifyEmailPage(w http.ResponseWriter, r *http.Request) {
	noReferrer(w)
	token := r.URL.Query().Get("token")
	u, err := s.Auth.CheckVerifyLink(r.Context(), token)
	if err != nil {
		s.deadLink(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "link", "Confirm your address", linkData{
		Action: "/verify-email", Token: token, Button: "Confirm " + u.Email,
		Text: "Confirm that " + u.Email + " is the address of " + u.Username + ".",
	})
}

func (s *site) verifyEmail(w http.ResponseWriter, r *http.Request) {
	noReferrer(w)
	token, ok := postedToken(w, r)
	if !ok {
		return
	}
	u, err := s.Auth.VerifyEmail(r.Context(), token, s.client(r))
	if err != nil {
		s.deadLink(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "sent", "Address confirmed", sentData{Text: "Thank you: " + u.Email + " is confirmed."})
}

// resendVerification mails the logged-in user a new verification link.
func (s *site) resendVerification(w http.ResponseWriter, r *http.Request) {
	if err := s.Auth.ResendVerification(r.Context(), principal(r), s.client(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/account?done=verification")
}

func (s *site) confirmEmailPage(w http.ResponseWriter, r *http.Request) {
	noReferrer(w)
	token := r.URL.Query().Get("token")
	u, err := s.Auth.CheckConfirmLink(r.Context(), token)
	if err != nil {
		s.deadLink(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "link", "Confirm your new address", linkData{
		Action: "/confirm-email", Token: token, Button: "Use " + u.PendingEmail,
		Text: "Make " + u.PendingEmail + " the address of " + u.Username + " instead of " + u.Email + ".",
	})
}

func (s *site) confirmEmail(w http.ResponseWriter, r *http.Request) {
	noReferrer(w)
	token, ok := postedToken(w, r)
	if !ok {
		return
	}
	u, err := s.Auth.ConfirmEmail(r.Context(), token, s.client(r))
	if err != nil {
		s.deadLink(w, r, err) // a taken address is the error page's 422, saying so
		return
	}
	s.render(w, r, http.StatusOK, "sent", "Address changed", sentData{Text: "Your address is now " + u.Email + "."})
}

func (s *site) undoEmailChangePage(w http.ResponseWriter, r *http.Request) {
	noReferrer(w)
	token := r.URL.Query().Get("token")
	address, err := s.Auth.CheckUndoLink(r.Context(), token)
	if err != nil {
		s.deadLink(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "link", "Undo the change of address", linkData{
		Action: "/undo-email-change", Token: token, Button: "Put back " + address,
		Text: "This puts " + address + " back as the account's address, logs every session out, and sends " +
			address + " a link to choose a new password.",
	})
}

func (s *site) undoEmailChange(w http.ResponseWriter, r *http.Request) {
	noReferrer(w)
	token, ok := postedToken(w, r)
	if !ok {
		return
	}
	u, err := s.Auth.UndoEmailChange(r.Context(), token, s.client(r))
	if err != nil {
		s.deadLink(w, r, err)
		return
	}
	if p := principal(r); p != nil && p.User.ID == u.ID {
		s.Cookies.Clear(w) // this browser's session has ended with the others
	}
	s.render(w, r, http.StatusOK, "sent", "Address put back", sentData{
		Text: "The account's address is " + u.Email + " again and every session is logged out. " +
			"We have sent " + u.Email + " a link to choose a new password.",
	})
}

// cancelEmailChange and resendEmailChange act on the account's pending
// address, from the account page.
func (s *site) cancelEmailChange(w http.ResponseWriter, r *http.Request) {
	if err := s.Auth.CancelEmailChange(r.Context(), principal(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/account?done=cancelled")
}

func (s *site) resendEmailChange(w http.ResponseWriter, r *http.Request) {
	if err := s.Auth.ResendEmailChange(r.Context(), principal(r), s.client(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/account?done=pending")
}

// postedToken reads the token a link page's button posts.
func postedToken(w http.ResponseWriter, r *http.Request) (string, bool) { return posted(w, r, "token") }

// posted reads one field of a one-button form (a body of at most 1 MiB),
// answering a body it cannot read itself.
func posted(w http.ResponseWriter, r *http.Request, name string) (string, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		badForm(w, err)
		return "", false
	}
	return r.PostForm.Get(name), true
}

// resendVerificationTo mails a new verification link to the account an
// email or username names (the login page's button when an unproven
// address keeps its owner out); the same page whatever it names.
func (s *site) resendVerificationTo(w http.ResponseWriter, r *http.Request) {
	identifier, ok := posted(w, r, "identifier")
	if !ok {
		return
	}
	if err := s.Auth.RequestVerification(r.Context(), identifier, s.client(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "sent", "Check your inbox", sentData{
		Text: "If that account's address is not confirmed yet, a new link is on its way to it.",
	})
}
