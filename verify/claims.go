package verify

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// This file is the access token's format and the rules a verifier applies
// to it, apart from any source of keys: whoever checks a Latchkey token
// (Latchkey itself, in internal/token, and other services through a
// Verifier) must accept exactly what the other accepts, so there is one
// copy of the rules, here, and it depends on nothing but the JWT library.

// The signing algorithms, as LATCHKEY_JWT_ALG and a token's alg header
// spell them.
const (
	// ES256 is ECDSA on P-256 with SHA-256: the default, because every JOSE
	// library verifies it and its keys and signatures are small.
	ES256 = "ES256"
	// EdDSA is Ed25519: faster and not malleable, but not every verifier
	// supports it yet.
	EdDSA = "EdDSA"
	// HS256 is HMAC-SHA-256 with a shared secret, for setups that already
	// share one. Nothing is published: whoever can verify can also forge.
	HS256 = "HS256"
)

// MinSecretLen is the shortest HS256 secret accepted: HMAC-SHA-256 keys
// shorter than the hash give away security for nothing (RFC 7518 §3.2).
const MinSecretLen = 32

// The roles a token may carry. They are Latchkey's account roles as the
// token spells them; a token with any other role is not Latchkey's.
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
// the caller answers all of them the same way (401, invalid_token).
var ErrInvalid = errors.New("invalid access token")

// Claims are what a verified access token asserts: who (UserID, Role), in
// which session (SessionID, the id of the Latchkey session the token was
// issued for, as its GET /api/sessions lists it), and until when. The
// issuer and audience are not here: a token of another issuer or audience
// does not verify.
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
// database in Latchkey, a JWK Set in a Verifier). It is safe for
// concurrent use.
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
	var c payload
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

// SecretKID is the kid of Latchkey's HS256 tokens: it names the secret
// without revealing it, by 72 bits of its SHA-256, enough to tell two
// secrets apart (say, in a token from before a secret change) and nothing
// to brute-force a 256-bit secret with. A Verifier made WithSecret accepts
// only this kid.
func SecretKID(secret []byte) string {
	sum := sha256.Sum256(secret)
	return "hs-" + base64.RawURLEncoding.EncodeToString(sum[:9])
}

// payload is an access token's claims as read (RFC 9068 §2.2, without
// client_id: Latchkey has no client registry, every token is for its own
// API). Latchkey writes them under the same names (internal/token).
type payload struct {
	Issuer    string           `json:"iss"`
	Audience  jwt.ClaimStrings `json:"aud"`
	Subject   string           `json:"sub"`
	SessionID string           `json:"sid"`
	Role      string           `json:"role"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
	ExpiresAt *jwt.NumericDate `json:"exp"`
	NotBefore *jwt.NumericDate `json:"nbf"`
	ID        string           `json:"jti"`
}

func (c *payload) GetExpirationTime() (*jwt.NumericDate, error) { return c.ExpiresAt, nil }
func (c *payload) GetIssuedAt() (*jwt.NumericDate, error)       { return c.IssuedAt, nil }
func (c *payload) GetNotBefore() (*jwt.NumericDate, error)      { return c.NotBefore, nil }
func (c *payload) GetIssuer() (string, error)                   { return c.Issuer, nil }
func (c *payload) GetSubject() (string, error)                  { return c.Subject, nil }
func (c *payload) GetAudience() (jwt.ClaimStrings, error)       { return c.Audience, nil }

// Validate is called by the JWT parser after the standard claims: a token
// without a user, a session or a known role is not Latchkey's, whoever
// signed it.
func (c *payload) Validate() error {
	switch {
	case c.Subject == "":
		return errors.New("no sub")
	case c.SessionID == "":
		return errors.New("no sid")
	case c.ID == "":
		return errors.New("no jti")
	case c.IssuedAt == nil:
		return errors.New("no iat")
	case c.Role != RoleUser && c.Role != RoleAdmin:
		return errors.New("unknown role")
	}
	return nil
}
