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
		s.sent(c.Letters...)
	}
	return err
}

// apply writes c through the store.
func (s *Service) apply(ctx context.Context, c Change) error {
	err := s.store.ApplyChange(ctx, c)
	if err == nil {
		s.sent(c.Letters...)
	}
	return err
}

// sent tells the sender, if any of letters is a message, that mail waits.
func (s *Service) sent(letters ...Letter) {
	for _, l := range letters {
		if l.Mail != nil {
			s.queued()
			return
		}
	}
}

// requestLink is a request for a link by mail (a reset, a sign-in): the
// per-IP budget, the address checked, and a letter only for an account that
// is not disabled; next goes into the link. Whatever the address, the work
// is the same one write (see requestMail).
func (s *Service) requestLink(ctx context.Context, kind MailKind, tokenKind TokenKind, email, next string, c Client) error {
	if err := s.allowIP(ctx, c); err != nil {
		return err
	}
	address, errs := CheckEmail(email)
	if len(errs) > 0 {
		return &Error{Code: CodeInvalid, Message: "Some fields need attention.", Fields: errs}
	}
	u, err := s.store.UserByEmail(ctx, address)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	var l *Letter
	if u != nil && !u.Disabled() {
		ll := letter(kind, tokenKind, u, address, s.timestamp())
		ll.Mail.Next = next
		l = &ll
	}
	return s.requestMail(ctx, kind, address, l)
}

// requestMail queues l, if the per-address limit allows, under the key of
// its kind and address. l's Mail may be nil: an address without an account
// is recorded all the same, so that both cost one write.
func (s *Service) requestMail(ctx context.Context, kind MailKind, address string, l *Letter) error {
	sum := sha256.Sum256([]byte(address))
	key := fmt.Sprintf("%s:%s", kind, hex.EncodeToString(sum[:]))
	ok, err := s.store.RequestMail(ctx, key, s.timestamp(), MailPerHour, l)
	if ok && l != nil {
		s.sent(*l)
	}
	return err
}
