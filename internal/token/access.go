package token

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

const (
	// unknownKIDReloadEvery limits the reloads an unknown kid triggers, so
	// that tokens with made-up kids cannot turn into database reads.
	unknownKIDReloadEvery = 5 * time.Second
	// forcedReloadTimeout bounds the reload an unknown kid triggers: Verify
	// has no context, and a request must not hang on a slow database.
	forcedReloadTimeout = 5 * time.Second
)

// Issue signs a token for user userID with role in session sessionID,
// with the newest unretired key. Its exp is now + TTL or notAfter,
// whichever is sooner, rounded down to the second as the claim is written.
func (m *Manager) Issue(userID, sessionID, role string, notAfter time.Time) (string, time.Time, error) {
	if userID == "" || sessionID == "" || (role != RoleUser && role != RoleAdmin) {
		// Verify would refuse the token; better to fail where the bug is.
		return "", time.Time{}, fmt.Errorf("issue access token: user %q, role %q, session %q", userID, role, sessionID)
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
	t := jwt.NewWithClaims(m.method, &payload{
		Issuer:    m.issuer,
		Audience:  audience{m.audience},
		Subject:   userID,
		SessionID: sessionID,
		Role:      role,
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

// Verify checks a token's signature, algorithm, type, key id, issuer,
// audience and expiry (verify.Parser's rules, with the keys this Manager
// publishes) and returns its claims. A token verified before is answered
// from the cache (a SHA-256 and a map look-up) as long as it has not
// expired and its key is still published. Any failure wraps ErrInvalid
// with the reason, which is for logs only.
func (m *Manager) Verify(token string) (*Claims, error) {
	now := m.now()
	if m.cache != nil {
		if c, kid, ok := m.cache.Get(token, now); ok && m.current(now).published(kid, now) != nil {
			return &c, nil
		}
	}
	m.misses.Add(1)
	var kid string
	c, err := m.parser.Parse(token, func(id string) (any, error) {
		k, err := m.keyFor(id, now)
		if err != nil {
			return nil, err
		}
		kid = k.kid
		return k.verify, nil
	})
	if err != nil {
		return nil, err
	}
	if m.cache != nil {
		m.cache.Put(token, *c, kid, now)
	}
	return c, nil
}

// keyFor finds the published key kid names. An unknown kid may be a key
// rotated in on another instance a moment ago, so it triggers a reload (at
// most one per unknownKIDReloadEvery) before it is refused.
func (m *Manager) keyFor(kid string, now time.Time) (*key, error) {
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

// payload is an access token's claims as written (RFC 9068 §2.2, without
// client_id: Latchkey has no client registry, every token is for its own
// API). verify.Parser reads them under the same names; every test that
// issues a token and verifies it checks that the two agree.
type payload struct {
	Issuer    string           `json:"iss"`
	Audience  audience         `json:"aud"`
	Subject   string           `json:"sub"`
	SessionID string           `json:"sid"`
	Role      string           `json:"role"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
	ExpiresAt *jwt.NumericDate `json:"exp"`
	ID        string           `json:"jti"`
}

// GetExpirationTime and the rest make payload a jwt.Claims, which
// jwt.NewWithClaims asks for though signing reads none of them.
func (c *payload) GetExpirationTime() (*jwt.NumericDate, error) { return c.ExpiresAt, nil }
func (c *payload) GetIssuedAt() (*jwt.NumericDate, error)       { return c.IssuedAt, nil }
func (c *payload) GetNotBefore() (*jwt.NumericDate, error)      { return nil, nil }
func (c *payload) GetIssuer() (string, error)                   { return c.Issuer, nil }
func (c *payload) GetSubject() (string, error)                  { return c.Subject, nil }
func (c *payload) GetAudience() (jwt.ClaimStrings, error)       { return jwt.ClaimStrings(c.Audience), nil }

// audience is the aud claim as written: a single string (RFC 9068 tokens
// have one audience, and some verifiers expect a string).
// jwt.ClaimStrings alone writes an array unless a package-wide variable is
// changed, which would affect every user of the library in the binary.
type audience []string

func (a audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return jsonString(a[0]), nil
	}
	return jwt.ClaimStrings(a).MarshalJSON()
}
