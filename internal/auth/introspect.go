package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"strings"
	"time"
)

// Token introspection (RFC 7662) is for resource servers that must see a
// revocation before a token's exp: verifying from the JWK Set alone
// accepts a token until it expires, asking Latchkey does not. The answer
// looks at the session behind the token, as Latchkey's own endpoints do.

// The token types an introspection reports. RFC 7662 §2.2's token_type is
// an access token type (RFC 6749 §7.1), not a token type hint: a refresh
// token has none, and RFC 8693 §2.2.1 registered N_A for exactly that. A
// resource server that accepts only token_type "bearer" therefore never
// takes a refresh token for an access token.
const (
	// TokenTypeBearer is an access token's type, as the token endpoint
	// hands it out.
	TokenTypeBearer = "bearer"
	// TokenTypeNotApplicable is a refresh token's: it is not an access
	// token, so no access token type applies.
	TokenTypeNotApplicable = "N_A"
)

// Introspection is what Latchkey tells a resource server about a token.
// An inactive token has nothing but Active false: whether it was unknown,
// expired or revoked is none of the caller's business (RFC 7662 §2.2).
type Introspection struct {
	Active    bool
	TokenType string // TokenTypeBearer or TokenTypeNotApplicable
	UserID    string
	Username  string
	Role      Role // the user's role now, as Latchkey's own endpoints see it
	SessionID string
	// Issuer is Latchkey's; Audience is the access tokens' audience, or,
	// for a refresh token, Latchkey itself: the token endpoint is the
	// only place one is good for.
	Issuer    string
	Audience  string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// IntrospectionClient is a resource server allowed to ask about tokens,
// with the secret it authenticates with.
type IntrospectionClient struct {
	Name   string
	Secret string
}

// clientDigest is an IntrospectionClient as the Service keeps it: the
// SHA-256 of its name and of its secret.
type clientDigest struct {
	name, secret [sha256.Size]byte
}

func digestClients(cs []IntrospectionClient) []clientDigest {
	ds := make([]clientDigest, len(cs))
	for i, c := range cs {
		ds[i] = clientDigest{name: sha256.Sum256([]byte(c.Name)), secret: sha256.Sum256([]byte(c.Secret))}
	}
	return ds
}

// IntrospectionClient reports whether name and secret are one of the
// configured introspection clients. Its time does not tell a known name
// from an unknown one, nor a close secret from a distant one: every
// client is compared, name and secret alike, in constant time, and the
// comparisons are of digests, whose equal lengths leave
// subtle.ConstantTimeCompare no early way out. With no client configured
// it is always false.
func (s *Service) IntrospectionClient(name, secret string) bool {
	n, sec := sha256.Sum256([]byte(name)), sha256.Sum256([]byte(secret))
	match := 0
	for i := range s.introspectors {
		c := &s.introspectors[i]
		match |= subtle.ConstantTimeCompare(n[:], c.name[:]) & subtle.ConstantTimeCompare(sec[:], c.secret[:])
	}
	return match == 1
}

// Introspect says whether tok, an access or a refresh token, is good now,
// and if so whose it is. Anything else (malformed, unknown, expired, of a
// revoked or expired session or a disabled user, a refresh token already
// used) is inactive. It only reads: a used refresh token shown here does
// not count as a reuse, since the resource server asking is not the
// client, and nothing is written, not even the session's last_seen_at.
// The caller must have authenticated the resource server
// (IntrospectionClient).
func (s *Service) Introspect(ctx context.Context, tok string) (*Introspection, error) {
	if tok == "" {
		return nil, &Error{Code: CodeInvalid, Message: "The token parameter is missing.",
			Fields: []FieldError{{Field: "token", Code: "required", Message: "Send the token to introspect."}}}
	}
	if s.tokens == nil {
		return &Introspection{}, nil // no tokens are issued here
	}
	if strings.Count(tok, ".") == 2 { // a JWT; refresh tokens are base64url, without dots
		return s.introspectAccess(ctx, tok)
	}
	return s.introspectRefresh(ctx, tok)
}

func (s *Service) introspectAccess(ctx context.Context, tok string) (*Introspection, error) {
	claims, ss, u, err := s.accessSession(ctx, tok)
	if ErrorCode(err) == CodeInvalidToken {
		return &Introspection{}, nil
	}
	if err != nil {
		return nil, err
	}
	return &Introspection{
		Active:    true,
		TokenType: TokenTypeBearer,
		UserID:    u.ID,
		Username:  u.Username,
		Role:      u.Role,
		SessionID: ss.ID,
		Issuer:    s.tokens.Issuer(),
		Audience:  s.tokens.Audience(),
		IssuedAt:  claims.IssuedAt,
		ExpiresAt: claims.ExpiresAt,
	}, nil
}

func (s *Service) introspectRefresh(ctx context.Context, tok string) (*Introspection, error) {
	rt, ss, u, err := s.store.RefreshTokenByHash(ctx, HashToken(tok))
	if errors.Is(err, ErrNotFound) {
		return &Introspection{}, nil
	}
	if err != nil {
		return nil, err
	}
	now := s.timestamp()
	if rt.UsedAt != nil || !now.Before(rt.ExpiresAt) || !ss.Active(now) || u.Disabled() {
		return &Introspection{}, nil
	}
	return &Introspection{
		Active:    true,
		TokenType: TokenTypeNotApplicable,
		UserID:    u.ID,
		Username:  u.Username,
		Role:      u.Role,
		SessionID: ss.ID,
		Issuer:    s.tokens.Issuer(),
		Audience:  s.tokens.Issuer(),
		IssuedAt:  rt.CreatedAt,
		ExpiresAt: rt.ExpiresAt,
	}, nil
}
