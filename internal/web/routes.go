package web

import "net/http"

// routes registers every page: the site at a glance.
func (s *site) routes(mux *http.ServeMux) {
	page := func(pattern string, h http.Handler) { mux.Handle(pattern, s.withUser(h)) }

	mux.Handle("GET /static/", s.assets.handler())
	page("GET /{$}", http.HandlerFunc(s.home))
	page("GET /register", http.HandlerFunc(s.registerPage))
	page("POST /register", http.HandlerFunc(s.register))
	page("GET /login", http.HandlerFunc(s.loginPage))
	page("POST /login", http.HandlerFunc(s.login))
	page("POST /logout", http.HandlerFunc(s.logout))
	page("GET /link-expired", http.HandlerFunc(s.linkExpired))
	page("GET /forgot-password", http.HandlerFunc(s.forgotPasswordPage))
	page("POST /forgot-password", http.HandlerFunc(s.forgotPassword))
	page("GET /reset-password", http.HandlerFunc(s.resetPasswordPage))
	page("POST /reset-password", http.HandlerFunc(s.resetPassword))
	page("GET /verify-email", http.HandlerFunc(s.verifyEmailPage))
	page("POST /verify-email", http.HandlerFunc(s.verifyEmail))
	page("POST /verify-email/resend", http.HandlerFunc(s.resendVerificationTo))
	if s.Auth.LoginLinks() {
		page("GET /login-link", http.HandlerFunc(s.loginLinkPage))
		page("POST /login-link", http.HandlerFunc(s.requestLoginLink))
		page("GET /login-link/confirm", http.HandlerFunc(s.loginLinkConfirmPage))
		page("POST /login-link/confirm", http.HandlerFunc(s.loginWithLink))
	}
	page("GET /confirm-email", http.HandlerFunc(s.confirmEmailPage))
	page("POST /confirm-email", http.HandlerFunc(s.confirmEmail))
	page("GET /undo-email-change", http.HandlerFunc(s.undoEmailChangePage))
	page("POST /undo-email-change", http.HandlerFunc(s.undoEmailChange))
	page("GET /account", s.requireLogin(s.accountPage))
	page("POST /account/profile", s.requireLogin(s.updateProfile))
	page("POST /account/password", s.requireLogin(s.changePassword))
	page("POST /account/verification", s.requireLogin(s.resendVerification))
	page("POST /account/email/resend", s.requireLogin(s.resendEmailChange))
	page("POST /account/email/cancel", s.requireLogin(s.cancelEmailChange))
	page("POST /account/sessions/{id}/revoke", s.requireLogin(s.revokeSession))
	page("POST /account/sessions/revoke-others", s.requireLogin(s.revokeOtherSessions))
	page("GET /posts/new", s.requireLogin(s.newPostPage))
	page("POST /posts/new", s.requireLoginKeeping(s.createPost, s.keepNewPost))
	page("GET /posts/{id}", http.HandlerFunc(s.postPage))
	page("GET /posts/{id}/edit", s.requireLogin(s.editPostPage))
	page("POST /posts/{id}/edit", s.requireLogin(s.updatePost))
	page("POST /posts/{id}/delete", s.requireLogin(s.deletePost))
}
