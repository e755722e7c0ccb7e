package password

import (
	"context"
	"runtime"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
)

// The benchmarks run at DefaultParams, side by side with the bare argon2id
// call, so that the design's budget (login at ≥ 90 % of the raw hashing
// rate) can be read as a ratio from one run:
//
//	go test -run '^$' -bench . ./internal/password/

var benchSalt = []byte("0123456789abcdef")

func BenchmarkArgon2idRaw(b *testing.B) {
	p := DefaultParams()
	for b.Loop() {
		argon2.IDKey([]byte("correct horse battery staple"), benchSalt, p.Time, p.MemoryKiB, p.Threads, KeyLen)
	}
}

func benchHasher() *Hasher {
	return NewHasher(DefaultParams(), NewPool(runtime.GOMAXPROCS(0), time.Minute))
}

func BenchmarkHasherHash(b *testing.B) {
	h, ctx := benchHasher(), context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHasherVerify(b *testing.B) {
	h, ctx := benchHasher(), context.Background()
	encoded, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, "correct horse battery staple", encoded); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkHasherVerifyDummy(b *testing.B) {
	h, ctx := benchHasher(), context.Background()
	for b.Loop() {
		if err := h.VerifyDummy(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

// The parallel pair shows the pool's cost when every core is hashing.

func BenchmarkArgon2idRawParallel(b *testing.B) {
	p := DefaultParams()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			argon2.IDKey([]byte("correct horse battery staple"), benchSalt, p.Time, p.MemoryKiB, p.Threads, KeyLen)
		}
	})
}

func BenchmarkHasherVerifyParallel(b *testing.B) {
	h, ctx := benchHasher(), context.Background()
	encoded, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, _, err := h.Verify(ctx, "correct horse battery staple", encoded); !ok || err != nil {
				b.Error(ok, err)
				return
			}
		}
	})
}
