package token_test

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/token"
	"github.com/latchkey/latchkey/verify"
)

// TestParserNeedsOnlyTheRulesAndAKey checks a Manager's token with a
// Parser that knows nothing but the rules and the public key, as a
// verifier in another service that read the JWKS would: it must answer
// exactly what the Manager answers.
func TestParserNeedsOnlyTheRulesAndAKey(t *testing.T) {
	clock := authtest.NewClock()
	ks := &memKeys{}
	m := newManager(t, ks, options(token.ES256, clock))
	tok := issue(t, m, far)
	kid := kidOf(t, tok)
	pub, err := x509.ParsePKIXPublicKey(storedKey(t, ks, kid).Public)
	authtest.NoError(t, err)
	published := func(id string) (any, error) {
		if id != kid {
			return nil, errors.New("not in the JWKS")
		}
		return pub, nil
	}
	rules := verify.Rules{Alg: token.ES256, Issuer: issuer, Audience: audience, Now: clock.Now}

	p, err := verify.NewParser(rules)
	authtest.NoError(t, err)
	got, err := p.Parse(tok, published)
	authtest.NoError(t, err)
	want, err := m.Verify(tok)
	authtest.NoError(t, err)
	authtest.Equal(t, *got, *want)

	t.Run("a kid the key look-up does not know", func(t *testing.T) {
		_, err := p.Parse(tok, func(string) (any, error) { return nil, errors.New("not in the JWKS") })
		wantInvalid(t, err)
		if !strings.Contains(err.Error(), "not in the JWKS") {
			t.Fatalf("error %q does not give the look-up's reason", err)
		}
	})
	t.Run("another audience", func(t *testing.T) {
		r := rules
		r.Audience = "https://elsewhere.example"
		other, err := verify.NewParser(r)
		authtest.NoError(t, err)
		_, err = other.Parse(tok, published)
		wantInvalid(t, err)
	})
	t.Run("expired", func(t *testing.T) {
		clock.Advance(ttl)
		_, err := p.Parse(tok, published)
		wantInvalid(t, err)
	})
}
