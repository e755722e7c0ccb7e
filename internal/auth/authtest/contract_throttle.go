package authtest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/password"
)

// TestAccountThrottle attacks the per-account throttle the way a guesser
// with many connections would: a burst of wrong passwords for one account,
// all at once, through auth.Service on a real store. At most
// auth.MaxLoginFailures of them may reach the hasher, however the burst
// interleaves, and then even the right password is refused.
//
// open returns two handles on one fresh, migrated database (or the same
// store twice); the burst alternates between two services over them, as it
// would between two instances behind a load balancer.
func TestAccountThrottle(t *testing.T, open func(t *testing.T) (auth.Store, auth.Store)) {
	const burst = 30
	tests := []struct {
		name string
		// attempt makes one guess through svc; wrong is the code of a
		// guess that was checked and failed.
		attempt func(ctx context.Context, svc *auth.Service, u *auth.User, pw string) error
		wrong   auth.Code
	}{
		{"Login", func(ctx context.Context, svc *auth.Service, _ *auth.User, pw string) error {
			_, err := svc.Authenticate(ctx, "alice", pw, auth.Client{})
			return err
		}, auth.CodeInvalidCredentials},
		// An unknown identifier is throttled alike, so that throttling
		// does not tell which accounts exist.
		{"UnknownAccount", func(ctx context.Context, svc *auth.Service, _ *auth.User, pw string) error {
			_, err := svc.Authenticate(ctx, "ghost@example.com", pw, auth.Client{})
			return err
		}, auth.CodeInvalidCredentials},
		// A stolen session confirming guesses as the current password
		// draws on the same count.
		{"CurrentPassword", func(ctx context.Context, svc *auth.Service, u *auth.User, pw string) error {
			return svc.DeleteAccount(ctx, &auth.Principal{User: u}, pw)
		}, auth.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			a, b := open(t)
			// Room for the whole burst at once: any guess the pool turned
			// away would hide the race rather than survive it.
			h := &CountingHasher{Hasher: password.NewHasher(CheapParams, password.NewPool(burst, time.Minute))}
			clock := NewClock()
			svcs := [2]*auth.Service{
				auth.NewService(auth.Deps{Store: a, Hasher: h, Now: clock.Now}, auth.DefaultOptions()),
				auth.NewService(auth.Deps{Store: b, Hasher: h, Now: clock.Now}, auth.DefaultOptions()),
			}
			const right = "correct horse battery"
			hash, err := h.Hash(ctx, right)
			NoError(t, err)
			u := NewUser("alice", "alice@example.com", clock.Now())
			u.PasswordHash = hash
			NoError(t, a.CreateUser(ctx, u, nil))
			h.Calls.Store(0)

			var (
				wg    sync.WaitGroup
				mu    sync.Mutex
				codes = map[auth.Code]int{}
			)
			start := make(chan struct{})
			for i := range burst {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					err := tt.attempt(ctx, svcs[i%2], u, "not the password")
					mu.Lock()
					defer mu.Unlock()
					if code := auth.ErrorCode(err); code == tt.wrong || code == auth.CodeTooManyAttempts {
						codes[code]++
					} else {
						t.Errorf("guess %d: %v", i, err)
					}
				}()
			}
			close(start)
			wg.Wait()
			if n := h.Calls.Load(); n != auth.MaxLoginFailures || codes[tt.wrong] != auth.MaxLoginFailures {
				t.Fatalf("%d of %d simultaneous guesses were hashed and %d answered as wrong (%v); want %d",
					n, burst, codes[tt.wrong], codes, auth.MaxLoginFailures)
			}

			before := h.Calls.Load()
			Code(t, tt.attempt(ctx, svcs[0], u, right), auth.CodeTooManyAttempts)
			Equal(t, h.Calls.Load(), before)
		})
	}
}

// CountingHasher is a hasher with a record of how many hashes it was
// asked for, so that tests can prove a refusal cost none.
type CountingHasher struct {
	auth.Hasher
	Calls atomic.Int64
}

func (h *CountingHasher) Hash(ctx context.Context, pw string) (string, error) {
	h.Calls.Add(1)
	return h.Hasher.Hash(ctx, pw)
}

func (h *CountingHasher) Verify(ctx context.Context, pw, encoded string) (bool, bool, error) {
	h.Calls.Add(1)
	return h.Hasher.Verify(ctx, pw, encoded)
}

func (h *CountingHasher) VerifyDummy(ctx context.Context, pw string) error {
	h.Calls.Add(1)
	return h.Hasher.VerifyDummy(ctx, pw)
}
