package blog_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/blog"
	"github.com/latchkey/latchkey/internal/store"
)

// env is the blog over a fresh SQLite file, with the accounts that write
// the posts and a fixed clock both services share.
type env struct {
	svc      *blog.Service
	accounts *auth.Service
	clock    *authtest.Clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	s, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "latchkey.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	clock := authtest.NewClock()
	accounts := auth.NewService(auth.Deps{Store: s, Hasher: authtest.NewHasher(), Now: clock.Now}, auth.DefaultOptions())
	return &env{
		svc:      blog.NewService(blog.Deps{Store: s, Accounts: accounts, Now: clock.Now}),
		accounts: accounts,
		clock:    clock,
	}
}

const goodPassword = "correct horse battery"

func (e *env) register(t *testing.T, username, email string) *auth.User {
	t.Helper()
	u, err := e.accounts.Register(context.Background(), auth.Registration{Username: username, Email: email, Password: goodPassword}, auth.Client{})
	if err != nil {
		t.Fatalf("register %s: %v", username, err)
	}
	return u
}

// login is a browser login by a registered user, and the principal its
// cookie authenticates: the caller as the transports pass it in.
func (e *env) login(t *testing.T, ident string) *auth.Principal {
	t.Helper()
	ctx := context.Background()
	bs, err := e.accounts.LoginBrowser(ctx, ident, goodPassword, false, auth.Client{})
	authtest.NoError(t, err)
	p, err := e.accounts.AuthorizeCookie(ctx, bs.Token, auth.Client{})
	authtest.NoError(t, err)
	return p
}

func fieldCodes(errs []auth.FieldError) string {
	codes := make([]string, len(errs))
	for i, e := range errs {
		codes[i] = e.Field + ":" + e.Code
	}
	return strings.Join(codes, ",")
}
