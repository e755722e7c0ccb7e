package auth

import "context"

// Sign-in links (DESIGN.md, "Sign-in link"): a login without a password,
// for whoever can read the account's inbox. With LoginLinks off none of
// this exists; the transports do not route to it, and the flows answer
// ErrLoginLinksOff should anything call them.

// ErrLoginLinksOff is what the sign-in link flows answer when they are
// turned off.
var ErrLoginLinksOff = &Error{Code: CodeNotFound, Message: "Sign-in links are turned off on this server."}

// LoginLinks reports whether sign-in links are on.
func (s *Service) LoginLinks() bool { return s.opts.LoginLinks }

// RequestLoginLink mails a sign-in link to the account at email, if there
// is one that is not disabled; next (already checked by the caller to be a
// local path) is where the link leads after signing in. No account is
// created: an unknown address gets no mail, and the answer is the same.
func (s *Service) RequestLoginLink(ctx context.Context, email, next string, c Client) error {
	if !s.opts.LoginLinks {
		return ErrLoginLinksOff
	}
	return s.requestLink(ctx, MailLoginLink, email, next, c)
}

// CheckLoginLink reports whether a sign-in link can still be used, and
// whose it is, for the page that asks for the click that uses it.
func (s *Service) CheckLoginLink(ctx context.Context, raw string) (*User, error) {
	if !s.opts.LoginLinks {
		return nil, ErrLoginLinksOff
	}
	_, u, err := s.liveToken(ctx, TokenLoginLink, raw)
	return u, err
}

// useLoginLink uses a sign-in link: the address counts as proven (the link
// reached it). The session is opened by the caller, browser or API.
func (s *Service) useLoginLink(ctx context.Context, raw string, c Client) (u *User, err error) {
	defer func() { s.meter.Login(err) }()
	if !s.opts.LoginLinks {
		return nil, ErrLoginLinksOff
	}
	t, u, err := s.liveToken(ctx, TokenLoginLink, raw)
	if err != nil {
		return nil, err
	}
	now := s.timestamp()
	ch := Change{UserID: u.ID, At: now, VerifyEmail: true, Events: []Event{newEvent(EventLoginLinkUsed, now, u.ID, c)}}
	if !u.MFAEnabled() { // else the second step forgets the failures
		ch.ClearFailures = "user:" + u.ID
	}
	if err := s.useToken(ctx, t, ch); err != nil {
		return nil, err
	}
	u.EmailVerifiedAt = &now
	return u, nil
}

// LoginWithLink uses a sign-in link and opens a browser session, exactly
// as a password login does, with "remember me" off: after the second step
// when two-step verification is on (the link stands for the password, not
// for the phone).
func (s *Service) LoginWithLink(ctx context.Context, raw string, c Client) (*BrowserSession, error) {
	u, err := s.useLoginLink(ctx, raw, c)
	if err != nil {
		return nil, err
	}
	if u.MFAEnabled() {
		return nil, s.challenge(ctx, u, SessionBrowser, LoginLink, false)
	}
	return s.StartBrowserSession(ctx, u, false, c, LoginLink)
}

// LoginLinkGrant exchanges a sign-in link's token for a token pair (the
// token endpoint's extension grant, RFC 6749 §4.5).
func (s *Service) LoginLinkGrant(ctx context.Context, raw string, c Client) (*Grant, error) {
	u, err := s.useLoginLink(ctx, raw, c)
	if err != nil {
		return nil, err
	}
	if u.MFAEnabled() {
		return nil, s.challenge(ctx, u, SessionAPI, LoginLink, false)
	}
	return s.openAPISession(ctx, u, c, LoginLink, "")
}
