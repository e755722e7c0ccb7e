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
	// SignsFrom is when the key starts signing: a rotation publishes the
	// new key at once but lets it sign only once verifiers that cached the
	// JWK Set before have fetched it again (see Rotate). Zero means
	// CreatedAt.
	SignsFrom time.Time
	// RetiredAt is when the key stops signing, nil while no newer key
	// replaces it. It may lie ahead: the key being replaced signs until its
	// successor's SignsFrom.
	RetiredAt *time.Time
}

// KeyStore persists signing keys; store.Store implements it. It is an
// interface so that this package does not depend on SQL and its tests can
// count what is read.
type KeyStore interface {
	// SigningKeys returns every row, retired ones included.
	SigningKeys(ctx context.Context) ([]StoredKey, error)
	// InsertSigningKey adds a row; a duplicate kid is an error.
	InsertSigningKey(ctx context.Context, k StoredKey) error
	// RetireSigningKeys sets retired_at to at on every key older than
	// exceptKID (ordered by created_at and then kid, as the manager picks
	// its signer) that is unretired or retired after at: an earlier
	// retirement stands, a later one is brought forward (a rotation --now
	// after a plain one stops the old key at once). Keys newer than
	// exceptKID come from a rotation running at the same time, which wins:
	// of two rotations at once one key survives, never neither.
	RetireSigningKeys(ctx context.Context, exceptKID string, at time.Time) error
}

// key is a usable key: parsed, opened, and with what the JWKS says of it.
type key struct {
	kid       string
	verify    any // *ecdsa.PublicKey, ed25519.PublicKey, or the HS256 secret
	sign      any // *ecdsa.PrivateKey, ed25519.PrivateKey or the secret; nil if retired when loaded
	jwk       *jwk
	created   time.Time
	signsFrom time.Time // when it starts signing
	retired   time.Time // when it stops signing; zero while unretired
	until     time.Time // when it stops being published; zero while unretired
}

// signsAt reports whether k may sign at now: it has a private key, its
// time has come and no successor has taken over.
func (k *key) signsAt(now time.Time) bool {
	return k.sign != nil && !now.Before(k.signsFrom) && (k.retired.IsZero() || now.Before(k.retired))
}

// keySet is what a Manager works with between reloads. It is never
// modified, only replaced, so readers need no lock.
type keySet struct {
	byKID  map[string]*key
	signer *key // the newest key that signs at the set's time
	// stale is set when no key signs at the set's time and signer is the
	// newest whose retirement has passed: the keys in memory keep working,
	// and a reload that finds this refuses the set and says so.
	stale bool
	jwks  []byte
	// expires is when the set stops being true: a retired key leaves, a
	// rotated key starts signing or the signer retires. The set is rebuilt
	// from memory then, so neither the JWKS nor the choice of signer waits
	// for a reload, and every instance switches at the stored time.
	expires time.Time
}

func newKeySet(keys []*key, now time.Time) *keySet {
	s := &keySet{byKID: make(map[string]*key, len(keys))}
	// Newest first, then by kid, so that every instance picks the same
	// signer.
	keys = slices.Clone(keys)
	slices.SortFunc(keys, func(a, b *key) int {
		if c := b.created.Compare(a.created); c != 0 {
			return c
		}
		return strings.Compare(b.kid, a.kid)
	})
	soonest := func(t time.Time) {
		if t.After(now) && (s.expires.IsZero() || t.Before(s.expires)) {
			s.expires = t
		}
	}
	var published []*key
	for _, k := range keys {
		if !k.until.IsZero() && !now.Before(k.until) {
			continue
		}
		s.byKID[k.kid] = k
		published = append(published, k)
		if k.signsAt(now) && s.signer == nil {
			s.signer = k
		}
		if k.sign != nil {
			soonest(k.signsFrom)
			soonest(k.retired)
		}
		soonest(k.until)
	}
	if s.signer == nil {
		// Nothing may sign (every key retired by an instance configured
		// for another algorithm, say): keep signing with the newest key
		// that has signed rather than with none.
		for _, k := range published {
			if k.sign != nil && !now.Before(k.signsFrom) {
				s.signer, s.stale = k, true
				break
			}
		}
	}
	// The signer leads the document, then the others newest first.
	doc := struct {
		Keys []*jwk `json:"keys"`
	}{Keys: []*jwk{}}
	if s.signer != nil && s.signer.jwk != nil {
		doc.Keys = append(doc.Keys, s.signer.jwk)
	}
	for _, k := range published {
		if k != s.signer && k.jwk != nil {
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

// current returns the key set, first rebuilding it from memory if it has
// stopped being true at now (a retired key's time is up, or a rotated key
// starts signing).
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

// Rotation is what a rotation did: the new key's kid and when it starts
// signing.
type Rotation struct {
	KID       string
	SignsFrom time.Time
}

// Rotate adds a new key that every instance publishes at once (or at its
// next reload) and that signs from the rotation's time plus the JWKS's
// max-age plus twice the reload interval: by then every instance has
// published it and every verifier that cached the JWK Set before has
// fetched it again, so none meets a kid it does not know. The key in use
// signs until then, and stays published (its tokens valid) until the tokens
// it may have signed have expired.
func (m *Manager) Rotate(ctx context.Context) (Rotation, error) {
	return m.rotate(ctx, m.jwksMaxAge+m.publishedWithin())
}

// RotateNow is Rotate for a leaked key: the new key signs at once (on other
// instances from their next reload, or from the first token it signed that
// they meet) and the old one stops. The cost: a verifier that cached the
// JWK Set and does not fetch it again on an unknown kid refuses the new
// tokens until its cache expires, up to the JWKS's max-age.
func (m *Manager) RotateNow(ctx context.Context) (Rotation, error) {
	return m.rotate(ctx, 0)
}

// rotate stores a new key that signs delay from now and retires the older
// ones at that moment.
func (m *Manager) rotate(ctx context.Context, delay time.Duration) (Rotation, error) {
	if m.alg == HS256 {
		return Rotation{}, errors.New("rotate signing keys: HS256 signs with LATCHKEY_JWT_SECRET, which is not stored; change the secret instead (tokens signed with the old one stop verifying)")
	}
	rows, err := m.ks.SigningKeys(ctx)
	if err != nil {
		return Rotation{}, fmt.Errorf("rotate signing keys: %w", err)
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
		return Rotation{}, fmt.Errorf("rotate signing keys: %w", err)
	}
	// It signs delay after our now, not after created, which may lie ahead
	// of it: RotateNow means now here.
	sk.SignsFrom = now.Add(delay)
	if err := m.ks.InsertSigningKey(ctx, sk); err != nil {
		return Rotation{}, fmt.Errorf("rotate signing keys: %w", err)
	}
	// The keys in use retire when the new one starts signing, so that one
	// key signs at any moment. A crash between the two writes leaves the
	// old key unretired: both sign from SignsFrom on, and the newer wins,
	// which is the state after rotation in all but the old key's retired_at.
	rot := Rotation{KID: sk.KID, SignsFrom: sk.SignsFrom}
	if err := m.ks.RetireSigningKeys(ctx, sk.KID, sk.SignsFrom); err != nil {
		return Rotation{}, fmt.Errorf("rotate signing keys: %w", err)
	}
	if err := m.Reload(ctx); err != nil {
		return rot, fmt.Errorf("rotate signing keys: stored %s but could not reload: %w", sk.KID, err)
	}
	return rot, nil
}

// Issuer is the iss every token this Manager issues carries, and the only
// one it accepts: what token introspection reports as a token's issuer.
func (m *Manager) Issuer() string { return m.issuer }

// Audience is the aud every token this Manager issues carries, and the one
// a token must carry to verify.
func (m *Manager) Audience() string { return m.audience }

// JWKSMaxAge is how long verifiers may cache the JWK Set: the max-age of
// its Cache-Control header, which must be this for Rotate's promise to
// hold.
func (m *Manager) JWKSMaxAge() time.Duration { return m.jwksMaxAge }

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
	if err == nil && (set.signer == nil || set.stale) {
		err = fmt.Errorf("no %s key in the store may sign now", m.alg)
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
// here expires TTL after retirement, but after a RotateNow another instance
// may sign with it until its next reload.
func (m *Manager) retiredFor() time.Duration {
	return m.ttl + m.publishedWithin()
}

// publishedWithin is how long a key stored by one instance may take to reach
// the others: up to ReloadEvery, twice for a slow reload.
func (m *Manager) publishedWithin() time.Duration {
	return 2 * m.reloadEvery
}

// load reads the rows of the configured algorithm, skips retired keys
// whose time is up and opens the private keys of the ones that may still
// sign. Keys
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
		k := &key{kid: r.KID, created: r.CreatedAt, signsFrom: r.SignsFrom}
		if k.signsFrom.IsZero() {
			k.signsFrom = r.CreatedAt
		}
		if r.RetiredAt != nil {
			k.retired = *r.RetiredAt
			k.until = k.retired.Add(m.retiredFor())
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
		if r.RetiredAt == nil || now.Before(*r.RetiredAt) {
			if k.sign, err = m.openPrivate(r, k.verify); err != nil {
				return nil, err
			}
		}
		keys = append(keys, k)
	}
	return newKeySet(keys, now), nil
}
