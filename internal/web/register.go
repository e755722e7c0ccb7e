package web

import (
	"net/http"

	"github.com/latchkey/latchkey/internal/auth"
)

type registerData struct {
	Form *form
	Next string
}

func registerForm() *form {
	return newForm("register-form", "/register",
		input{"username", "Username", "text", "username"},
		input{"email", "Email", "email", "email"},
		input{"password", "Password", "password", "new-password"},
		input{"confirm_password", "Confirm password", "password", "new-password"})
}

// signedIn answers a form that a signed-in visitor has no use for (a
// second account, another login) by saying who they are and how to log
// out, instead of quietly replacing their session; want says what they
// came to do.
func (s *site) signedIn(w http.ResponseWriter, r *http.Request, want string) bool {
	p := principal(r)
	if p == nil {
		return false
	}
	s.render(w, r, http.StatusOK, "signed_in", "You are signed in", struct{ Username, Want string }{p.User.Username, want})
	return true
}

func (s *site) registerPage(w http.ResponseWriter, r *http.Request) {
	if s.signedIn(w, r, "create another account") {
		return
	}
	s.render(w, r, http.StatusOK, "register", "Create an account", registerData{Form: registerForm(), Next: s.safeNext(r.URL.Query().Get("next"))})
}

// register creates the account and logs the new user in.
func (s *site) register(w http.ResponseWriter, r *http.Request) {
	if s.signedIn(w, r, "create another account") {
		return
	}
	f := registerForm()
	if err := readForm(w, r, f, "next"); err != nil {
		badForm(w, err)
		return
	}
	next := s.safeNext(f.Values["next"])
	reg := auth.Registration{Username: f.Values["username"], Email: f.Values["email"], Password: f.Values["password"]}
	for _, fe := range s.Auth.CheckRegistration(reg) {
		f.set(fe.Field, fe.Message)
	}
	if f.Values["confirm_password"] != f.Values["password"] {
		f.set("confirm_password", "The two passwords do not match.")
	}
	if f.HasErrors() {
		s.render(w, r, http.StatusUnprocessableEntity, "register", "Create an account", registerData{Form: f, Next: next})
		return
	}
	u, err := s.Auth.Register(r.Context(), reg, s.client(r))
	if err == nil && s.Auth.RequireVerifiedEmail() {
		// No session until the address is proven: say where to look.
		s.render(w, r, http.StatusOK, "sent", "Check your inbox", sentData{
			Text: "Welcome, " + u.Username + ". We have sent " + u.Email + " a link to confirm it; use it, then log in.",
		})
		return
	}
	var bs *auth.BrowserSession
	if err == nil {
		bs, err = s.Auth.StartBrowserSession(r.Context(), u, false, s.client(r), auth.LoginRegistration)
	}
	if err != nil {
		status, ok := s.apply(w, r, f, err)
		if !ok {
			return // answered with the error page
		}
		s.render(w, r, status, "register", "Create an account", registerData{Form: f, Next: next})
		return
	}
	s.Cookies.Set(w, bs.Token, bs.Session, s.Now())
	s.redirect(w, r, next)
}
