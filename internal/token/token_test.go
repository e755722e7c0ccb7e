package token_test

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/token"
)

func TestIssueVerifyRoundTrip(t *testing.T) {
	for _, alg := range []string{token.ES256, token.EdDSA, token.HS256} {
		t.Run(alg, func(t *testing.T) {
			clock := authtest.NewClock()
			m := newManager(t, &memKeys{}, options(alg, clock))
			tok, exp, err := m.Issue(aliceID, sessionID, token.RoleUser, far)
			authtest.NoError(t, err)
			authtest.Equal(t, exp, clock.Now().Add(ttl))

			h, p := parts(t, tok)
			authtest.Equal(t, h["alg"], any(alg))
			authtest.Equal(t, h["typ"], any("at+jwt"))
			if kid, _ := h["kid"].(string); kid == "" {
				t.Fatalf("header %v has no kid", h)
			}
			authtest.Equal(t, p["aud"], any(audience)) // a string, not a one-element array
			authtest.Equal(t, p["iss"], any(issuer))
			authtest.Equal(t, p["sub"], any(aliceID))
			authtest.Equal(t, p["sid"], any(sessionID))
			authtest.Equal(t, p["role"], any("user"))

			c, err := m.Verify(tok)
			authtest.NoError(t, err)
			authtest.Equal(t, c.UserID, aliceID)
			authtest.Equal(t, c.SessionID, sessionID)
			authtest.Equal(t, c.Role, token.RoleUser)
			authtest.Equal(t, c.IssuedAt, clock.Now())
			authtest.Equal(t, c.ExpiresAt, exp)
			if p["jti"] != any(c.ID) || c.ID == "" {
				t.Fatalf("jti %v, claims ID %q", p["jti"], c.ID)
			}
			tok2 := issue(t, m, far)
			if _, p2 := parts(t, tok2); p2["jti"] == p["jti"] {
				t.Fatal("two tokens share a jti")
			}
		})
	}
}

func TestIssueCapsExpiryAtNotAfter(t *testing.T) {
	clock := authtest.NewClock()
	now := clock.Now()
	m := newManager(t, &memKeys{}, options(token.ES256, clock))
	for _, tc := range []struct {
		name     string
		notAfter time.Time
		want     time.Time
	}{
		{"the lifetime", now.Add(time.Hour), now.Add(ttl)},
		{"the session ends sooner", now.Add(5 * time.Minute), now.Add(5 * time.Minute)},
		{"rounded down to the second", now.Add(5*time.Minute + 900*time.Millisecond), now.Add(5 * time.Minute)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, exp, err := m.Issue(aliceID, sessionID, token.RoleUser, tc.notAfter)
			authtest.NoError(t, err)
			authtest.Equal(t, exp, tc.want)
			c, err := m.Verify(tok)
			authtest.NoError(t, err)
			authtest.Equal(t, c.ExpiresAt, tc.want)
		})
	}
	t.Run("the session has ended", func(t *testing.T) {
		if _, _, err := m.Issue(aliceID, sessionID, token.RoleUser, now.Add(500*time.Millisecond)); err == nil {
			t.Fatal("issued a token that expires at once")
		}
	})
}

// TestJOSEVerifiesOurTokens checks the tokens and the JWKS against an
// independent implementation, as another service would use them.
func TestJOSEVerifiesOurTokens(t *testing.T) {
	for _, tc := range []struct {
		alg     string
		joseAlg jose.SignatureAlgorithm
		kty     string
	}{
		{token.ES256, jose.ES256, "EC"},
		{token.EdDSA, jose.EdDSA, "OKP"},
	} {
		t.Run(tc.alg, func(t *testing.T) {
			clock := authtest.NewClock()
			m := newManager(t, openStore(t), options(tc.alg, clock))
			tok := issue(t, m, far)

			var set jose.JSONWebKeySet
			if err := json.Unmarshal(m.JWKS(), &set); err != nil {
				t.Fatalf("go-jose cannot read the JWKS: %v", err)
			}
			jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{tc.joseAlg})
			if err != nil {
				t.Fatalf("go-jose cannot parse the token: %v", err)
			}
			kid := jws.Signatures[0].Header.KeyID
			keys := set.Key(kid)
			if len(keys) != 1 {
				t.Fatalf("JWKS has %d keys for kid %q", len(keys), kid)
			}
			k := keys[0]
			authtest.Equal(t, k.Algorithm, tc.alg)
			authtest.Equal(t, k.Use, "sig")
			if !k.IsPublic() || !k.Valid() {
				t.Fatal("the published key is not a valid public key")
			}
			payload, err := jws.Verify(k)
			if err != nil {
				t.Fatalf("go-jose rejects the signature: %v", err)
			}
			var p map[string]any
			authtest.NoError(t, json.Unmarshal(payload, &p))
			authtest.Equal(t, p["sub"], any(aliceID))

			// The kid is the RFC 7638 thumbprint, as go-jose computes it.
			tp, err := k.Thumbprint(crypto.SHA256)
			authtest.NoError(t, err)
			authtest.Equal(t, base64.RawURLEncoding.EncodeToString(tp), kid)

			var raw map[string][]map[string]any
			authtest.NoError(t, json.Unmarshal(m.JWKS(), &raw))
			authtest.Equal(t, raw["keys"][0]["kty"], any(tc.kty))
			if _, ok := raw["keys"][0]["d"]; ok {
				t.Fatal("the JWKS publishes a private key")
			}
		})
	}
}

func TestHS256(t *testing.T) {
	clock := authtest.NewClock()
	ks := &memKeys{}
	m := newManager(t, ks, options(token.HS256, clock))

	authtest.Equal(t, string(m.JWKS()), `{"keys":[]}`)
	authtest.NoError(t, m.Reload(context.Background()))
	_, err := m.Verify(`eyJhbGciOiJIUzI1NiIsImtpZCI6Im5vcGUiLCJ0eXAiOiJhdCtqd3QifQ.e30.c2ln`)
	wantInvalid(t, err)
	if len(ks.rows) != 0 || ks.readCount() != 0 {
		t.Fatal("HS256 mode used the key store")
	}
	if !strings.HasPrefix(kidOf(t, issue(t, m, far)), "hs-") {
		t.Fatal("the HS256 kid is not derived from the secret")
	}
	if _, err := m.Rotate(context.Background()); err == nil || !strings.Contains(err.Error(), "LATCHKEY_JWT_SECRET") {
		t.Fatalf("Rotate in HS256 mode: %v; want an error pointing at LATCHKEY_JWT_SECRET", err)
	}

	o := options(token.HS256, clock)
	o.Secret = []byte("another secret, also 32 bytes long")
	other := newManager(t, nil, o)
	_, err = m.Verify(issue(t, other, far))
	wantInvalid(t, err)
	if kidOf(t, issue(t, other, far)) == kidOf(t, issue(t, m, far)) {
		t.Fatal("two secrets have the same kid")
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	clock := authtest.NewClock()
	for _, tc := range []struct {
		name   string
		change func(*token.Options)
		ks     token.KeyStore
	}{
		{"unknown alg", func(o *token.Options) { o.Alg = "RS256" }, &memKeys{}},
		{"alg none", func(o *token.Options) { o.Alg = "none" }, &memKeys{}},
		{"no issuer", func(o *token.Options) { o.Issuer = "" }, &memKeys{}},
		{"no audience", func(o *token.Options) { o.Audience = "" }, &memKeys{}},
		{"short secret", func(o *token.Options) { o.Alg, o.Secret = token.HS256, secret[:31] }, nil},
		{"no secret", func(o *token.Options) { o.Alg, o.Secret = token.HS256, nil }, nil},
		{"short master key", func(o *token.Options) { o.MasterKey = masterKey[:16] }, &memKeys{}},
		{"no key store", func(o *token.Options) {}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := options(token.ES256, clock)
			tc.change(&o)
			if _, err := token.New(context.Background(), tc.ks, o); err == nil {
				t.Fatal("New succeeded")
			}
		})
	}
}

func TestNewDefaultsToES256(t *testing.T) {
	clock := authtest.NewClock()
	o := options("", clock)
	m := newManager(t, &memKeys{}, o)
	h, _ := parts(t, issue(t, m, far))
	authtest.Equal(t, h["alg"], any(token.ES256))
}

func TestNewKeepsTheStoredKey(t *testing.T) {
	clock := authtest.NewClock()
	ks := &memKeys{}
	a := newManager(t, ks, options(token.EdDSA, clock))
	b := newManager(t, ks, options(token.EdDSA, clock))
	authtest.Equal(t, len(ks.rows), 1)
	authtest.Equal(t, kidOf(t, issue(t, b, far)), kidOf(t, issue(t, a, far)))

	// Switching the algorithm adds a key of the new one; the old one's
	// tokens are refused, since only the configured alg verifies.
	es := newManager(t, ks, options(token.ES256, clock))
	authtest.Equal(t, len(ks.rows), 2)
	_, err := es.Verify(issue(t, a, far))
	wantInvalid(t, err)
	authtest.Equal(t, len(jwksKIDs(t, es.JWKS())), 1)
}

func TestIssueRefusesWhatVerifyWould(t *testing.T) {
	m := newManager(t, &memKeys{}, options(token.ES256, authtest.NewClock()))
	for _, tc := range []struct {
		name            string
		user, sid, role string
	}{
		{"no user id", "", sessionID, token.RoleUser},
		{"no role", aliceID, sessionID, ""},
		{"unknown role", aliceID, sessionID, "root"},
		{"no session", aliceID, "", token.RoleUser},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := m.Issue(tc.user, tc.sid, tc.role, far); err == nil {
				t.Fatal("Issue succeeded")
			}
		})
	}
}
