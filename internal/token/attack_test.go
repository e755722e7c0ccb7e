package token_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"maps"
	"math/big"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/token"
)

// attackEnv is an ES256 manager and what an attacker (or a test that
// plays one with the real key) needs to forge tokens for it.
type attackEnv struct {
	clock *authtest.Clock
	m     *token.Manager
	ks    *memKeys
	kid   string
	priv  *ecdsa.PrivateKey
	good  string // a token m issued
}

func newAttackEnv(t *testing.T) *attackEnv {
	clock := authtest.NewClock()
	ks := &memKeys{}
	m := newManager(t, ks, options(token.ES256, clock))
	good := issue(t, m, far)
	kid := kidOf(t, good)
	return &attackEnv{clock: clock, m: m, ks: ks, kid: kid, priv: privateKey(t, ks, kid).(*ecdsa.PrivateKey), good: good}
}

// claims returns the claims of a token m would accept, changed by set
// (a nil value deletes the claim).
func (e *attackEnv) claims(set map[string]any) jwt.MapClaims {
	now := e.clock.Now()
	c := jwt.MapClaims{
		"iss": issuer, "aud": audience, "sub": aliceID, "sid": sessionID, "role": "user",
		"iat": now.Unix(), "exp": now.Add(ttl).Unix(), "jti": "0194f2a0-7a4e-7cc3-9d6e-0a1b2c3d4e61",
	}
	for k, v := range set {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// sign signs claims with method and key under the header m expects,
// changed by header (a nil value deletes the member).
func (e *attackEnv) sign(t *testing.T, method jwt.SigningMethod, key any, header map[string]any, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	tok.Header["typ"] = "at+jwt"
	tok.Header["kid"] = e.kid
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
		} else {
			tok.Header[k] = v
		}
	}
	s, err := tok.SignedString(key)
	authtest.NoError(t, err)
	return s
}

// es256 signs with the real key.
func (e *attackEnv) es256(t *testing.T, header map[string]any, claims map[string]any) string {
	return e.sign(t, jwt.SigningMethodES256, e.priv, header, e.claims(claims))
}

func TestVerifyRefusesAttacks(t *testing.T) {
	e := newAttackEnv(t)
	goodHeader, goodPayload := parts(t, e.good)
	goodSig := e.good[strings.LastIndexByte(e.good, '.')+1:]
	pubDER, err := x509.MarshalPKIXPublicKey(&e.priv.PublicKey)
	authtest.NoError(t, err)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})

	edClock := authtest.NewClock()
	edManager := newManager(t, &memKeys{}, options(token.EdDSA, edClock))
	strangerManager := newManager(t, &memKeys{}, options(token.ES256, e.clock))
	foreignKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	authtest.NoError(t, err)

	// The forgeries below change one thing each from this baseline, signed
	// with the real key, which must pass: else they would prove nothing.
	if _, err := e.m.Verify(e.es256(t, nil, nil)); err != nil {
		t.Fatalf("the baseline forgery is refused: %v", err)
	}
	cached := token.CacheLen(e.m)

	withHeader := func(h map[string]any, sig string) string {
		return encodeSegment(t, h) + "." + encodeSegment(t, e.claims(nil)) + "." + sig
	}
	tamper := func(change func(p map[string]any)) string {
		p := maps.Clone(goodPayload)
		change(p)
		return encodeSegment(t, goodHeader) + "." + encodeSegment(t, p) + "." + goodSig
	}

	for _, tc := range []struct {
		name  string
		why   string // in the reason, so that each is refused for its own fault
		token func(t *testing.T) string
		by    *token.Manager // nil: e.m
	}{
		{"alg none", "signing method none is invalid", func(t *testing.T) string {
			return withHeader(map[string]any{"alg": "none", "typ": "at+jwt", "kid": e.kid}, "")
		}, nil},
		{"alg none with a real signature", "signing method none is invalid", func(t *testing.T) string {
			return withHeader(map[string]any{"alg": "none", "typ": "at+jwt", "kid": e.kid}, goodSig)
		}, nil},
		{"alg None", "signing method (alg) is unavailable", func(t *testing.T) string {
			return withHeader(map[string]any{"alg": "None", "typ": "at+jwt", "kid": e.kid}, "")
		}, nil},
		{"no alg", "signing method (alg) is unspecified", func(t *testing.T) string {
			return withHeader(map[string]any{"typ": "at+jwt", "kid": e.kid}, goodSig)
		}, nil},
		{"HS256 keyed with the public key's DER", "signing method HS256 is invalid", func(t *testing.T) string {
			return e.sign(t, jwt.SigningMethodHS256, pubDER, nil, e.claims(nil))
		}, nil},
		{"HS256 keyed with the public key's PEM", "signing method HS256 is invalid", func(t *testing.T) string {
			return e.sign(t, jwt.SigningMethodHS256, pubPEM, nil, e.claims(nil))
		}, nil},
		{"HS256 keyed with the JWKS document", "signing method HS256 is invalid", func(t *testing.T) string {
			return e.sign(t, jwt.SigningMethodHS256, e.m.JWKS(), nil, e.claims(nil))
		}, nil},
		{"tampered payload: role admin", "verification error", func(t *testing.T) string {
			return tamper(func(p map[string]any) { p["role"] = "admin" })
		}, nil},
		{"tampered payload: another user", "verification error", func(t *testing.T) string {
			return tamper(func(p map[string]any) { p["sub"] = "someone-else" })
		}, nil},
		{"tampered payload: later exp", "verification error", func(t *testing.T) string {
			return tamper(func(p map[string]any) { p["exp"] = far.Unix() })
		}, nil},
		{"signed by another key under our kid", "verification error", func(t *testing.T) string {
			return e.sign(t, jwt.SigningMethodES256, foreignKey, nil, e.claims(nil))
		}, nil},
		{"unknown kid", "unknown or withdrawn kid", func(t *testing.T) string { return e.es256(t, map[string]any{"kid": "no-such-key"}, nil) }, nil},
		{"no kid", "no usable kid", func(t *testing.T) string { return e.es256(t, map[string]any{"kid": nil}, nil) }, nil},
		{"kid not a string", "no usable kid", func(t *testing.T) string { return e.es256(t, map[string]any{"kid": 7}, nil) }, nil},
		{"expired", "token is expired", func(t *testing.T) string {
			return e.es256(t, nil, map[string]any{"exp": e.clock.Now().Unix() - 1})
		}, nil},
		{"expires this second", "token is expired", func(t *testing.T) string {
			return e.es256(t, nil, map[string]any{"exp": e.clock.Now().Unix()})
		}, nil},
		{"no exp", "exp claim is required", func(t *testing.T) string { return e.es256(t, nil, map[string]any{"exp": nil}) }, nil},
		{"exp not a number", "could not JSON decode claim", func(t *testing.T) string { return e.es256(t, nil, map[string]any{"exp": "tomorrow"}) }, nil},
		{"not yet valid", "not valid yet", func(t *testing.T) string {
			return e.es256(t, nil, map[string]any{"nbf": e.clock.Now().Unix() + 3600})
		}, nil},
		{"wrong iss", "invalid issuer", func(t *testing.T) string { return e.es256(t, nil, map[string]any{"iss": "https://evil.example"}) }, nil},
		{"no iss", "iss claim is required", func(t *testing.T) string { return e.es256(t, nil, map[string]any{"iss": nil}) }, nil},
		{"wrong aud", "invalid audience", func(t *testing.T) string { return e.es256(t, nil, map[string]any{"aud": "https://other.example"}) }, nil},
		{"aud list without ours", "invalid audience", func(t *testing.T) string {
			return e.es256(t, nil, map[string]any{"aud": []string{"https://a.example", "https://b.example"}})
		}, nil},
		{"no aud", "aud claim is required", func(t *testing.T) string { return e.es256(t, nil, map[string]any{"aud": nil}) }, nil},
		{"typ JWT", "typ is not at+jwt", func(t *testing.T) string { return e.es256(t, map[string]any{"typ": "JWT"}, nil) }, nil},
		{"no typ", "typ is not at+jwt", func(t *testing.T) string { return e.es256(t, map[string]any{"typ": nil}, nil) }, nil},
		{"crit header", "crit header", func(t *testing.T) string {
			return e.es256(t, map[string]any{"crit": []string{"exp"}, "exp": 1}, nil)
		}, nil},
		{"no sub", "no sub", func(t *testing.T) string { return e.es256(t, nil, map[string]any{"sub": nil}) }, nil},
		{"no sid", "no sid", func(t *testing.T) string { return e.es256(t, nil, map[string]any{"sid": nil}) }, nil},
		{"no jti", "no jti", func(t *testing.T) string { return e.es256(t, nil, map[string]any{"jti": nil}) }, nil},
		{"no iat", "no iat", func(t *testing.T) string { return e.es256(t, nil, map[string]any{"iat": nil}) }, nil},
		{"unknown role", "unknown role", func(t *testing.T) string { return e.es256(t, nil, map[string]any{"role": "root"}) }, nil},
		{"from another manager with its own key", "unknown or withdrawn kid", func(t *testing.T) string { return issue(t, strangerManager, far) }, nil},
		{"ES256 token to an EdDSA manager", "signing method ES256 is invalid", func(t *testing.T) string { return e.good }, edManager},
		{"EdDSA token to an ES256 manager", "signing method EdDSA is invalid", func(t *testing.T) string { return issue(t, edManager, far) }, nil},
		{"empty", "invalid number of segments", func(t *testing.T) string { return "" }, nil},
		{"garbage", "invalid number of segments", func(t *testing.T) string { return "garbage" }, nil},
		{"three empty segments", "could not JSON decode header", func(t *testing.T) string { return ".." }, nil},
		{"a.b.c", "could not base64 decode header", func(t *testing.T) string { return "a.b.c" }, nil},
		{"four segments", "invalid number of segments", func(t *testing.T) string { return e.good + ".x" }, nil},
		{"two segments", "invalid number of segments", func(t *testing.T) string { return e.good[:strings.LastIndexByte(e.good, '.')] }, nil},
		{"truncated signature", "signature", func(t *testing.T) string { return e.good[:len(e.good)-4] }, nil},
		{"padded signature", "could not base64 decode signature", func(t *testing.T) string { return e.good + "==" }, nil},
		{"header not JSON", "could not JSON decode header", func(t *testing.T) string {
			return base64.RawURLEncoding.EncodeToString([]byte("{")) + "." + e.good[strings.IndexByte(e.good, '.')+1:]
		}, nil},
		{"header a JSON array", "could not JSON decode header", func(t *testing.T) string {
			return base64.RawURLEncoding.EncodeToString([]byte(`["ES256"]`)) + "." + e.good[strings.IndexByte(e.good, '.')+1:]
		}, nil},
		{"megabyte", "longer than 4096 bytes", func(t *testing.T) string { return strings.Repeat("A", 1<<20) }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			by := tc.by
			if by == nil {
				by = e.m
			}
			c, err := by.Verify(tc.token(t))
			if c != nil {
				t.Fatalf("accepted: %+v", c)
			}
			wantInvalid(t, err)
			if !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("refused for %q, want %q", err, tc.why)
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
