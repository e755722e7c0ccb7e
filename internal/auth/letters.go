package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// Per address and kind of message, at most one request a minute and
// MailPerHour an hour send mail (DESIGN.md, "Requests for mail"); more are
// dropped without a word, so the answer stays the same.
const MailPerHour = 5

// ErrDeadLink is the one answer for a link's token that is unknown, used,
// expired, of another kind, of a disabled account or for an address that is
// no longer the account's: which of these it is would tell a guesser
// something, and the owner can do the same thing about each (ask again).
var ErrDeadLink = &Error{Code: CodeInvalidToken, Message: "This link is no longer valid. Ask for a new one."}

// liveToken returns the one-time token behind raw, of kind, and its user, if
// it can still be used now; ErrDeadLink otherwise.
func (s *Service) liveToken(ctx context.Context, kind TokenKind, raw string) (*OneTimeToken, *User, error) {
	if raw == "" || len(raw) > 100 {
		return nil, nil, ErrDeadLink
	}
	t, u, err := s.store.OneTimeTokenByHash(ctx, HashToken(raw))
	if errors.Is(err, ErrNotFound) {
		return nil, nil, ErrDeadLink
	}
	if err != nil {
		return nil, nil, err
	}
	now := s.timestamp()
	address := u.Email
	if kind == TokenConfirmEmail {
		address = u.PendingEmail
	}
	if t.Kind != kind || t.UsedAt != nil || !now.Before(t.ExpiresAt) || u.Disabled() ||
		(kind != TokenUndoEmailChange && t.Email != address) {
		return nil, nil, ErrDeadLink
	}
	return t, u, nil
}

// useToken uses t and applies c with it; a token that died since it was
// read (a concurrent use won) is ErrDeadLink.
func (s *Service) useToken(ctx context.Context, t *OneTimeToken, c Change) error {
	err := s.store.UseToken(ctx, t.ID, c)
	if errors.Is(err, ErrNotFound) {
		return ErrDeadLink
	}
	if err == nil {
		s.mailQueued(c.Letters...)
	}
	return err
}

// apply writes c through the store.
func (s *Service) apply(ctx context.Context, c Change) error {
	err := s.store.ApplyChange(ctx, c)
	if err == nil {
		s.mailQueued(c.Letters...)
	}
	return err
}

// mailQueued tells the sender, if any of letters is a message, that mail
// waits.
func (s *Service) mailQueued(letters ...Letter) {
	for _, l := range letters {
		if l.Mail != nil {
			s.queued()
			return
		}
	}
}

// requestLink is a request for a link by mail (a reset, a sign-in): the
// per-IP budget, the address checked, and the request queued as it came,
// next with it. Nothing here depends on whether the address has an
// account: not the answer, not the work (one write), not its time. The
// sender finds the account when it delivers (ResolveMail).
func (s *Service) requestLink(ctx context.Context, kind MailKind, email, next string, c Client) error {
	if err := s.allowIP(ctx, c); err != nil {
		return err
	}
	address, errs := CheckEmail(email)
	if len(errs) > 0 {
		return &Error{Code: CodeInvalid, Message: "Some fields need attention.", Fields: errs}
	}
	_, err := s.requestMail(ctx, kind, address, Letter{Mail: s.request(kind, address, next, c)})
	return err
}

// request is a message asked for by address, without its account: see
// ResolveMail.
func (s *Service) request(kind MailKind, to, next string, c Client) *Mail {
	c.UserAgent = storedUserAgent(c.UserAgent)
	return &Mail{ID: newID(), Kind: kind, To: to, Next: next, CreatedAt: s.timestamp(), AskedBy: c}
}

// requestMail queues l, if the per-address limit allows, under the key of
// its kind and of address (hashed: an address that has no account is not
// kept in the limit's log), and reports whether it did. A visitor is not
// told (the answer is the same either way); an operator is.
func (s *Service) requestMail(ctx context.Context, kind MailKind, address string, l Letter, events ...Event) (bool, error) {
	sum := sha256.Sum256([]byte(address))
	key := fmt.Sprintf("%s:%s", kind, hex.EncodeToString(sum[:]))
	ok, err := s.store.RequestMail(ctx, key, s.timestamp(), MailPerHour, l, events...)
	if ok {
		s.mailQueued(l)
	}
	return ok, err
}

// ResolveMail is the sender's half of a request for mail queued without
// its account (UserID ""): it finds the account the address (for a
// verification, the email or username) names and makes the link's token,
// ending the account's earlier ones of the kind, and returns the message
// to deliver; or nil when the request gets no mail (no such account, a
// disabled one, an address already proven, sign-in links turned off). A
// message with its account already is returned as it is.
func (s *Service) ResolveMail(ctx context.Context, m *Mail) (*Mail, error) {
	if m.UserID != "" {
		return m, nil
	}
	var (
		tokenKind TokenKind
		eventType EventType
	)
	switch m.Kind {
	case MailResetPassword:
		tokenKind, eventType = TokenResetPassword, EventPasswordResetAsked
	case MailLoginLink:
		if !s.opts.LoginLinks {
			return nil, nil
		}
		tokenKind, eventType = TokenLoginLink, EventLoginLinkSent
	case MailVerifyEmail:
		tokenKind, eventType = TokenVerifyEmail, EventVerificationSent
	default:
		return nil, fmt.Errorf("resolve mail: %s cannot be asked for", m.Kind)
	}
	u, err := s.lookup(ctx, m.To)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled() || (m.Kind == MailVerifyEmail && u.EmailVerifiedAt != nil) {
		return nil, nil
	}
	l := letter(m.Kind, tokenKind, u, u.Email, s.timestamp())
	// Asked for by someone who has not proven who they are: anonymous.
	asked := newEvent(eventType, l.Token.CreatedAt, u.ID, m.AskedBy).by("")
	err = s.store.ApplyChange(ctx, Change{UserID: u.ID, At: l.Token.CreatedAt, EndTokens: []TokenKind{tokenKind},
		Letters: []Letter{{Token: l.Token}}, Events: []Event{asked}})
	if err != nil {
		return nil, err
	}
	resolved := *m
	resolved.UserID, resolved.To, resolved.Username, resolved.Token = u.ID, u.Email, u.Username, l.Mail.Token
	return &resolved, nil
}
