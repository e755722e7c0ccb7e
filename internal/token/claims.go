package token

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// This file is the access token's format and the rules a verifier applies
// to it, apart from Manager's keys, cache and database: whoever checks a
// Latchkey token (the server here, and the public verify package other
// services will use) must accept exactly what the other accepts, so there
// is one copy of the rules and it depends on nothing but the JWT library.

// The roles a token may carry. They are the account roles of DESIGN.md as
// the token spells them; a token with any other role is not Latchkey's.
const (
	RoleUser  = "user"
	RoleAdmin = "admin"
)

// MaxLen is the longest token accepted. It bounds the work a garbage
// Authorization header can cause; Latchkey's tokens are about 500 bytes.
const MaxLen = 4096

// ErrInvalid is wrapped by every refusal of a token, whatever the reason:
// malformed, forged, of another issuer or audience, expired, or signed with
// a key that is not published. The reason is in the wrapping, for logs;
// the caller answers all of them the same way.
var ErrInvalid = errors.New("invalid access token")

// Claims are what a verified access token asserts: who (UserID, Role), in
// which session (SessionID, the sessions row's id, as GET /api/sessions
// lists it), and until when. The issuer and audience are not here: a token
// of another issuer or audience does not verify.
type Claims struct {
	ID        string // jti
	UserID    string // sub
	SessionID string // sid
	Role      string // RoleUser or RoleAdmin
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// Rules are what a token must satisfy besides a good signature by a
// published key.
type Rules struct {
	Alg      string           // the one algorithm accepted: ES256, EdDSA or HS256
	Issuer   string           // the only iss accepted
	Audience string           // an aud the token must carry
	Now      func() time.Time // the clock exp is checked against (time.Now)
}

// Parser checks tokens against Rules. It holds no keys: Parse asks for the
// key a token names, so the caller decides where keys come from (the
// database here, a JWKS document elsewhere). It is safe for concurrent use.
type Parser struct {
	alg string
	jwt *jwt.Parser
}

// NewParser returns a Parser for r. It refuses rules that would accept
// tokens they should not: an algorithm other than the three Latchkey
// signs with (above all "none"), or no issuer or audience to insist on.
func NewParser(r Rules) (*Parser, error) {
	switch {
	case r.Alg != ES256 && r.Alg != EdDSA && r.Alg != HS256:
		return nil, fmt.Errorf("unsupported algorithm %q (want ES256, EdDSA or HS256)", r.Alg)
	case r.Issuer == "":
		return nil, errors.New("no issuer")
	case r.Audience == "":
		return nil, errors.New("no audience")
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	return &Parser{alg: r.Alg, jwt: jwt.NewParser(
		jwt.WithValidMethods([]string{r.Alg}),
		jwt.WithIssuer(r.Issuer),
		jwt.WithAudience(r.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(r.Now),
		// Exactly one encoding per token: no second string for the same
		// signature to slip past a cache or a log search.
		jwt.WithStrictDecoding(),
	)}, nil
}

// Parse checks token's header, signature and claims and returns the
// claims. keyFor returns the verification key for the token's kid (an
// *ecdsa.PublicKey, an ed25519.PublicKey or the HS256 secret), or an
// error if it knows no such key; it is called only once the header has
// passed. Any failure wraps ErrInvalid with the reason.
func (p *Parser) Parse(token string, keyFor func(kid string) (any, error)) (*Claims, error) {
	if len(token) > MaxLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrInvalid, MaxLen)
	}
	var c claims
	_, err := p.jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		kid, err := p.checkHeader(t)
		if err != nil {
			return nil, err
		}
		return keyFor(kid)
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return &Claims{
		ID:        c.ID,
		UserID:    c.Subject,
		SessionID: c.SessionID,
		Role:      c.Role,
		IssuedAt:  c.IssuedAt.UTC(),
		ExpiresAt: c.ExpiresAt.UTC(),
	}, nil
}

// checkHeader checks what the header must say (RFC 9068 §4) and returns
// the kid.
func (p *Parser) checkHeader(t *jwt.Token) (string, error) {
	// The JWT parser has already refused any alg but p.alg
	// (WithValidMethods); this is a second lock on the same door.
	if t.Method.Alg() != p.alg {
		return "", fmt.Errorf("alg %s is not %s", t.Method.Alg(), p.alg)
	}
	typ, _ := t.Header["typ"].(string)
	if !strings.EqualFold(typ, "at+jwt") && !strings.EqualFold(typ, "application/at+jwt") {
		return "", errors.New("typ is not at+jwt")
	}
	// RFC 7515 §4.1.11: extensions marked critical that we do not
	// understand (we understand none) make the token invalid.
	if _, ok := t.Header["crit"]; ok {
		return "", errors.New("crit header")
	}
	kid, _ := t.Header["kid"].(string)
	if kid == "" || len(kid) > 128 {
		return "", errors.New("no usable kid")
	}
	return kid, nil
}

// knownRole reports whether role is one a token may carry.
func knownRole(role string) bool { return role == RoleUser || role == RoleAdmin }

// claims is an access token's payload as written (RFC 9068 §2.2, without
// client_id: Latchkey has no client registry, every token is for its own
// API).
type claims struct {
	Issuer    string           `json:"iss"`
	Audience  audience         `json:"aud"`
	Subject   string           `json:"sub"`
	SessionID string           `json:"sid"`
	Role      string           `json:"role"`
	IssuedAt  *jwt.NumericDate `json:"iat,omitempty"`
	ExpiresAt *jwt.NumericDate `json:"exp,omitempty"`
	NotBefore *jwt.NumericDate `json:"nbf,omitempty"`
	ID        string           `json:"jti"`
}

func (c *claims) GetExpirationTime() (*jwt.NumericDate, error) { return c.ExpiresAt, nil }
func (c *claims) GetIssuedAt() (*jwt.NumericDate, error)       { return c.IssuedAt, nil }
func (c *claims) GetNotBefore() (*jwt.NumericDate, error)      { return c.NotBefore, nil }
func (c *claims) GetIssuer() (string, error)                   { return c.Issuer, nil }
func (c *claims) GetSubject() (string, error)                  { return c.Subject, nil }
func (c *claims) GetAudience() (jwt.ClaimStrings, error)       { return jwt.ClaimStrings(c.Audience), nil }

// Validate is called by the JWT parser after the standard claims: a token
// without a user, a session or a known role is not ours, whoever signed it.
func (c *claims) Validate() error {
	switch {
	case c.Subject == "":
		return errors.New("no sub")
	case c.SessionID == "":
		return errors.New("no sid")
	case c.ID == "":
		return errors.New("no jti")
	case c.IssuedAt == nil:
		return errors.New("no iat")
	case !knownRole(c.Role):
		return errors.New("unknown role")
	}
	return nil
}

// audience is the aud claim: written as a single string (RFC 9068 tokens
// have one audience, and some verifiers expect a string), read as either
// form RFC 7519 allows. jwt.ClaimStrings alone writes an array unless a
// package-wide variable is changed, which would affect every user of the
// library in the binary.
type audience []string

func (a audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return jsonString(a[0]), nil
	}
	return jwt.ClaimStrings(a).MarshalJSON()
}

func (a *audience) UnmarshalJSON(b []byte) error {
	var cs jwt.ClaimStrings
	if err := cs.UnmarshalJSON(b); err != nil {
		return err
	}
	*a = audience(cs)
	return nil
}
