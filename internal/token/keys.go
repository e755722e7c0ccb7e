package token

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// StoredKey is one row of signing_keys. Private is PKCS#8 DER, or, when
// Encrypted, its AES-256-GCM sealing under the master key (a random nonce
// followed by the ciphertext, with the kid as additional data so that a
// sealed key copied into another row does not open). Public is PKIX DER.
type StoredKey struct {
	KID       string
	Alg       string // ES256 or EdDSA
	Private   []byte
	Public    []byte
	Encrypted bool
	CreatedAt time.Time
	RetiredAt *time.Time // nil while the key may sign
}

// KeyStore persists signing keys; store.Store implements it. It is an
// interface so that this package does not depend on SQL and its tests can
// count what is read.
type KeyStore interface {
	// SigningKeys returns every row, retired ones included.
	SigningKeys(ctx context.Context) ([]StoredKey, error)
	// InsertSigningKey adds a row; a duplicate kid is an error.
	InsertSigningKey(ctx context.Context, k StoredKey) error
	// RetireSigningKeys sets retired_at to at on every unretired key older
	// than exceptKID, ordered by created_at and then kid as the manager
	// picks its signer. Keys newer than exceptKID come from a rotation
	// running at the same time, which wins: of two rotations at once one
	// key survives, never neither.
	RetireSigningKeys(ctx context.Context, exceptKID string, at time.Time) error
}

// key is a usable key: parsed, opened, and with what the JWKS says of it.
type key struct {
	kid     string
	verify  any // *ecdsa.PublicKey, ed25519.PublicKey, or the HS256 secret
	sign    any // *ecdsa.PrivateKey, ed25519.PrivateKey or the secret; nil once retired
	jwk     *jwk
	created time.Time
	until   time.Time // when it stops being published; zero while unretired
}

// keySet is what a Manager works with between reloads. It is never
// modified, only replaced, so readers need no lock.
type keySet struct {
	byKID  map[string]*key
	signer *key // the newest unretired key
	jwks   []byte
	// expires is when the next retired key leaves; the set is rebuilt from
	// memory then, so the JWKS does not wait for a reload to drop it.
	expires time.Time
}

func newKeySet(keys []*key, now time.Time) *keySet {
	s := &keySet{byKID: make(map[string]*key, len(keys))}
	doc := struct {
		Keys []*jwk `json:"keys"`
	}{Keys: []*jwk{}}
	// Unretired first, then newest first, then by kid, so that every
	// instance picks the same signer and the signer leads the document.
	keys = slices.Clone(keys)
	slices.SortFunc(keys, func(a, b *key) int {
		if ar, br := !a.until.IsZero(), !b.until.IsZero(); ar != br {
			if ar {
				return 1
			}
			return -1
		}
		if c := b.created.Compare(a.created); c != 0 {
			return c
		}
		return strings.Compare(b.kid, a.kid)
	})
	for _, k := range keys {
		if !k.until.IsZero() && !now.Before(k.until) {
			continue
		}
		s.byKID[k.kid] = k
		if k.until.IsZero() && k.sign != nil && s.signer == nil {
			s.signer = k
		}
		if !k.until.IsZero() && (s.expires.IsZero() || k.until.Before(s.expires)) {
			s.expires = k.until
		}
		if k.jwk != nil {
			doc.Keys = append(doc.Keys, k.jwk)
		}
	}
	s.jwks, _ = json.Marshal(doc) // plain strings: cannot fail
	return s
}

// published returns the key kid names if it is in the set and still
// published at now.
func (s *keySet) published(kid string, now time.Time) *key {
	k := s.byKID[kid]
	if k == nil || (!k.until.IsZero() && !now.Before(k.until)) {
		return nil
	}
	return k
}

// current returns the key set, first dropping any retired key whose time
// is up.
func (m *Manager) current(now time.Time) *keySet {
	s := m.keys.Load()
	if s.expires.IsZero() || now.Before(s.expires) {
		return s
	}
	next := newKeySet(slices.Collect(maps.Values(s.byKID)), now)
	m.keys.CompareAndSwap(s, next) // a concurrent reload's newer set wins
	return next
}

// JWKS returns the JSON Web Key Set document for GET /.well-known/jwks.json:
// the keys that may sign and the retired ones whose tokens may still be
// unexpired. In HS256 mode it is {"keys":[]}: a shared secret is never
// published. The document is built on load; callers must not modify it.
func (m *Manager) JWKS() []byte {
	return m.current(m.now()).jwks
}

// Rotate makes a new key the signing key and retires the others. Retired
// keys stay published (and their tokens valid) until the tokens they may
// have signed have expired. Other instances pick the new key up on their
// next reload, or at once when they meet a token it signed.
func (m *Manager) Rotate(ctx context.Context) (string, error) {
	if m.alg == HS256 {
		return "", errors.New("rotate signing keys: HS256 signs with LATCHKEY_JWT_SECRET, which is not stored; change the secret instead (tokens signed with the old one stop verifying)")
	}
	rows, err := m.ks.SigningKeys(ctx)
	if err != nil {
		return "", fmt.Errorf("rotate signing keys: %w", err)
	}
	// The new key must be the newest, or it would neither sign nor retire
	// the current one: created_at comes from whichever instance's clock
	// made the current key, and that clock may be ahead of ours.
	now := m.now().UTC().Truncate(time.Microsecond)
	created := now
	for _, r := range rows {
		if !r.CreatedAt.Before(created) {
			created = r.CreatedAt.Add(time.Microsecond)
		}
	}
	sk, err := m.generate(created)
	if err != nil {
		return "", fmt.Errorf("rotate signing keys: %w", err)
	}
	if err := m.ks.InsertSigningKey(ctx, sk); err != nil {
		return "", fmt.Errorf("rotate signing keys: %w", err)
	}
	// A crash between the two writes leaves two unretired keys: both are
	// published and the newer signs, which is the state after rotation in
	// all but the old key's retired_at.
	if err := m.ks.RetireSigningKeys(ctx, sk.KID, now); err != nil {
		return "", fmt.Errorf("rotate signing keys: %w", err)
	}
	if err := m.Reload(ctx); err != nil {
		return sk.KID, fmt.Errorf("rotate signing keys: stored %s but could not reload: %w", sk.KID, err)
	}
	return sk.KID, nil
}

// Reload re-reads the keys from the store. On error the keys in use stay
// as they were, and the error is kept for ReloadErr.
func (m *Manager) Reload(ctx context.Context) error {
	if m.ks == nil {
		return nil
	}
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	return m.reloadLocked(ctx)
}

func (m *Manager) reloadLocked(ctx context.Context) error {
	set, err := m.load(ctx)
	if err == nil && set.signer == nil {
		err = fmt.Errorf("no unretired %s key in the store", m.alg)
	}
	if err != nil {
		err = fmt.Errorf("reload signing keys: %w", err)
	} else {
		m.keys.Store(set)
	}
	m.errMu.Lock()
	m.reloadErr = err
	m.errMu.Unlock()
	return err
}

// ReloadErr returns the error of the latest reload, or nil if it
// succeeded: Run logs nothing, so this is how serve can tell (in logs or
// readiness) that the keys have stopped following the database.
func (m *Manager) ReloadErr() error {
	m.errMu.Lock()
	defer m.errMu.Unlock()
	return m.reloadErr
}

// Run reloads the keys every ReloadEvery until ctx ends, so that a rotation
// on another instance (or `latchkey keys rotate`) is used and published
// here without a restart.
func (m *Manager) Run(ctx context.Context) {
	if m.ks == nil {
		<-ctx.Done()
		return
	}
	t := time.NewTicker(m.reloadEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.Reload(ctx) // the error is kept for ReloadErr
		}
	}
}

// retiredFor is how long a retired key stays published. Its last token
// here expires TTL after retirement, but another instance may sign with it
// until its next reload, up to ReloadEvery later (twice, for a slow reload).
func (m *Manager) retiredFor() time.Duration {
	return m.ttl + 2*m.reloadEvery
}

// load reads the rows of the configured algorithm, skips retired keys
// whose time is up and opens the private keys of the unretired ones. Keys
// of another algorithm are left alone: their tokens are refused anyway,
// since only the configured alg verifies.
func (m *Manager) load(ctx context.Context) (*keySet, error) {
	rows, err := m.ks.SigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	now := m.now()
	var keys []*key
	for _, r := range rows {
		if r.Alg != m.alg {
			continue
		}
		k := &key{kid: r.KID, created: r.CreatedAt}
		if r.RetiredAt != nil {
			k.until = r.RetiredAt.Add(m.retiredFor())
			if !now.Before(k.until) {
				continue
			}
		}
		if k.verify, err = parsePublic(r.Alg, r.Public); err != nil {
			return nil, fmt.Errorf("signing key %s: %w", r.KID, err)
		}
		if k.jwk, err = newJWK(r.KID, r.Alg, k.verify); err != nil {
			return nil, fmt.Errorf("signing key %s: %w", r.KID, err)
		}
		if r.RetiredAt == nil {
			if k.sign, err = m.openPrivate(r, k.verify); err != nil {
				return nil, err
			}
		}
		keys = append(keys, k)
	}
	return newKeySet(keys, now), nil
}
