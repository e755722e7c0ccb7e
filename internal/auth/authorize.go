package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/latchkey/latchkey/internal/token"
)

// Principal is the caller of an authenticated request: the user, the
// session the credential belongs to, and where the request comes from (for
// the audit log).
type Principal struct {
	User    *User
	Session *Session
	Client  Client
}

// AuthorizeAccessToken checks an access token and the session behind it.
// The signature alone would accept a token until it expires; looking at
// the session makes logout, revocation, reuse detection, password changes
// and disabling take effect on Latchkey's own endpoints at once.
func (s *Service) AuthorizeAccessToken(ctx context.Context, token string, c Client) (*Principal, error) {
	_, ss, u, err := s.accessSession(ctx, token)
	if err != nil {
		return nil, err
	}
	return &Principal{User: u, Session: ss, Client: c}, nil
}

// accessSession checks an access token and the session behind it, and
// returns the token's claims with the session and its user as they are
// now: what AuthorizeAccessToken and Introspect both decide on.
func (s *Service) accessSession(ctx context.Context, tok string) (*token.Claims, *Session, *User, error) {
	if s.tokens == nil {
		return nil, nil, nil, ErrInvalidToken
	}
	claims, err := s.verifyAccessToken(tok)
	if err != nil {
		return nil, nil, nil, err
	}
	ss, u, err := s.store.SessionWithUser(ctx, claims.SessionID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, nil, fmt.Errorf("%w: session %s is gone", ErrInvalidToken, claims.SessionID)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if err := s.checkSession(ss, u, claims.UserID); err != nil {
		return nil, nil, nil, err
	}
	return claims, ss, u, nil
}

// checkSession refuses a session that is revoked, expired, of a disabled
// user, or not the user the credential names.
func (s *Service) checkSession(ss *Session, u *User, wantUserID string) error {
	switch {
	case ss.UserID != wantUserID:
		return fmt.Errorf("%w: session of another user", ErrInvalidToken)
	case !ss.Active(s.timestamp()):
		return fmt.Errorf("%w: session revoked or expired", ErrInvalidToken)
	case u.Disabled():
		return fmt.Errorf("%w: user disabled", ErrInvalidToken)
	}
	return nil
}
