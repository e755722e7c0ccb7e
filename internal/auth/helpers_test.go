package auth_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/store"
)

// countingHasher is the real hasher with a record of how many hashes it
// was asked for, so tests can prove that a refusal cost none.
type countingHasher struct {
	auth.Hasher
	calls atomic.Int64
}

func (h *countingHasher) Hash(ctx context.Context, pw string) (string, error) {
	h.calls.Add(1)
	return h.Hasher.Hash(ctx, pw)
}

func (h *countingHasher) Verify(ctx context.Context, pw, encoded string) (bool, bool, error) {
	h.calls.Add(1)
	return h.Hasher.Verify(ctx, pw, encoded)
}

func (h *countingHasher) VerifyDummy(ctx context.Context, pw string) error {
	h.calls.Add(1)
	return h.Hasher.VerifyDummy(ctx, pw)
}

type env struct {
	svc    *auth.Service
	store  *store.Store
	hasher *countingHasher
	clock  *authtest.Clock
}

type option func(*config)

type config struct {
	hasher  auth.Hasher
	limiter auth.Limiter
}

func withHasher(h auth.Hasher) option   { return func(c *config) { c.hasher = h } }
func withLimiter(l auth.Limiter) option { return func(c *config) { c.limiter = l } }

// newEnv returns a Service on a fresh SQLite file with cheap hashing and a
// fixed clock.
func newEnv(t *testing.T, opts ...option) *env {
	t.Helper()
	c := config{hasher: authtest.NewHasher()}
	for _, o := range opts {
		o(&c)
	}
	s, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "latchkey.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	h := &countingHasher{Hasher: c.hasher}
	clock := authtest.NewClock()
	svc := auth.NewService(s, h, c.limiter, auth.Options{PasswordMinLength: 8}, clock.Now)
	return &env{svc: svc, store: s, hasher: h, clock: clock}
}

const goodPassword = "correct horse battery"

func (e *env) register(t *testing.T, username, email string) *auth.User {
	t.Helper()
	u, err := e.svc.Register(context.Background(), auth.Registration{Username: username, Email: email, Password: goodPassword}, auth.Client{})
	if err != nil {
		t.Fatalf("register %s: %v", username, err)
	}
	return u
}
