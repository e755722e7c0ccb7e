package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/password"
	"golang.org/x/crypto/bcrypt"
)

func TestAuthenticate(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "Alice", "alice@example.com")
	ctx := context.Background()
	for _, ident := range []string{"alice@example.com", " ALICE@example.com", "Alice", "alice", "ａｌｉｃｅ"} {
		got, err := e.svc.Authenticate(ctx, ident, goodPassword, auth.Client{})
		if err != nil {
			t.Fatalf("Authenticate(%q): %v", ident, err)
		}
		authtest.Equal(t, got.ID, u.ID)
	}
}

// TestUnknownAndWrongAreIndistinguishable: the same error, message
// included, and the same number of hashes for an unknown account as for a
// wrong password.
func TestUnknownAndWrongAreIndistinguishable(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")
	ctx := context.Background()

	before := e.hasher.Calls.Load()
	_, wrong := e.svc.Authenticate(ctx, "alice@example.com", "not the password", auth.Client{})
	wrongHashes := e.hasher.Calls.Load() - before

	before = e.hasher.Calls.Load()
	_, unknown := e.svc.Authenticate(ctx, "nobody@example.com", "not the password", auth.Client{})
	unknownHashes := e.hasher.Calls.Load() - before

	authtest.Code(t, wrong, auth.CodeInvalidCredentials)
	authtest.Code(t, unknown, auth.CodeInvalidCredentials)
	authtest.Equal(t, wrong.Error(), unknown.Error())
	authtest.Equal(t, wrongHashes, int64(1))
	authtest.Equal(t, unknownHashes, int64(1))
}

func TestAuthenticateMissingFields(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.Authenticate(context.Background(), " ", "", auth.Client{})
	ae := authtest.Code(t, err, auth.CodeInvalid)
	authtest.Equal(t, fieldCodes(ae.Fields), "identifier:required,password:required")
}

func TestAuthenticateHugePasswordIsNotHashed(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")
	before := e.hasher.Calls.Load()
	_, err := e.svc.Authenticate(context.Background(), "alice", strings.Repeat("x", 10000), auth.Client{})
	authtest.Code(t, err, auth.CodeInvalidCredentials)
	authtest.Equal(t, e.hasher.Calls.Load()-before, int64(0))
}

func TestDisabledUserCannotAuthenticate(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "alice", "alice@example.com")
	ctx := context.Background()
	_, err := e.svc.SetDisabled(ctx, nil, "alice@example.com", true)
	authtest.NoError(t, err)

	_, err = e.svc.Authenticate(ctx, "alice", goodPassword, auth.Client{})
	authtest.Code(t, err, auth.CodeAccountDisabled)
	// A wrong password learns nothing about the account's state.
	_, err = e.svc.Authenticate(ctx, "alice", "wrong password", auth.Client{})
	authtest.Code(t, err, auth.CodeInvalidCredentials)

	_, err = e.svc.SetDisabled(ctx, nil, u.ID, false)
	authtest.NoError(t, err)
	_, err = e.svc.Authenticate(ctx, "alice", goodPassword, auth.Client{})
	authtest.NoError(t, err)

	_, err = e.svc.SetDisabled(ctx, nil, "nobody@example.com", true)
	authtest.Code(t, err, auth.CodeNotFound)
}

// TestAccountThrottling: after 10 failures in 15 minutes even the right
// password is refused, without a hash, until the oldest failure ages out.
// Email and username name the same account and share its count.
func TestAccountThrottling(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")
	ctx := context.Background()
	for i := range auth.MaxLoginFailures {
		ident := "alice"
		if i%2 == 0 {
			ident = "ALICE@example.com"
		}
		_, err := e.svc.Authenticate(ctx, ident, "wrong password", auth.Client{})
		authtest.Code(t, err, auth.CodeInvalidCredentials)
		e.clock.Advance(time.Minute)
	}
	before := e.hasher.Calls.Load()
	_, err := e.svc.Authenticate(ctx, "alice", goodPassword, auth.Client{})
	ae := authtest.Code(t, err, auth.CodeTooManyAttempts)
	authtest.Equal(t, e.hasher.Calls.Load(), before)
	// The first failure was 10 minutes ago: it leaves the window in 5.
	authtest.Equal(t, ae.RetryAfter, 5*time.Minute)
	if !strings.Contains(ae.Message, "300 s") {
		t.Errorf("message %q does not say when to retry", ae.Message)
	}

	e.clock.Advance(5*time.Minute + time.Second)
	_, err = e.svc.Authenticate(ctx, "alice", goodPassword, auth.Client{})
	authtest.NoError(t, err)
	// The success cleared the count: one more failure is not a lock-out.
	_, err = e.svc.Authenticate(ctx, "alice", "wrong password", auth.Client{})
	authtest.Code(t, err, auth.CodeInvalidCredentials)
}

// TestUnknownAccountThrottledAlike: throttling must not reveal which
// accounts exist, so an unknown identifier is throttled the same way.
func TestUnknownAccountThrottledAlike(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for range auth.MaxLoginFailures {
		_, err := e.svc.Authenticate(ctx, "ghost@example.com", "wrong password", auth.Client{})
		authtest.Code(t, err, auth.CodeInvalidCredentials)
	}
	_, err := e.svc.Authenticate(ctx, "ghost@example.com", "wrong password", auth.Client{})
	authtest.Code(t, err, auth.CodeTooManyAttempts)
}

// TestIPLimit: logins and registrations share one per-IP budget.
func TestIPLimit(t *testing.T) {
	e := newEnv(t, withLimiter(auth.NewMemoryLimiter(3)))
	ctx := context.Background()
	from := auth.Client{IP: "198.51.100.7"}
	_, err := e.svc.Register(ctx, auth.Registration{Username: "alice", Email: "alice@example.com", Password: goodPassword}, from)
	authtest.NoError(t, err)
	_, err = e.svc.Authenticate(ctx, "alice", goodPassword, from)
	authtest.NoError(t, err)
	_, err = e.svc.Authenticate(ctx, "alice", "wrong password", from)
	authtest.Code(t, err, auth.CodeInvalidCredentials)

	before := e.hasher.Calls.Load()
	_, err = e.svc.Authenticate(ctx, "alice", goodPassword, from)
	ae := authtest.Code(t, err, auth.CodeTooManyAttempts)
	authtest.Equal(t, ae.RetryAfter, 20*time.Second)
	_, err = e.svc.Register(ctx, auth.Registration{Username: "bob", Email: "bob@example.com", Password: goodPassword}, from)
	authtest.Code(t, err, auth.CodeTooManyAttempts)
	authtest.Equal(t, e.hasher.Calls.Load(), before)

	// Another address has its own budget; the first refills with time.
	_, err = e.svc.Authenticate(ctx, "alice", goodPassword, auth.Client{IP: "198.51.100.8"})
	authtest.NoError(t, err)
	e.clock.Advance(20 * time.Second)
	_, err = e.svc.Authenticate(ctx, "alice", goodPassword, from)
	authtest.NoError(t, err)
}

func TestAuthenticateBusy(t *testing.T) {
	pool := password.NewPool(1, 20*time.Millisecond)
	e := newEnv(t, withHasher(password.NewHasher(authtest.CheapParams, pool)))
	u := e.register(t, "alice", "alice@example.com")
	release := holdSlot(t, pool)
	defer release()
	_, err := e.svc.Authenticate(context.Background(), "alice", "wrong password", auth.Client{})
	authtest.Code(t, err, auth.CodeBusy)
	// A busy answer is not a failed attempt.
	n, _, err := e.store.LoginFailures(context.Background(), "user:"+u.ID, time.Time{})
	authtest.NoError(t, err)
	authtest.Equal(t, n, 0)
}

// TestUncheckedAttemptsDoNotCount: an attempt is reserved before its hash,
// but one that ends without a verdict against the password gives its
// reservation back: the client went away while it waited for a hashing
// slot, or the password was right for a disabled account. Neither may add
// up to a lock-out.
func TestUncheckedAttemptsDoNotCount(t *testing.T) {
	pool := password.NewPool(1, time.Minute)
	e := newEnv(t, withHasher(password.NewHasher(authtest.CheapParams, pool)))
	u := e.register(t, "alice", "alice@example.com")
	failures := func() int {
		t.Helper()
		n, _, err := e.store.LoginFailures(context.Background(), "user:"+u.ID, time.Time{})
		authtest.NoError(t, err)
		return n
	}

	release := holdSlot(t, pool)
	for range auth.MaxLoginFailures + 1 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		_, err := e.svc.Authenticate(ctx, "alice", "wrong password", auth.Client{})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want the client's deadline", err)
		}
	}
	release()
	authtest.Equal(t, failures(), 0)

	_, err := e.svc.SetDisabled(context.Background(), nil, u.ID, true)
	authtest.NoError(t, err)
	for range auth.MaxLoginFailures + 1 {
		_, err := e.svc.Authenticate(context.Background(), "alice", goodPassword, auth.Client{})
		authtest.Code(t, err, auth.CodeAccountDisabled)
	}
	authtest.Equal(t, failures(), 0)
}

// TestRehashOnLogin: a hash made with older parameters or by another stack
// is replaced by one with the current parameters after a successful login.
func TestRehashOnLogin(t *testing.T) {
	old := password.Params{MemoryKiB: 32, Time: 1, Threads: 1}
	oldArgon, err := password.Hash(goodPassword, old)
	authtest.NoError(t, err)
	oldBcrypt, err := bcrypt.GenerateFromPassword([]byte(goodPassword), bcrypt.MinCost)
	authtest.NoError(t, err)

	for name, hash := range map[string]string{"older argon2id": oldArgon, "bcrypt": string(oldBcrypt)} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			u := e.register(t, "alice", "alice@example.com")
			ctx := context.Background()
			authtest.NoError(t, e.store.SetPasswordHash(ctx, u.ID, hash, e.clock.Now()))

			_, err := e.svc.Authenticate(ctx, "alice", goodPassword, auth.Client{})
			authtest.NoError(t, err)
			got, err := e.store.UserByID(ctx, u.ID)
			authtest.NoError(t, err)
			if got.PasswordHash == hash || password.NeedsRehash(got.PasswordHash, authtest.CheapParams) {
				t.Fatalf("hash not upgraded: %s", got.PasswordHash)
			}
			_, err = e.svc.Authenticate(ctx, "alice", goodPassword, auth.Client{})
			authtest.NoError(t, err)
		})
	}
}

func TestMemoryLimiterContract(t *testing.T) {
	authtest.TestLimiter(t, func(t *testing.T, n int) auth.Limiter { return auth.NewMemoryLimiter(n) })
}
