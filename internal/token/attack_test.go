package token_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/token"
	"github.com/latchkey/latchkey/internal/token/tokentest"
)

// attackEnv is an ES256 manager and what an attacker (or a test that
// plays one with the real key) needs to forge tokens for it.
type attackEnv struct {
	clock *authtest.Clock
	m     *token.Manager
	ks    *memKeys
	good  string // a token m issued
	forge *tokentest.Forger
}

func newAttackEnv(t *testing.T) *attackEnv {
	clock := authtest.NewClock()
	ks := &memKeys{}
	m := newManager(t, ks, options(token.ES256, clock))
	good := issue(t, m, far)
	kid := kidOf(t, good)
	forge := &tokentest.Forger{Key: privateKey(t, ks, kid).(*ecdsa.PrivateKey), KID: kid, Good: good, Now: clock.Now(), JWKS: m.JWKS()}
	return &attackEnv{clock: clock, m: m, ks: ks, good: good, forge: forge}
}

// es256 signs the good token's claims, changed by claims, with the real
// key under the header changed by header (a nil value deletes a member).
func (e *attackEnv) es256(t *testing.T, header map[string]any, claims map[string]any) string {
	return e.forge.ES256(t, header, claims)
}

// TestVerifyRefusesAttacks runs the attacks every verifier of Latchkey's
// tokens must refuse (tokentest, which cmd/latchkey also runs against the
// verify package and a real server), and those that need a second
// manager, against the manager's Verify.
func TestVerifyRefusesAttacks(t *testing.T) {
	e := newAttackEnv(t)
	edClock := authtest.NewClock()
	edManager := newManager(t, &memKeys{}, options(token.EdDSA, edClock))
	strangerManager := newManager(t, &memKeys{}, options(token.ES256, e.clock))

	// The forgeries change one thing each from this baseline, signed
	// with the real key, which must pass: else they would prove nothing.
	if _, err := e.m.Verify(e.es256(t, nil, nil)); err != nil {
		t.Fatalf("the baseline forgery is refused: %v", err)
	}
	cached := token.CacheLen(e.m)

	type attack struct {
		tokentest.Attack
		by *token.Manager // nil: e.m
	}
	var attacks []attack
	for _, a := range tokentest.Attacks(t, e.forge) {
		attacks = append(attacks, attack{Attack: a})
	}
	attacks = append(attacks,
		attack{tokentest.Attack{Name: "from another manager with its own key", Why: "unknown or withdrawn kid", Token: issue(t, strangerManager, far)}, nil},
		attack{tokentest.Attack{Name: "ES256 token to an EdDSA manager", Why: "signing method ES256 is invalid", Token: e.good}, edManager},
		attack{tokentest.Attack{Name: "EdDSA token to an ES256 manager", Why: "signing method EdDSA is invalid", Token: issue(t, edManager, far)}, nil},
	)
	for _, tc := range attacks {
		t.Run(tc.Name, func(t *testing.T) {
			by := tc.by
			if by == nil {
				by = e.m
			}
			c, err := by.Verify(tc.Token)
			if c != nil {
				t.Fatalf("accepted: %+v", c)
			}
			wantInvalid(t, err)
			if !strings.Contains(err.Error(), tc.Why) {
				t.Fatalf("refused for %q, want %q", err, tc.Why)
			}
		})
	}

	// Nothing above reached the cache, and the manager still works.
	authtest.Equal(t, token.CacheLen(e.m), cached)
	if _, err := e.m.Verify(e.good); err != nil {
		t.Fatalf("a good token after the attacks: %v", err)
	}
}

// TestVerifyAcceptsAnAudienceList shows that the aud claim is read in both
// forms RFC 7519 allows, though Latchkey writes a single string.
func TestVerifyAcceptsAnAudienceList(t *testing.T) {
	e := newAttackEnv(t)
	c, err := e.m.Verify(e.es256(t, map[string]any{"typ": "application/at+jwt"},
		map[string]any{"aud": []string{"https://a.example", audience}}))
	authtest.NoError(t, err)
	authtest.Equal(t, c.UserID, aliceID)
}

// TestECDSASignatureMalleability documents what a malleated ES256
// signature does. An ECDSA signature (r, s) has a twin (r, n−s) that is
// equally valid for the same message and key; Go's crypto/ecdsa, which
// golang-jwt uses, does not insist on the low s (neither does RFC 7518),
// so the twin verifies. That is why nothing may key on the token string as
// an identity: revocation keys on the session id (sid) and the cache,
// which keys on the string, only ever holds tokens that verified, so a
// twin is merely a second cache entry for the same, equally valid claims.
func TestECDSASignatureMalleability(t *testing.T) {
	e := newAttackEnv(t)
	i := strings.LastIndexByte(e.good, '.')
	sig, err := base64.RawURLEncoding.DecodeString(e.good[i+1:])
	authtest.NoError(t, err)
	authtest.Equal(t, len(sig), 64)
	n := elliptic.P256().Params().N
	s := new(big.Int).SetBytes(sig[32:])
	twin := append(sig[:32:32], new(big.Int).Sub(n, s).FillBytes(make([]byte, 32))...)
	malleated := e.good[:i+1] + base64.RawURLEncoding.EncodeToString(twin)
	if malleated == e.good {
		t.Fatal("the malleated token is the original")
	}

	orig, err := e.m.Verify(e.good)
	authtest.NoError(t, err)
	got, err := e.m.Verify(malleated)
	if err != nil {
		t.Logf("the (r, n−s) twin is refused: %v", err)
		wantInvalid(t, err)
		return
	}
	t.Logf("the (r, n−s) twin verifies: a second token string for the same claims")
	// Whatever the string, the session and the token id are the original's,
	// so revoking the session (or refusing the jti) covers both.
	authtest.Equal(t, *got, *orig)
}

// TestEd25519RefusesNonCanonicalSignatures shows that EdDSA has no such
// twin: S + L encodes the same scalar, and crypto/ed25519 refuses it.
func TestEd25519RefusesNonCanonicalSignatures(t *testing.T) {
	clock := authtest.NewClock()
	m := newManager(t, &memKeys{}, options(token.EdDSA, clock))
	good := issue(t, m, far)
	i := strings.LastIndexByte(good, '.')
	sig, err := base64.RawURLEncoding.DecodeString(good[i+1:])
	authtest.NoError(t, err)
	authtest.Equal(t, len(sig), ed25519.SignatureSize)

	// S is little-endian; L is the order of the base point.
	l, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
	le := func(b []byte) []byte {
		r := make([]byte, len(b))
		for j := range b {
			r[j] = b[len(b)-1-j]
		}
		return r
	}
	s := new(big.Int).SetBytes(le(sig[32:]))
	sl := new(big.Int).Add(s, l).FillBytes(make([]byte, 32))
	bad := append(sig[:32:32], le(sl)...)
	_, err = m.Verify(good[:i+1] + base64.RawURLEncoding.EncodeToString(bad))
	wantInvalid(t, err)
	_, err = m.Verify(good)
	authtest.NoError(t, err)
}

// TestVerifyErrorsSayWhy checks that the wrapped reason reaches the logs
// while the error stays ErrInvalid (which auth turns into invalid_token).
func TestVerifyErrorsSayWhy(t *testing.T) {
	e := newAttackEnv(t)
	_, err := e.m.Verify(e.es256(t, nil, map[string]any{"exp": e.clock.Now().Unix() - 1}))
	wantInvalid(t, err)
	if !strings.Contains(err.Error(), "expired") {
		t.Fatalf("error %q does not say expired", err)
	}
}
