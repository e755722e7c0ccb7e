package auth

import "context"

// CheckConfirmLink reports whether a link confirming a new address can
// still be used, and returns its user (PendingEmail is the address).
func (s *Service) CheckConfirmLink(ctx context.Context, raw string) (*User, error) {
	_, u, err := s.liveToken(ctx, TokenConfirmEmail, raw)
	return u, err
}

// ConfirmEmail uses the link sent to a pending address: it becomes the
// account's address, proven. If another account took the address in the
// meantime, the answer is ErrEmailTaken and the link stays as it was.
func (s *Service) ConfirmEmail(ctx context.Context, raw string, c Client) (*User, error) {
	t, u, err := s.liveToken(ctx, TokenConfirmEmail, raw)
	if err != nil {
		return nil, err
	}
	now := s.timestamp()
	changed := newEvent(EventEmailChanged, now, u.ID, c).with("old_email", u.Email, "new_email", t.Email)
	if err := s.useToken(ctx, t, Change{UserID: u.ID, At: now, Email: t.Email, ClearPending: true, VerifyEmail: true,
		Events: []Event{changed}}); err != nil {
		return nil, err
	}
	u.Email, u.PendingEmail, u.EmailVerifiedAt, u.UpdatedAt = t.Email, "", &now, now
	return u, nil
}

// CancelEmailChange forgets the caller's pending address; its link dies.
func (s *Service) CancelEmailChange(ctx context.Context, p *Principal) error {
	if p.User.PendingEmail == "" {
		return nil
	}
	return s.apply(ctx, Change{UserID: p.User.ID, At: s.timestamp(), ClearPending: true,
		EndTokens: []TokenKind{TokenConfirmEmail}})
}

// ResendEmailChange mails the pending address a new confirmation link, as
// any request for mail: per-IP budget, per-address limit.
func (s *Service) ResendEmailChange(ctx context.Context, p *Principal, c Client) error {
	if err := s.allowIP(ctx, c); err != nil {
		return err
	}
	u := p.User
	if u.PendingEmail == "" {
		return nil
	}
	now := s.timestamp()
	_, err := s.requestMail(ctx, MailConfirmEmail, u.PendingEmail,
		letter(MailConfirmEmail, TokenConfirmEmail, u, u.PendingEmail, now),
		newEvent(EventEmailChangeRequested, now, u.ID, c).in(p.Session.ID).with("new_email", u.PendingEmail, "resent", "true"))
	return err
}

// CheckUndoLink reports whether an undo link can still be used, and the
// address it would put back.
func (s *Service) CheckUndoLink(ctx context.Context, raw string) (address string, err error) {
	t, _, err := s.liveToken(ctx, TokenUndoEmailChange, raw)
	if err != nil {
		return "", err
	}
	return t.Email, nil
}

// UndoEmailChange uses the link in the notice sent to the old address: the
// owner gets the account back from whoever changed it. The old address
// comes back, proven; every session and refresh token ends; every other
// link dies; and a reset link goes to the old address, since whoever made
// the change may also know the password.
func (s *Service) UndoEmailChange(ctx context.Context, raw string, c Client) (*User, error) {
	t, u, err := s.liveToken(ctx, TokenUndoEmailChange, raw)
	if err != nil {
		return nil, err
	}
	now := s.timestamp()
	undone := newEvent(EventEmailChanged, now, u.ID, c).with("old_email", u.Email, "new_email", t.Email, "undo", "true")
	u.Email, u.PendingEmail, u.EmailVerifiedAt, u.UpdatedAt = t.Email, "", &now, now
	err = s.useToken(ctx, t, Change{
		UserID: u.ID, At: now, Email: t.Email, ClearPending: true, VerifyEmail: true, RevokeSessions: true,
		EndTokens: []TokenKind{TokenVerifyEmail, TokenResetPassword, TokenConfirmEmail, TokenLoginLink},
		Letters:   []Letter{letter(MailResetPassword, TokenResetPassword, u, t.Email, now)},
		Events:    []Event{undone},
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}
