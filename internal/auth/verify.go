package auth

import "context"

// ResendVerification mails the caller a new verification link (the older
// ones die), unless the address is proven already. Like every request for
// mail it counts against the per-IP budget and the per-address limit.
func (s *Service) ResendVerification(ctx context.Context, p *Principal, c Client) error {
	if err := s.allowIP(ctx, c); err != nil {
		return err
	}
	u := p.User
	if u.EmailVerifiedAt != nil {
		return nil
	}
	l := letter(MailVerifyEmail, TokenVerifyEmail, u, u.Email, s.timestamp())
	return s.requestMail(ctx, MailVerifyEmail, u.Email, &l)
}

// CheckVerifyLink reports whether a verification link can still be used,
// for the page that asks for the click that uses it.
func (s *Service) CheckVerifyLink(ctx context.Context, raw string) (*User, error) {
	_, u, err := s.liveToken(ctx, TokenVerifyEmail, raw)
	return u, err
}

// VerifyEmail uses a verification link: the address is proven.
func (s *Service) VerifyEmail(ctx context.Context, raw string) (*User, error) {
	t, u, err := s.liveToken(ctx, TokenVerifyEmail, raw)
	if err != nil {
		return nil, err
	}
	now := s.timestamp()
	if err := s.useToken(ctx, t, Change{UserID: u.ID, At: now, VerifyEmail: true}); err != nil {
		return nil, err
	}
	u.EmailVerifiedAt, u.UpdatedAt = &now, now
	return u, nil
}
