// Package tokentest holds the forged and broken access tokens every
// verifier of Latchkey's tokens must refuse, as one table: Latchkey's own
// (token.Manager) and the public verify package's Verifier are run against
// the same attacks, so that neither accepts a token the other refuses.
package tokentest

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Forger makes the attacks on one verifier from what an attacker has (a
// real token, the published keys) and, so that every forgery can change
// one thing only and be refused for that fault alone, the real signing
// key.
type Forger struct {
	Key  *ecdsa.PrivateKey // the ES256 key the verifier trusts under KID
	KID  string
	Good string    // a token the verifier accepts, signed with Key
	Now  time.Time // the verifier's clock
	JWKS []byte    // the verifier's published JWK Set
}

// An Attack is a token a verifier must refuse.
type Attack struct {
	Name string
	// Why is part of the refusal's reason: each attack must be refused
	// for its own fault, not for another one the forgery has by mistake.
	Why   string
	Token string
}

// Claims returns the claims of Good with a fresh iat and exp, changed by
// set (a nil value deletes the claim).
func (f *Forger) Claims(t testing.TB, set map[string]any) jwt.MapClaims {
	t.Helper()
	_, p := f.parts(t)
	c := jwt.MapClaims(maps.Clone(p))
	c["iat"] = f.Now.Unix()
	c["exp"] = f.Now.Add(15 * time.Minute).Unix()
	for k, v := range set {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// Sign signs c with method and key under the header Latchkey writes (typ
// at+jwt, kid KID), changed by header (a nil value deletes the member).
func (f *Forger) Sign(t testing.TB, method jwt.SigningMethod, key any, header map[string]any, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	tok.Header["typ"] = "at+jwt"
	tok.Header["kid"] = f.KID
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
		} else {
			tok.Header[k] = v
		}
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ES256 signs Good's claims, changed by claims, with the real key under
// the header changed by header. With no changes it is the baseline every
// attack departs from: a verifier must accept it, or the attacks prove
// nothing.
func (f *Forger) ES256(t testing.TB, header, claims map[string]any) string {
	t.Helper()
	return f.Sign(t, jwt.SigningMethodES256, f.Key, header, f.Claims(t, claims))
}

// parts decodes Good's header and payload.
func (f *Forger) parts(t testing.TB) (header, payload map[string]any) {
	t.Helper()
	segs := strings.Split(f.Good, ".")
	if len(segs) != 3 {
		t.Fatalf("the good token has %d segments", len(segs))
	}
	decode := func(seg string) map[string]any {
		b, err := base64.RawURLEncoding.DecodeString(seg)
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	return decode(segs[0]), decode(segs[1])
}

func segment(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Attacks returns every attack on the verifier f describes.
func Attacks(t testing.TB, f *Forger) []Attack {
	t.Helper()
	goodHeader, goodPayload := f.parts(t)
	goodSig := f.Good[strings.LastIndexByte(f.Good, '.')+1:]
	pubDER, err := x509.MarshalPKIXPublicKey(&f.Key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	foreignKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}

	withHeader := func(h map[string]any, sig string) string {
		return segment(t, h) + "." + segment(t, f.Claims(t, nil)) + "." + sig
	}
	tamper := func(change func(p map[string]any)) string {
		p := maps.Clone(goodPayload)
		change(p)
		return segment(t, goodHeader) + "." + segment(t, p) + "." + goodSig
	}
	es256 := func(header, claims map[string]any) string { return f.ES256(t, header, claims) }
	now := f.Now.Unix()
	afterGood := f.Good[strings.IndexByte(f.Good, '.')+1:]

	return []Attack{
		{"alg none", "signing method none is invalid", withHeader(map[string]any{"alg": "none", "typ": "at+jwt", "kid": f.KID}, "")},
		{"alg none with a real signature", "signing method none is invalid", withHeader(map[string]any{"alg": "none", "typ": "at+jwt", "kid": f.KID}, goodSig)},
		{"alg None", "signing method (alg) is unavailable", withHeader(map[string]any{"alg": "None", "typ": "at+jwt", "kid": f.KID}, "")},
		{"no alg", "signing method (alg) is unspecified", withHeader(map[string]any{"typ": "at+jwt", "kid": f.KID}, goodSig)},
		{"HS256 keyed with the public key's DER", "signing method HS256 is invalid", f.Sign(t, jwt.SigningMethodHS256, pubDER, nil, f.Claims(t, nil))},
		{"HS256 keyed with the public key's PEM", "signing method HS256 is invalid", f.Sign(t, jwt.SigningMethodHS256, pubPEM, nil, f.Claims(t, nil))},
		{"HS256 keyed with the JWKS document", "signing method HS256 is invalid", f.Sign(t, jwt.SigningMethodHS256, f.JWKS, nil, f.Claims(t, nil))},
		{"EdDSA under our kid", "signing method EdDSA is invalid", f.Sign(t, jwt.SigningMethodEdDSA, edKey, nil, f.Claims(t, nil))},
		{"tampered payload: role admin", "verification error", tamper(func(p map[string]any) { p["role"] = "admin" })},
		{"tampered payload: another user", "verification error", tamper(func(p map[string]any) { p["sub"] = "someone-else" })},
		{"tampered payload: later exp", "verification error", tamper(func(p map[string]any) { p["exp"] = f.Now.AddDate(100, 0, 0).Unix() })},
		{"signed by another key under our kid", "verification error", f.Sign(t, jwt.SigningMethodES256, foreignKey, nil, f.Claims(t, nil))},
		{"signed by another key under its own kid", "unknown or withdrawn kid", f.Sign(t, jwt.SigningMethodES256, foreignKey, map[string]any{"kid": "a-stranger's-key"}, f.Claims(t, nil))},
		{"unknown kid", "unknown or withdrawn kid", es256(map[string]any{"kid": "no-such-key"}, nil)},
		{"no kid", "no usable kid", es256(map[string]any{"kid": nil}, nil)},
		{"kid not a string", "no usable kid", es256(map[string]any{"kid": 7}, nil)},
		{"kid too long", "no usable kid", es256(map[string]any{"kid": strings.Repeat("k", 129)}, nil)},
		{"expired", "token is expired", es256(nil, map[string]any{"exp": now - 1})},
		{"expires this second", "token is expired", es256(nil, map[string]any{"exp": now})},
		{"no exp", "exp claim is required", es256(nil, map[string]any{"exp": nil})},
		{"exp not a number", "could not JSON decode claim", es256(nil, map[string]any{"exp": "tomorrow"})},
		{"not yet valid", "not valid yet", es256(nil, map[string]any{"nbf": now + 3600})},
		{"wrong iss", "invalid issuer", es256(nil, map[string]any{"iss": "https://evil.example"})},
		{"no iss", "iss claim is required", es256(nil, map[string]any{"iss": nil})},
		{"wrong aud", "invalid audience", es256(nil, map[string]any{"aud": "https://other.example"})},
		{"aud list without ours", "invalid audience", es256(nil, map[string]any{"aud": []string{"https://a.example", "https://b.example"}})},
		{"no aud", "aud claim is required", es256(nil, map[string]any{"aud": nil})},
		{"typ JWT", "typ is not at+jwt", es256(map[string]any{"typ": "JWT"}, nil)},
		{"no typ", "typ is not at+jwt", es256(map[string]any{"typ": nil}, nil)},
		{"crit header", "crit header", es256(map[string]any{"crit": []string{"exp"}, "exp": 1}, nil)},
		{"no sub", "no sub", es256(nil, map[string]any{"sub": nil})},
		{"no sid", "no sid", es256(nil, map[string]any{"sid": nil})},
		{"no jti", "no jti", es256(nil, map[string]any{"jti": nil})},
		{"no iat", "no iat", es256(nil, map[string]any{"iat": nil})},
		{"unknown role", "unknown role", es256(nil, map[string]any{"role": "root"})},
		{"empty", "invalid number of segments", ""},
		{"garbage", "invalid number of segments", "garbage"},
		{"three empty segments", "could not JSON decode header", ".."},
		{"a.b.c", "could not base64 decode header", "a.b.c"},
		{"four segments", "invalid number of segments", f.Good + ".x"},
		{"two segments", "invalid number of segments", f.Good[:strings.LastIndexByte(f.Good, '.')]},
		{"truncated signature", "signature", f.Good[:len(f.Good)-4]},
		{"padded signature", "could not base64 decode signature", f.Good + "=="},
		{"header not JSON", "could not JSON decode header", base64.RawURLEncoding.EncodeToString([]byte("{")) + "." + afterGood},
		{"header a JSON array", "could not JSON decode header", base64.RawURLEncoding.EncodeToString([]byte(`["ES256"]`)) + "." + afterGood},
		{"megabyte", "longer than 4096 bytes", strings.Repeat("A", 1<<20)},
	}
}
