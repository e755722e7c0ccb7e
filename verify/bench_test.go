package verify_test

import (
	"context"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/latchkey/latchkey/verify"
)

// benchVerifier returns a Verifier for alg and a token it accepts.
func benchVerifier(b *testing.B, alg string, opts ...verify.Option) (*verify.Verifier, string) {
	if alg == verify.HS256 {
		f := startFakeLatchkey(verify.ES256) // for its claims; nothing is fetched
		b.Cleanup(f.Close)
		secret := []byte("0123456789abcdef0123456789abcdef")
		tok := sign(jwt.SigningMethodHS256, secret, map[string]any{"kid": verify.SecretKID(secret)}, f.claims(nil))
		return newVerifier(b, f.URL(), append(opts, verify.WithSecret(secret))...), tok
	}
	f := startFakeLatchkey(alg)
	b.Cleanup(f.Close)
	return newVerifier(b, f.URL(), append(opts, verify.WithAlgorithm(alg))...), f.AccessToken()
}

// BenchmarkVerify is a service's hot path: a token seen before, answered
// from the cache.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range []string{verify.ES256, verify.EdDSA, verify.HS256} {
		b.Run(alg, func(b *testing.B) {
			v, tok := benchVerifier(b, alg)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyUncached is a first sight of a token: parse, signature,
// claims, with the key from the cached JWK Set (the token cache is off).
func BenchmarkVerifyUncached(b *testing.B) {
	for _, alg := range []string{verify.ES256, verify.EdDSA, verify.HS256} {
		b.Run(alg, func(b *testing.B) {
			v, tok := benchVerifier(b, alg, verify.WithCacheSize(-1))
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
