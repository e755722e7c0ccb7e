package auth_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/store"
	"golang.org/x/crypto/argon2"
)

// The benchmarks below run at the production default parameters, so their
// ns/op compare directly: registration and login should cost one argon2id
// hash plus little, and a login for an unknown account as much as one with
// a wrong password (run: go test -run '^$' -bench . ./internal/auth/).

// benchService returns a service whose clock moves two minutes per call,
// so that repeated failures never reach the throttling threshold and every
// iteration measures the hashing path.
func benchService(b *testing.B) *auth.Service {
	b.Helper()
	s, err := store.Open(context.Background(), "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	h := password.NewHasher(password.DefaultParams(), password.NewPool(runtime.NumCPU(), time.Minute))
	clock := authtest.NewClock()
	now := func() time.Time { clock.Advance(2 * time.Minute); return clock.Now() }
	return auth.NewService(auth.Deps{Store: s, Hasher: h, Now: now}, auth.DefaultOptions())
}

func BenchmarkArgon2idRaw(b *testing.B) {
	p := password.DefaultParams()
	salt := make([]byte, 16)
	for b.Loop() {
		argon2.IDKey([]byte(goodPassword), salt, p.Time, p.MemoryKiB, p.Threads, 32)
	}
}

func BenchmarkRegister(b *testing.B) {
	svc := benchService(b)
	i := 0
	for b.Loop() {
		i++
		_, err := svc.Register(context.Background(), auth.Registration{
			Username: fmt.Sprintf("user%d", i), Email: fmt.Sprintf("user%d@example.com", i), Password: goodPassword,
		}, auth.Client{})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	svc := benchService(b)
	if _, err := svc.Register(context.Background(), auth.Registration{
		Username: "alice", Email: "alice@example.com", Password: goodPassword,
	}, auth.Client{}); err != nil {
		b.Fatal(err)
	}
	cases := []struct{ name, ident, pw string }{
		{"Success", "alice", goodPassword},
		{"WrongPassword", "alice", "wrong password"},
		{"UnknownAccount", "nobody", "wrong password"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				_, err := svc.Authenticate(context.Background(), c.ident, c.pw, auth.Client{})
				if c.pw == goodPassword && err != nil {
					b.Fatal(err)
				}
				if c.pw != goodPassword && auth.ErrorCode(err) != auth.CodeInvalidCredentials {
					b.Fatalf("got %v, want invalid credentials", err)
				}
			}
		})
	}
}
