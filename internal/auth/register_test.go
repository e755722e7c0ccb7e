package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/password"
)

func TestRegister(t *testing.T) {
	e := newEnv(t)
	u, err := e.svc.Register(context.Background(), auth.Registration{
		Username: "ＡｌｉｃＥ", Email: " Alice@Example.com ", Password: goodPassword,
	}, auth.Client{IP: "192.0.2.1"})
	authtest.NoError(t, err)
	if u.Username != "AlicE" || u.Email != "alice@example.com" || u.Role != auth.RoleUser {
		t.Fatalf("registered %+v", u)
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$") || strings.Contains(u.PasswordHash, goodPassword) {
		t.Fatalf("password hash %q is not an argon2id PHC string", u.PasswordHash)
	}
	if len(u.ID) != 36 || u.ID[14] != '7' {
		t.Fatalf("id %q is not a UUIDv7", u.ID)
	}
	got, err := e.store.UserByID(context.Background(), u.ID)
	authtest.NoError(t, err)
	if got.Username != u.Username || !got.CreatedAt.Equal(e.clock.Now()) {
		t.Fatalf("stored %+v", got)
	}
}

func TestRegisterReportsEveryViolation(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.Register(context.Background(), auth.Registration{
		Username: "_x", Email: "not an email", Password: "short",
	}, auth.Client{})
	ae := authtest.Code(t, err, auth.CodeInvalid)
	got := fieldCodes(ae.Fields)
	want := "username:username_length,username:username_start,email:email_characters,password:password_too_short"
	if got != want {
		t.Fatalf("fields %s, want %s", got, want)
	}
	if e.hasher.Calls.Load() != 0 {
		t.Fatal("an invalid registration was hashed")
	}
}

// TestRegisterConflicts covers names that NFKC and case folding make equal
// to an existing one: they must collide, not create a look-alike account.
func TestRegisterConflicts(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")
	tests := []struct {
		name, username, email string
		code                  auth.Code
		fields                string
	}{
		{"same username", "alice", "other@example.com", auth.CodeUsernameTaken, "username:username_taken"},
		{"other case", "ALICE", "other@example.com", auth.CodeUsernameTaken, "username:username_taken"},
		{"full-width confusable", "ａｌｉｃｅ", "other@example.com", auth.CodeUsernameTaken, "username:username_taken"},
		{"same email other case", "bob", "ALICE@example.com", auth.CodeEmailTaken, "email:email_taken"},
		{"both", "Alice", "alice@EXAMPLE.com", auth.CodeUsernameTaken, "username:username_taken,email:email_taken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.Register(context.Background(), auth.Registration{
				Username: tt.username, Email: tt.email, Password: goodPassword,
			}, auth.Client{})
			ae := authtest.Code(t, err, tt.code)
			if fieldCodes(ae.Fields) != tt.fields {
				t.Fatalf("fields %s, want %s", fieldCodes(ae.Fields), tt.fields)
			}
		})
	}
	t.Run("Cyrillic look-alike is refused, not registered", func(t *testing.T) {
		_, err := e.svc.Register(context.Background(), auth.Registration{
			Username: "\u0430lice", Email: "cyr@example.com", Password: goodPassword,
		}, auth.Client{})
		authtest.Code(t, err, auth.CodeInvalid)
	})
}

func TestRegisterHugePasswordIsNotHashed(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.Register(context.Background(), auth.Registration{
		Username: "alice", Email: "alice@example.com", Password: strings.Repeat("p", 10000),
	}, auth.Client{})
	ae := authtest.Code(t, err, auth.CodeInvalid)
	authtest.Equal(t, fieldCodes(ae.Fields), "password:password_too_long")
	authtest.Equal(t, e.hasher.Calls.Load(), int64(0))
}

func TestRegisterBusy(t *testing.T) {
	pool := password.NewPool(1, 20*time.Millisecond)
	e := newEnv(t, withHasher(password.NewHasher(authtest.CheapParams, pool)))
	release := holdSlot(t, pool)
	defer release()
	_, err := e.svc.Register(context.Background(), auth.Registration{
		Username: "alice", Email: "alice@example.com", Password: goodPassword,
	}, auth.Client{})
	ae := authtest.Code(t, err, auth.CodeBusy)
	if ae.RetryAfter <= 0 {
		t.Fatalf("busy answer without Retry-After: %+v", ae)
	}
	release()
	e.register(t, "alice", "alice@example.com") // nothing was lost or half-made
}

// holdSlot occupies one slot of pool until release is called.
func holdSlot(t *testing.T, pool *password.Pool) (release func()) {
	t.Helper()
	held, done := make(chan struct{}), make(chan struct{})
	go pool.Do(context.Background(), func() { close(held); <-done })
	<-held
	var once bool
	return func() {
		if !once {
			once = true
			close(done)
		}
	}
}
