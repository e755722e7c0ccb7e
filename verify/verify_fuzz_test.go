package verify_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/latchkey/latchkey/internal/token/tokentest"
	"github.com/latchkey/latchkey/verify"
)

// FuzzVerify is internal/token's FuzzVerify for a Verifier: random strings
// and mutations of real tokens of every algorithm, and the one property
// that matters: a token is accepted only if the key signed exactly its
// header and payload, as an independent check of the signature confirms,
// in the one encoding the parser allows, and every refusal wraps
// ErrInvalid. The keys, the issuer and the clock are fixed, so that a token in the
// corpus verifies in every fuzzing process.
func FuzzVerify(f *testing.F) {
	edKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	ecKey, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), bytes.Repeat([]byte{7}, 32))
	if err != nil {
		f.Fatal(err)
	}
	secret := []byte("0123456789abcdef0123456789abcdef")
	now := func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }
	ctx, cancel := context.WithCancel(context.Background())
	f.Cleanup(cancel)

	type env struct {
		alg         string
		v           *verify.Verifier
		signedByKey tokentest.Signed
	}
	published := func(alg string, key crypto.Signer) (*fakeLatchkey, *verify.Verifier) {
		fl := startFakeLatchkey(alg)
		f.Cleanup(fl.Close)
		fl.issuer, fl.now = issuer, now
		fl.keys["k1"] = key
		v, err := verify.New(ctx, issuer, verify.WithAlgorithm(alg), verify.WithJWKSURL(fl.URL()+"/.well-known/jwks.json"), verify.WithClock(now))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(fl.AccessToken())
		f.Add(fl.token("k1", map[string]any{"role": verify.RoleAdmin}))
		return fl, v
	}
	_, ed := published(verify.EdDSA, edKey)
	es, ecv := published(verify.ES256, ecKey)
	hs, err := verify.New(ctx, issuer, verify.WithSecret(secret), verify.WithClock(now))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sign(jwt.SigningMethodHS256, secret, map[string]any{"kid": verify.SecretKID(secret)}, es.claims(nil)))
	envs := []env{
		{verify.HS256, hs, tokentest.SignedHS256(secret)},
		{verify.EdDSA, ed, tokentest.SignedEdDSA(edKey.Public().(ed25519.PublicKey))},
		{verify.ES256, ecv, tokentest.SignedES256(&ecKey.PublicKey)},
	}
	for _, s := range []string{"", ".", "..", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", strings.Repeat("A", verify.MaxLen+1)} {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, tok string) {
		for _, e := range envs {
			c, err := e.v.Verify(ctx, tok)
			if err != nil {
				if !errors.Is(err, verify.ErrInvalid) {
					t.Fatalf("%s: Verify(%q): %v does not wrap ErrInvalid", e.alg, tok, err)
				}
				continue
			}
			tokentest.CheckAccepted(t, e.alg, tok, e.signedByKey)
			if c.UserID != aliceID || c.SessionID != sidA {
				t.Fatalf("%s: Verify(%q) = %+v", e.alg, tok, c)
			}
		}
	})
}
