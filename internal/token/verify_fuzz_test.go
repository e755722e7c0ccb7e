package token_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/token"
	"github.com/latchkey/latchkey/internal/token/tokentest"
)

// FuzzVerify feeds Verify random strings and mutations of real tokens of
// every algorithm, and checks the one property that matters: a token is
// accepted only if the manager's key signed exactly its header and
// payload, as an independent check of the signature with the key itself
// confirms, in the one encoding the parser allows. Every refusal wraps
// ErrInvalid, which is what the API answers 401 on. The keys are fixed,
// so that a token in the corpus verifies in every fuzzing process.
func FuzzVerify(f *testing.F) {
	clock := authtest.NewClock()
	edKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	ecKey, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), bytes.Repeat([]byte{7}, 32))
	if err != nil {
		f.Fatal(err)
	}
	row := func(kid, alg string, priv crypto.Signer) *memKeys {
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		authtest.NoError(f, err)
		pub, err := x509.MarshalPKIXPublicKey(priv.Public())
		authtest.NoError(f, err)
		return &memKeys{rows: []token.StoredKey{{KID: kid, Alg: alg, Private: der, Public: pub, CreatedAt: clock.Now().Add(-time.Hour)}}}
	}
	type env struct {
		alg         string
		m           *token.Manager
		signedByKey tokentest.Signed
	}
	envs := []env{
		{token.HS256, newManager(f, nil, options(token.HS256, clock)), tokentest.SignedHS256(secret)},
		{token.EdDSA, newManager(f, row("fuzz-ed", token.EdDSA, edKey), options(token.EdDSA, clock)), tokentest.SignedEdDSA(edKey.Public().(ed25519.PublicKey))},
		{token.ES256, newManager(f, row("fuzz-es", token.ES256, ecKey), options(token.ES256, clock)), tokentest.SignedES256(&ecKey.PublicKey)},
	}
	for _, e := range envs {
		for _, role := range []string{token.RoleUser, token.RoleAdmin} {
			tok, _, err := e.m.Issue(aliceID, sessionID, role, far)
			authtest.NoError(f, err)
			f.Add(tok)
		}
	}
	// A token signed by a key the managers do not have, under a header
	// and claims they would otherwise accept.
	forged := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": issuer, "aud": audience, "sub": aliceID, "sid": sessionID, "role": "user",
		"iat": clock.Now().Unix(), "exp": clock.Now().Add(ttl).Unix(), "jti": "0194f2a0-7a4e-7cc3-9d6e-0a1b2c3d4e61",
	})
	forged.Header["typ"] = "at+jwt"
	forged.Header["kid"] = "fuzz-ed"
	s, err := forged.SignedString([]byte("another secret of thirty-two bytes"))
	authtest.NoError(f, err)
	f.Add(s)
	for _, s := range []string{"", ".", "..", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", strings.Repeat("A", token.MaxLen+1)} {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, tok string) {
		for _, e := range envs {
			c, err := e.m.Verify(tok)
			if err != nil {
				if !errors.Is(err, token.ErrInvalid) {
					t.Fatalf("%s: Verify(%q): %v does not wrap ErrInvalid", e.alg, tok, err)
				}
				continue
			}
			tokentest.CheckAccepted(t, e.alg, tok, e.signedByKey)
			if c.UserID != aliceID || c.SessionID != sessionID {
				t.Fatalf("%s: Verify(%q) = %+v", e.alg, tok, c)
			}
		}
	})
}
