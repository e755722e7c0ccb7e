package authtest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/latchkey/latchkey/internal/auth"
)

func mfaTests() []storeTest {
	return []storeTest{
		{"TOTPEnrolOnce", testTOTPEnrolOnce},
		{"FactorSpentOnce", testFactorSpentOnce},
		{"ChallengeFailuresUseItUp", testChallengeFailures},
		{"ConcurrentChallengeUses", testConcurrentChallengeUses},
		{"ChallengeGoesWithItsUser", testChallengeGoesWithItsUser},
	}
}

// mfaUser stores a user with TOTP on (at step 0) and two recovery codes.
func mfaUser(t *testing.T, s auth.Store) *auth.User {
	t.Helper()
	u := NewUser("alice", "alice@example.com", t0)
	NoError(t, s.CreateUser(context.Background(), u, nil))
	NoError(t, s.ApplyChange(context.Background(), auth.Change{UserID: u.ID, At: t0, TOTPSecret: "secret",
		EnableTOTP: true, RecoveryCodes: []string{"hash-1", "hash-2"}}))
	return u
}

func newChallenge(u *auth.User, hash string, at time.Time) *auth.Challenge {
	return &auth.Challenge{ID: uuid.Must(uuid.NewV7()).String(), TokenHash: hash, UserID: u.ID,
		SessionKind: auth.SessionAPI, Method: auth.LoginPassword, Remember: true,
		CreatedAt: at, ExpiresAt: at.Add(auth.ChallengeTTL)}
}

// testTOTPEnrolOnce: a secret is stored while TOTP is off, turned on once,
// and forgotten, with the recovery codes, when turned off.
func testTOTPEnrolOnce(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := NewUser("alice", "alice@example.com", t0)
	NoError(t, s.CreateUser(ctx, u, nil))
	if _, _, err := s.TOTPSecret(ctx, u.ID); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("TOTPSecret of a user without one: %v", err)
	}
	// On needs a secret first.
	if err := s.ApplyChange(ctx, auth.Change{UserID: u.ID, At: t0, EnableTOTP: true}); !errors.Is(err, auth.ErrMFAOn) {
		t.Fatalf("on without a secret: %v", err)
	}
	NoError(t, s.ApplyChange(ctx, auth.Change{UserID: u.ID, At: t0, TOTPSecret: "first"}))
	NoError(t, s.ApplyChange(ctx, auth.Change{UserID: u.ID, At: t0, TOTPSecret: "second"}))
	secret, last, err := s.TOTPSecret(ctx, u.ID)
	NoError(t, err)
	Equal(t, secret, "second")
	Equal(t, last, int64(0))
	NoError(t, s.ApplyChange(ctx, auth.Change{UserID: u.ID, At: t0, EnableTOTP: true, RecoveryCodes: []string{"a", "b", "c"},
		Factor: &auth.FactorUse{Step: 7}}))
	got, err := s.UserByID(ctx, u.ID)
	NoError(t, err)
	if got.MFAEnabledAt == nil || !got.MFAEnabledAt.Equal(t0) {
		t.Fatalf("mfa_enabled_at %v, want %v", got.MFAEnabledAt, t0)
	}
	_, last, _ = s.TOTPSecret(ctx, u.ID)
	Equal(t, last, int64(7))
	n, err := s.RecoveryCodesLeft(ctx, u.ID)
	NoError(t, err)
	Equal(t, n, 3)
	// On: neither a new secret nor on again, and the events of a refused
	// change are not written.
	ev := auth.Event{ID: uuid.Must(uuid.NewV7()).String(), At: t0, Type: auth.EventMFAEnabled, UserID: u.ID}
	for _, c := range []auth.Change{
		{UserID: u.ID, At: t0, TOTPSecret: "third", Events: []auth.Event{ev}},
		{UserID: u.ID, At: t0, EnableTOTP: true, Events: []auth.Event{ev}},
	} {
		if err := s.ApplyChange(ctx, c); !errors.Is(err, auth.ErrMFAOn) {
			t.Fatalf("enrolling while on: %v", err)
		}
	}
	events, err := s.ListEvents(ctx, auth.EventQuery{UserID: u.ID, Limit: 10})
	NoError(t, err)
	Equal(t, len(events), 0)
	secret, _, _ = s.TOTPSecret(ctx, u.ID)
	Equal(t, secret, "second")

	NoError(t, s.ApplyChange(ctx, auth.Change{UserID: u.ID, At: t0, DisableTOTP: true}))
	got, _ = s.UserByID(ctx, u.ID)
	if got.MFAEnabled() {
		t.Fatal("still on")
	}
	if _, _, err := s.TOTPSecret(ctx, u.ID); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("TOTPSecret after off: %v", err)
	}
	n, _ = s.RecoveryCodesLeft(ctx, u.ID)
	Equal(t, n, 0)
}

// testFactorSpentOnce: a time step is accepted only after the last one,
// a recovery code only while unused; a change that spends one already
// spent writes nothing of itself.
func testFactorSpentOnce(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := mfaUser(t, s)
	spend := func(f auth.FactorUse, username string) error {
		return s.ApplyChange(ctx, auth.Change{UserID: u.ID, At: t0, Factor: &f, Username: username})
	}
	NoError(t, spend(auth.FactorUse{Step: 100}, "alice100"))
	for _, step := range []int64{100, 99} {
		if err := spend(auth.FactorUse{Step: step}, "spent"); !errors.Is(err, auth.ErrCodeUsed) {
			t.Fatalf("step %d after 100: %v", step, err)
		}
	}
	NoError(t, spend(auth.FactorUse{Step: 101}, "alice101"))
	NoError(t, spend(auth.FactorUse{RecoveryCodeHash: "hash-1"}, "alicercv"))
	for _, h := range []string{"hash-1", "unknown"} {
		if err := spend(auth.FactorUse{RecoveryCodeHash: h}, "spent"); !errors.Is(err, auth.ErrCodeUsed) {
			t.Fatalf("recovery code %s: %v", h, err)
		}
	}
	got, err := s.UserByID(ctx, u.ID)
	NoError(t, err)
	Equal(t, got.Username, "alicercv") // no refused change renamed her
	n, _ := s.RecoveryCodesLeft(ctx, u.ID)
	Equal(t, n, 1)
}

// testChallengeFailures: the failure at the limit uses the challenge up,
// and a used or expired challenge takes neither failures nor a use.
func testChallengeFailures(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := mfaUser(t, s)
	ch := newChallenge(u, "challenge-hash", t0)
	NoError(t, s.CreateChallenge(ctx, ch))
	got, gu, err := s.ChallengeByHash(ctx, "challenge-hash")
	NoError(t, err)
	if got.ID != ch.ID || got.SessionKind != auth.SessionAPI || got.Method != auth.LoginPassword || !got.Remember ||
		!got.ExpiresAt.Equal(ch.ExpiresAt) || got.UsedAt != nil || gu.ID != u.ID || !gu.MFAEnabled() {
		t.Fatalf("ChallengeByHash = %+v, %+v", got, gu)
	}
	for i := 1; i <= auth.MaxChallengeFailures; i++ {
		n, err := s.FailChallenge(ctx, ch.ID, t0, auth.MaxChallengeFailures)
		NoError(t, err)
		Equal(t, n, i)
	}
	if _, err := s.FailChallenge(ctx, ch.ID, t0, auth.MaxChallengeFailures); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("failure after the limit: %v", err)
	}
	if err := s.UseChallenge(ctx, ch.ID, auth.Change{UserID: u.ID, At: t0}); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("use after the limit: %v", err)
	}
	got, _, _ = s.ChallengeByHash(ctx, "challenge-hash")
	if got.UsedAt == nil || got.Failures != auth.MaxChallengeFailures {
		t.Fatalf("after the limit: %+v", got)
	}

	late := newChallenge(u, "late-hash", t0)
	NoError(t, s.CreateChallenge(ctx, late))
	if err := s.UseChallenge(ctx, late.ID, auth.Change{UserID: u.ID, At: late.ExpiresAt}); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("use at expiry: %v", err)
	}
	if _, err := s.FailChallenge(ctx, late.ID, late.ExpiresAt, auth.MaxChallengeFailures); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("failure at expiry: %v", err)
	}
	// A use whose factor was spent writes nothing: the challenge still waits.
	NoError(t, s.UseChallenge(ctx, late.ID, auth.Change{UserID: u.ID, At: t0, Factor: &auth.FactorUse{Step: 5}}))
	again := newChallenge(u, "again-hash", t0)
	NoError(t, s.CreateChallenge(ctx, again))
	if err := s.UseChallenge(ctx, again.ID, auth.Change{UserID: u.ID, At: t0, Factor: &auth.FactorUse{Step: 5}}); !errors.Is(err, auth.ErrCodeUsed) {
		t.Fatalf("replayed step: %v", err)
	}
	got, _, _ = s.ChallengeByHash(ctx, "again-hash")
	if got.UsedAt != nil {
		t.Fatal("a refused use used the challenge up")
	}
	// Expired challenges are purged.
	_, err = s.Purge(ctx, t0.Add(time.Hour), t0, t0.Add(-time.Hour))
	NoError(t, err)
	if _, _, err := s.ChallengeByHash(ctx, "again-hash"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("expired challenge after the purge: %v", err)
	}
}

// testConcurrentChallengeUses: of ten uses of one challenge at once,
// exactly one wins.
func testConcurrentChallengeUses(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := mfaUser(t, s)
	ch := newChallenge(u, "race-hash", t0)
	NoError(t, s.CreateChallenge(ctx, ch))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for range 10 {
		wg.Go(func() {
			err := s.UseChallenge(ctx, ch.ID, auth.Change{UserID: u.ID, At: t0})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, auth.ErrNotFound):
				t.Errorf("a losing use: %v", err)
			}
		})
	}
	wg.Wait()
	Equal(t, wins, 1)
}

// testChallengeGoesWithItsUser: deleting a user deletes their waiting
// logins and recovery codes.
func testChallengeGoesWithItsUser(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := mfaUser(t, s)
	NoError(t, s.CreateChallenge(ctx, newChallenge(u, "gone-hash", t0)))
	NoError(t, s.DeleteUser(ctx, u.ID))
	if _, _, err := s.ChallengeByHash(ctx, "gone-hash"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("challenge of a deleted user: %v", err)
	}
	n, err := s.RecoveryCodesLeft(ctx, u.ID)
	NoError(t, err)
	Equal(t, n, 0)
}
