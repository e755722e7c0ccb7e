package auth

import "context"

// ErrEmailNotVerified is the answer, with LATCHKEY_REQUIRE_VERIFIED_EMAIL,
// to the right password of an account whose address is not proven, and to
// its writes.
var ErrEmailNotVerified = &Error{Code: CodeEmailNotVerified,
	Message: "Confirm your e-mail address first: use the link we sent to it, or ask for a new one."}

// RequireVerifiedEmail reports whether unproven addresses may log in.
func (s *Service) RequireVerifiedEmail() bool { return s.opts.RequireVerifiedEmail }

// MayWrite says whether the caller may write (posts): with
// LATCHKEY_REQUIRE_VERIFIED_EMAIL only once their address is proven.
func (s *Service) MayWrite(p *Principal) error {
	if s.opts.RequireVerifiedEmail && p.User.EmailVerifiedAt == nil {
		return ErrEmailNotVerified
	}
	return nil
}

// RequestVerification mails a new verification link to the account an
// email or username names, if its address is not yet proven: the login
// page's "send the link again" for someone who cannot log in until they
// use it. Like every request for mail, the answer is the same whatever
// the identifier names.
func (s *Service) RequestVerification(ctx context.Context, identifier string, c Client) error {
	if err := s.allowIP(ctx, c); err != nil {
		return err
	}
	ident := normalizeIdentifier(identifier)
	if ident == "" || !PlainText(identifier, false) {
		return &Error{Code: CodeInvalid, Message: "Some fields need attention.", Fields: []FieldError{
			{Field: "identifier", Code: "required", Message: "Enter your email or username."}}}
	}
	// Queued under the identifier as typed (normalised); the sender looks
	// it up and mails the account's address, if it has one to prove.
	_, err := s.requestMail(ctx, MailVerifyEmail, ident, Letter{Mail: s.request(MailVerifyEmail, ident, "", c)})
	return err
}

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
	_, err := s.requestMail(ctx, MailVerifyEmail, u.Email, Letter{Mail: s.request(MailVerifyEmail, u.Email, "", p.Client)})
	return err
}

// CheckVerifyLink reports whether a verification link can still be used,
// for the page that asks for the click that uses it.
func (s *Service) CheckVerifyLink(ctx context.Context, raw string) (*User, error) {
	_, u, err := s.liveToken(ctx, TokenVerifyEmail, raw)
	return u, err
}

// VerifyEmail uses a verification link: the address is proven.
func (s *Service) VerifyEmail(ctx context.Context, raw string, c Client) (*User, error) {
	t, u, err := s.liveToken(ctx, TokenVerifyEmail, raw)
	if err != nil {
		return nil, err
	}
	now := s.timestamp()
	if err := s.useToken(ctx, t, Change{UserID: u.ID, At: now, VerifyEmail: true,
		Events: []Event{newEvent(EventEmailVerified, now, u.ID, c).with("email", u.Email)}}); err != nil {
		return nil, err
	}
	u.EmailVerifiedAt, u.UpdatedAt = &now, now
	return u, nil
}
