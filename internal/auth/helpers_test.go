package auth_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/seal"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

type env struct {
	svc    *auth.Service
	store  *store.Store
	hasher *authtest.CountingHasher
	clock  *authtest.Clock
	tokens *token.Manager
	seen   map[string]bool // audit events already checked: see expect
}

type option func(*config)

type config struct {
	hasher  auth.Hasher
	limiter auth.Limiter
	opts    auth.Options
	secrets *seal.Box
}

func withHasher(h auth.Hasher) option   { return func(c *config) { c.hasher = h } }
func withLimiter(l auth.Limiter) option { return func(c *config) { c.limiter = l } }
func withOptions(o auth.Options) option { return func(c *config) { c.opts = o } }

// withMasterKey seals secrets at rest, as LATCHKEY_MASTER_KEY does.
func withMasterKey() option {
	return func(c *config) {
		box, err := seal.New([]byte("0123456789abcdef0123456789abcdef"))
		if err != nil {
			panic(err)
		}
		c.secrets = box
	}
}

// newEnv returns a Service on a fresh SQLite file with cheap hashing and a
// fixed clock.
func newEnv(t *testing.T, opts ...option) *env {
	t.Helper()
	c := config{hasher: authtest.NewHasher(), opts: auth.DefaultOptions()}
	for _, o := range opts {
		o(&c)
	}
	s, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "latchkey.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	h := &authtest.CountingHasher{Hasher: c.hasher}
	clock := authtest.NewClock()
	tokens, err := token.New(context.Background(), s, token.Options{
		Alg: "ES256", Issuer: "http://latchkey.test", Audience: "http://latchkey.test",
		TTL: 15 * time.Minute, Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	svc := auth.NewService(auth.Deps{Store: s, Hasher: h, Limiter: c.limiter, Tokens: tokens, Now: clock.Now, Secrets: c.secrets}, c.opts)
	return &env{svc: svc, store: s, hasher: h, clock: clock, tokens: tokens}
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
