package auth

import "context"

// RequestPasswordReset mails a reset link to the account at email, if
// there is one that is not disabled. The caller answers the same whatever
// happens here (DESIGN.md, "Requests for mail"), and the request's work is
// the same too: the account is looked up by the sender (ResolveMail).
func (s *Service) RequestPasswordReset(ctx context.Context, email string, c Client) error {
	return s.requestLink(ctx, MailResetPassword, email, "", c)
}

// CheckResetLink reports whether a reset link can still be used, for the
// page that asks for the new password.
func (s *Service) CheckResetLink(ctx context.Context, raw string) (*User, error) {
	_, u, err := s.liveToken(ctx, TokenResetPassword, raw)
	return u, err
}

// ResetPassword uses a reset link to set a new password. A password the
// rules refuse leaves the link as it was. On success every session and
// refresh token of the account ends (whoever had the old password is out),
// its failed logins are forgotten, the address counts as proven (the link
// reached it), and a notice says the password changed. Nobody is logged
// in: the owner logs in with the new password.
//
// With two-step verification on, the reset also needs f, a code from the
// app or a recovery code: whoever reads the owner's mail must not be able
// to take the password, and end the owner's sessions, with it alone.
func (s *Service) ResetPassword(ctx context.Context, raw, newPassword string, f SecondFactor, c Client) (*User, error) {
	t, u, err := s.liveToken(ctx, TokenResetPassword, raw)
	if err != nil {
		return nil, err
	}
	errs := s.newPasswordErrors(u, newPassword)
	if u.MFAEnabled() && !f.given() {
		errs = append(errs, FieldError{Field: "otp", Code: "required",
			Message: "This account has two-step verification: enter the code your app shows, or a recovery code."})
	}
	if len(errs) > 0 {
		return nil, &Error{Code: CodeInvalid, Message: "Some fields need attention.", Fields: errs}
	}
	var (
		use *FactorUse
		a   attempt
	)
	if u.MFAEnabled() {
		var ok bool
		if use, ok, a, err = s.checkFactor(ctx, u, f); err != nil {
			return nil, err
		}
		if !ok {
			return nil, errWrongCode("otp")
		}
	}
	hash, err := s.hasher.Hash(ctx, newPassword)
	if err != nil {
		return nil, a.finish(ctx, hashError(err), "otp")
	}
	now := s.timestamp()
	err = s.useToken(ctx, t, Change{
		UserID: u.ID, At: now, PasswordHash: hash, VerifyEmail: true,
		RevokeSessions: true, ClearFailures: "user:" + u.ID,
		EndTokens: []TokenKind{TokenResetPassword, TokenLoginLink},
		Letters:   []Letter{{Mail: notice(MailPasswordChanged, u, u.Email, now, "")}},
		Events:    []Event{newEvent(EventPasswordReset, now, u.ID, c)},
		Factor:    use,
	})
	if err = a.finish(ctx, err, "otp"); err != nil {
		return nil, err
	}
	return u, nil
}

// newPasswordErrors checks a new password against the rules, naming the
// field new_password.
func (s *Service) newPasswordErrors(u *User, pw string) []FieldError {
	var errs []FieldError
	for _, e := range s.rules.CheckPassword(pw, u.Username, u.Email) {
		e.Field = "new_password"
		errs = append(errs, e)
	}
	return errs
}
