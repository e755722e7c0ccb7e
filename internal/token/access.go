package token

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/latchkey/latchkey/internal/auth"
)

const (
	// maxTokenLen bounds the work a garbage Authorization header can cause;
	// our tokens are about 500 bytes.
	maxTokenLen = 4096
	// unknownKIDReloadEvery limits the reloads an unknown kid triggers, so
	// that tokens with made-up kids cannot turn into database reads.
	unknownKIDReloadEvery = 5 * time.Second
	// forcedReloadTimeout bounds the reload an unknown kid triggers: Verify
	// has no context, and a request must not hang on a slow database.
	forcedReloadTimeout = 5 * time.Second
)

// claims is an access token's payload (RFC 9068 §2.2, without client_id:
// Latchkey has no client registry, every token is for its own API).
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

// Validate is called by the parser after the standard claims: a token
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
	case auth.Role(c.Role) != auth.RoleUser && auth.Role(c.Role) != auth.RoleAdmin:
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

// Issue implements auth.AccessTokens. The token is signed with the newest
// unretired key; its exp is now + TTL or notAfter, whichever is sooner,
// rounded down to the second as the claim is written.
func (m *Manager) Issue(u *auth.User, sessionID string, notAfter time.Time) (string, time.Time, error) {
	if u.ID == "" || sessionID == "" || (u.Role != auth.RoleUser && u.Role != auth.RoleAdmin) {
		// Verify would refuse the token; better to fail where the bug is.
		return "", time.Time{}, fmt.Errorf("issue access token: user %q, role %q, session %q", u.ID, u.Role, sessionID)
	}
	now := m.now()
	k := m.current(now).signer
	if k == nil { // only a Manager not made by New
		return "", time.Time{}, errors.New("issue access token: no signing key")
	}
	exp := now.Add(m.ttl)
	if notAfter.Before(exp) {
		exp = notAfter
	}
	exp = exp.Truncate(time.Second).UTC()
	if !exp.After(now) {
		return "", time.Time{}, errors.New("issue access token: the session has already ended")
	}
	jti, err := uuid.NewV7()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("issue access token: %w", err)
	}
	t := jwt.NewWithClaims(m.method, &claims{
		Issuer:    m.issuer,
		Audience:  audience{m.audience},
		Subject:   u.ID,
		SessionID: sessionID,
		Role:      string(u.Role),
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(exp),
		ID:        jti.String(),
	})
	t.Header["typ"] = "at+jwt"
	t.Header["kid"] = k.kid
	s, err := t.SignedString(k.sign)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("issue access token: %w", err)
	}
	return s, exp, nil
}

// Verify implements auth.AccessTokens. A token verified before is answered
// from the cache (a SHA-256 and a map look-up) as long as it has not
// expired and its key is still published; any failure wraps
// auth.ErrInvalidToken with the reason, which is for logs only.
func (m *Manager) Verify(token string) (*auth.AccessClaims, error) {
	if len(token) > maxTokenLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", auth.ErrInvalidToken, maxTokenLen)
	}
	now := m.now()
	var h [sha256.Size]byte
	if m.cache != nil {
		h = tokenHash(token)
		if e, ok := m.cache.get(h, now); ok && m.current(now).published(e.kid, now) != nil {
			c := e.claims
			return &c, nil
		}
	}
	m.misses.Add(1)
	var (
		c   claims
		kid string
	)
	_, err := m.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		k, err := m.keyFor(t, now)
		if err != nil {
			return nil, err
		}
		kid = k.kid
		return k.verify, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", auth.ErrInvalidToken, err)
	}
	ac := auth.AccessClaims{
		ID:        c.ID,
		UserID:    c.Subject,
		SessionID: c.SessionID,
		Role:      auth.Role(c.Role),
		IssuedAt:  c.IssuedAt.UTC(),
		ExpiresAt: c.ExpiresAt.UTC(),
	}
	if m.cache != nil {
		m.cache.put(h, cached{claims: ac, kid: kid}, now)
	}
	return &ac, nil
}

// tokenHash is the cache key of a token. Hashing through a buffer on the
// stack saves the heap copy []byte(token) would make: on a cache hit the
// claims are the only allocation. Only the hash is kept, so the cache holds
// no bearer credential a heap dump could give away.
func tokenHash(token string) [sha256.Size]byte {
	var buf [1024]byte // our tokens are about 500 bytes
	if len(token) <= len(buf) {
		return sha256.Sum256(append(buf[:0], token...))
	}
	return sha256.Sum256([]byte(token))
}

// keyFor checks the header and finds the key a token names. An unknown kid
// may be a key rotated in on another instance a moment ago, so it triggers
// a reload (at most one per unknownKIDReloadEvery) before it is refused.
func (m *Manager) keyFor(t *jwt.Token, now time.Time) (*key, error) {
	// The parser has already refused any alg but m.alg (WithValidMethods);
	// this is a second lock on the same door.
	if t.Method.Alg() != m.alg {
		return nil, fmt.Errorf("alg %s is not %s", t.Method.Alg(), m.alg)
	}
	typ, _ := t.Header["typ"].(string)
	if !strings.EqualFold(typ, "at+jwt") && !strings.EqualFold(typ, "application/at+jwt") {
		return nil, errors.New("typ is not at+jwt")
	}
	// RFC 7515 §4.1.11: extensions marked critical that we do not
	// understand (we understand none) make the token invalid.
	if _, ok := t.Header["crit"]; ok {
		return nil, errors.New("crit header")
	}
	kid, _ := t.Header["kid"].(string)
	if kid == "" || len(kid) > 128 {
		return nil, errors.New("no usable kid")
	}
	if k := m.current(now).published(kid, now); k != nil {
		return k, nil
	}
	m.reloadForUnknownKID(now)
	if k := m.current(now).published(kid, now); k != nil {
		return k, nil
	}
	return nil, errors.New("unknown or withdrawn kid")
}

func (m *Manager) reloadForUnknownKID(now time.Time) {
	if m.ks == nil {
		return
	}
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	if !m.lastForced.IsZero() && now.Sub(m.lastForced) < unknownKIDReloadEvery {
		// Another request may have reloaded while this one waited for the
		// lock; the caller looks again either way.
		return
	}
	m.lastForced = now
	ctx, cancel := context.WithTimeout(context.Background(), forcedReloadTimeout)
	defer cancel()
	m.reloadLocked(ctx)
}
