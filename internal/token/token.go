// Package token signs and verifies Latchkey's access tokens: JWTs in the
// RFC 9068 profile (header typ "at+jwt" and a kid), signed with keys kept in
// the database so that every instance signs with the same key, publishes the
// same JWK Set and follows a rotation made on any of them. Manager is the
// auth.AccessTokens the flows use, so they never see JOSE.
//
// Users, sessions and roles are the plain strings a token carries, and the
// database is only the KeyStore it is given: package auth depends on this
// one (for Claims), never the reverse.
//
// The token format and the rules a token must satisfy are the public
// package verify's (verify.Parser), which other services use to check
// these tokens from the JWK Set: one copy of the rules, so that Latchkey
// and those services accept exactly the same tokens. Signing and parsing
// are github.com/golang-jwt/jwt/v5's; this package decides which key signs,
// keeps the keys and publishes them.
package token

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/latchkey/latchkey/internal/seal"
	"github.com/latchkey/latchkey/verify"
)

// The signing algorithms, as LATCHKEY_JWT_ALG and a token's alg header
// spell them: verify's, where the rules are.
const (
	ES256 = verify.ES256
	EdDSA = verify.EdDSA
	HS256 = verify.HS256
)

// The roles a token may carry, MaxLen and ErrInvalid are verify's too: the
// format is one, whoever reads it.
const (
	RoleUser  = verify.RoleUser
	RoleAdmin = verify.RoleAdmin
	MaxLen    = verify.MaxLen
)

// ErrInvalid is wrapped by every refusal of a token (verify.ErrInvalid).
var ErrInvalid = verify.ErrInvalid

// Claims are what a verified access token asserts (verify.Claims).
type Claims = verify.Claims

// Defaults for the zero values in Options.
const (
	// DefaultTTL is LATCHKEY_ACCESS_TOKEN_TTL's default: short, because
	// services that verify from the JWKS alone cannot see a revocation.
	DefaultTTL = 15 * time.Minute
	// DefaultReloadEvery makes a rotation reach every instance within a
	// minute, at one small query per instance every 30 s.
	DefaultReloadEvery = 30 * time.Second
	// DefaultJWKSMaxAge is LATCHKEY_JWKS_MAX_AGE's default: verifiers
	// fetch the keys a few times an hour, and a rotation waits that long
	// (plus the reloads) before the new key signs.
	DefaultJWKSMaxAge = 5 * time.Minute
	// DefaultCacheSize is verify.DefaultCacheSize: a token per active user
	// of a busy site, at a few megabytes.
	DefaultCacheSize = verify.DefaultCacheSize
)

// Options configure a Manager. Issuer and Audience are required; the other
// zero values mean the defaults.
type Options struct {
	Alg       string        // ES256 (the default), EdDSA or HS256
	Secret    []byte        // the HS256 key, at least 32 bytes; ignored otherwise
	MasterKey []byte        // nil, or 32 bytes that seal new private keys at rest (AES-256-GCM)
	Issuer    string        // the iss claim, and the only one accepted
	Audience  string        // the aud claim, and the one a token must carry
	TTL       time.Duration // a token's lifetime (DefaultTTL)
	// ReloadEvery is how often Run re-reads the keys (DefaultReloadEvery):
	// a rotation on another instance is used and published here within
	// that, or at once when a token signed with the new key arrives.
	ReloadEvery time.Duration
	// JWKSMaxAge is how long verifiers may cache the JWK Set
	// (DefaultJWKSMaxAge): Rotate publishes a new key at least that long
	// before it signs.
	JWKSMaxAge time.Duration
	// CacheSize is how many verified tokens are remembered; negative turns
	// the cache off (benchmarks compare the two).
	CacheSize int
	Now       func() time.Time // the clock (time.Now); tests pass a settable one
}

// Manager issues and verifies access tokens and publishes the public keys.
// It is safe for concurrent use. The keys in use are an immutable keySet
// swapped atomically on reload, so Issue and Verify never wait for the
// database.
type Manager struct {
	alg              string
	method           jwt.SigningMethod
	ks               KeyStore  // nil in HS256 mode: nothing is stored
	box              *seal.Box // nil: new private keys are stored plain
	issuer, audience string
	ttl, reloadEvery time.Duration
	jwksMaxAge       time.Duration
	now              func() time.Time
	parser           *verify.Parser
	cache            *verify.Cache // nil when off

	keys atomic.Pointer[keySet]

	reloadMu   sync.Mutex // one reload at a time
	lastForced time.Time  // the last reload an unknown kid caused; guarded by reloadMu

	errMu     sync.Mutex
	reloadErr error // the last reload's outcome; guarded by errMu

	misses atomic.Int64 // verifications that had to parse the token, for tests
}

// New returns a Manager for the keys in ks. When ks holds no unretired key
// of the configured algorithm (a fresh database, or a change of
// LATCHKEY_JWT_ALG) it generates one and stores it. Two instances starting
// at once may both do so; both keys are then published and the newest signs
// everywhere after the next reload. In HS256 mode ks is not used and may be
// nil.
func New(ctx context.Context, ks KeyStore, o Options) (*Manager, error) {
	m := &Manager{
		alg:         o.Alg,
		ks:          ks,
		issuer:      o.Issuer,
		audience:    o.Audience,
		ttl:         o.TTL,
		reloadEvery: o.ReloadEvery,
		jwksMaxAge:  o.JWKSMaxAge,
		now:         o.Now,
	}
	if m.alg == "" {
		m.alg = ES256
	}
	if m.ttl == 0 {
		m.ttl = DefaultTTL
	}
	if m.reloadEvery == 0 {
		m.reloadEvery = DefaultReloadEvery
	}
	if m.jwksMaxAge == 0 {
		m.jwksMaxAge = DefaultJWKSMaxAge
	}
	if m.now == nil {
		m.now = time.Now
	}
	switch {
	case o.CacheSize == 0:
		m.cache = verify.NewCache(DefaultCacheSize)
	case o.CacheSize > 0:
		m.cache = verify.NewCache(o.CacheSize)
	}
	if err := m.check(o); err != nil {
		return nil, fmt.Errorf("token manager: %w", err)
	}
	p, err := verify.NewParser(verify.Rules{Alg: m.alg, Issuer: m.issuer, Audience: m.audience, Now: m.now})
	if err != nil {
		return nil, fmt.Errorf("token manager: %w", err)
	}
	m.parser = p

	if m.alg == HS256 {
		m.ks = nil // the secret is the key: nothing to store, load or rotate
		secret := append([]byte(nil), o.Secret...)
		m.keys.Store(newKeySet([]*key{{kid: verify.SecretKID(secret), verify: secret, sign: secret}}, m.now()))
		return m, nil
	}
	if len(o.MasterKey) > 0 {
		box, err := seal.New(o.MasterKey)
		if err != nil {
			return nil, fmt.Errorf("token manager: %w", err)
		}
		m.box = box
	}
	set, err := m.load(ctx)
	if err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	if set.signer == nil {
		sk, err := m.generate(m.now().UTC().Truncate(time.Microsecond))
		if err != nil {
			return nil, fmt.Errorf("generate signing key: %w", err)
		}
		if err := ks.InsertSigningKey(ctx, sk); err != nil {
			return nil, fmt.Errorf("store signing key: %w", err)
		}
		// Read back rather than use sk alone: another instance may have
		// inserted a key at the same moment.
		if set, err = m.load(ctx); err != nil {
			return nil, fmt.Errorf("load signing keys: %w", err)
		}
		if set.signer == nil {
			return nil, fmt.Errorf("load signing keys: the %s key just stored is not there", m.alg)
		}
	}
	m.keys.Store(set)
	return m, nil
}

func (m *Manager) check(o Options) error {
	switch m.alg {
	case ES256:
		m.method = jwt.SigningMethodES256
	case EdDSA:
		m.method = jwt.SigningMethodEdDSA
	case HS256:
		m.method = jwt.SigningMethodHS256
		if len(o.Secret) < verify.MinSecretLen {
			return fmt.Errorf("HS256 needs a secret of at least %d bytes (LATCHKEY_JWT_SECRET)", verify.MinSecretLen)
		}
	default:
		return fmt.Errorf("unsupported algorithm %q (want ES256, EdDSA or HS256)", m.alg)
	}
	switch { // the issuer and audience are NewParser's to check
	case m.ttl < 0 || m.reloadEvery < 0 || m.jwksMaxAge < 0:
		return errors.New("negative TTL, reload interval or JWKS max-age")
	case m.alg != HS256 && m.ks == nil:
		return errors.New("no key store")
	case len(o.MasterKey) != 0 && len(o.MasterKey) != 32:
		return fmt.Errorf("the master key is %d bytes; want 32", len(o.MasterKey))
	}
	return nil
}
