package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/internal/token"
)

// AccessTokens issues and verifies signed access tokens. *token.Manager
// implements it; the flows only need these two operations, so they stay
// free of JOSE and of the keys. The claims are token's own type: the token
// format belongs to package token, which verifiers outside the server
// share, and which therefore must not depend on this package.
type AccessTokens interface {
	// Issue signs a token for user userID with role, in session
	// sessionID. The token expires after the configured lifetime, but
	// never after notAfter (the session's absolute end).
	Issue(userID, sessionID, role string, notAfter time.Time) (tok string, expiresAt time.Time, err error)
	// Verify checks a token's signature, algorithm, type, key id, issuer,
	// audience and expiry, and returns its claims; any failure wraps
	// token.ErrInvalid with the reason, for logs.
	Verify(tok string) (*token.Claims, error)
	// Issuer and Audience are the iss and aud of every token issued, and
	// the only ones Verify accepts: the claims leave them out for that
	// reason, and introspection reports them from here.
	Issuer() string
	Audience() string
}

var _ AccessTokens = (*token.Manager)(nil)

// ErrInvalidToken is the answer to an access or refresh token that is
// malformed, forged, expired, revoked or of a disabled user. The reason is
// deliberately not told to the client.
var ErrInvalidToken = &Error{Code: CodeInvalidToken, Message: "The token is invalid, expired or revoked."}

// verifyAccessToken is s.tokens.Verify with the refusal in the domain's
// terms: token.ErrInvalid becomes ErrInvalidToken, which the transports
// answer with 401, and token's reason stays in the chain for the log.
func (s *Service) verifyAccessToken(tok string) (*token.Claims, error) {
	c, err := s.tokens.Verify(tok)
	if errors.Is(err, token.ErrInvalid) {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return c, err
}
