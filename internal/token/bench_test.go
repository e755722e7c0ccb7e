package token_test

import (
	"testing"

	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/token"
)

var benchAlgs = []string{token.ES256, token.EdDSA, token.HS256}

func benchManager(b *testing.B, alg string, cacheSize int) *token.Manager {
	o := options(alg, authtest.NewClock())
	o.CacheSize = cacheSize
	return newManager(b, &memKeys{}, o)
}

// BenchmarkVerify is the hot path of an authenticated API request: a token
// seen before, answered from the cache.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range benchAlgs {
		b.Run(alg, func(b *testing.B) {
			m := benchManager(b, alg, 0)
			tok := issue(b, m, far)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Verify(tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyParallel is BenchmarkVerify on every core, for the cost
// of sharing the cache's lock.
func BenchmarkVerifyParallel(b *testing.B) {
	for _, alg := range benchAlgs {
		b.Run(alg, func(b *testing.B) {
			m := benchManager(b, alg, 0)
			toks := make([]string, 64)
			for i := range toks {
				toks[i] = issue(b, m, far)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					if _, err := m.Verify(toks[i%len(toks)]); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
		})
	}
}

// BenchmarkVerifyUncached is a first sight of a token: parse, signature,
// claims (the cache is off).
func BenchmarkVerifyUncached(b *testing.B) {
	for _, alg := range benchAlgs {
		b.Run(alg, func(b *testing.B) {
			m := benchManager(b, alg, -1)
			tok := issue(b, m, far)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Verify(tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIssue is the signing cost of a login or a refresh.
func BenchmarkIssue(b *testing.B) {
	for _, alg := range benchAlgs {
		b.Run(alg, func(b *testing.B) {
			m := benchManager(b, alg, 0)
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := m.Issue(aliceID, sessionID, token.RoleUser, far); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
