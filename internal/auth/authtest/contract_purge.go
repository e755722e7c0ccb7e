package authtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

func purgeTests() []storeTest {
	return []storeTest{
		{"PurgeDeletesOnlyWhatCanNoLongerMatter", testPurge},
		{"ConcurrentPurgesDeleteEachRowOnce", testConcurrentPurges},
	}
}

// testPurge stores one of each kind of row, dead and alive, purges, and
// checks that exactly the dead ones went: the living session, its current
// refresh token and its used-but-unexpired one (still needed to recognise
// reuse) stay, as do login attempts within the window.
func testPurge(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := mustUser(t, s, "alice")
	now := t0.Add(40 * 24 * time.Hour)
	gone := func(what, hash string) {
		t.Helper()
		if _, _, _, err := s.RefreshTokenByHash(ctx, hash); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("%s: refresh token still found (%v)", what, err)
		}
	}
	kept := func(what, hash string) {
		t.Helper()
		if _, _, _, err := s.RefreshTokenByHash(ctx, hash); err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}

	// Expired: created at t0, 30 days; now is 40 days on.
	expired, expiredRT := NewSession(u, auth.SessionAPI, t0, "expired")
	NoError(t, s.CreateSession(ctx, expired, expiredRT))
	// Revoked: alive but for that.
	revoked, revokedRT := NewSession(u, auth.SessionAPI, now.Add(-time.Hour), "revoked")
	NoError(t, s.CreateSession(ctx, revoked, revokedRT))
	NoError(t, s.RevokeSession(ctx, u.ID, revoked.ID, now.Add(-time.Minute)))
	// Alive, rotated twice: its first token is used and expired, its
	// second used and not expired, its third current.
	live, first := NewSession(u, auth.SessionAPI, now.Add(-8*24*time.Hour), "first")
	NoError(t, s.CreateSession(ctx, live, first))
	rotate := func(old *auth.RefreshToken, hash string, at time.Time) *auth.RefreshToken {
		next := &auth.RefreshToken{ID: newID(), SessionID: live.ID, TokenHash: hash, CreatedAt: at, ExpiresAt: at.Add(7 * 24 * time.Hour)}
		won, err := s.RotateRefreshToken(ctx, old.ID, at, next, true)
		NoError(t, err)
		Equal(t, won, true)
		return next
	}
	second := rotate(first, "second", now.Add(-2*24*time.Hour))
	rotate(second, "third", now.Add(-time.Hour))
	browser, _ := NewSession(u, auth.SessionBrowser, now.Add(-time.Hour), "cookie")
	NoError(t, s.CreateSession(ctx, browser, nil))

	failuresBefore := now.Add(-15 * time.Minute)
	for _, at := range []time.Time{failuresBefore.Add(-time.Hour), failuresBefore.Add(-time.Second), failuresBefore.Add(time.Second)} {
		_, ok, _, err := s.ReserveLoginAttempt(ctx, "user:alice", at, at.Add(-15*time.Minute), 10)
		NoError(t, err)
		Equal(t, ok, true)
	}

	n, err := s.Purge(ctx, now, failuresBefore, now)
	NoError(t, err)
	for _, ss := range []*auth.Session{expired, revoked} {
		if _, _, err := s.SessionWithUser(ctx, ss.ID); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("ended session %s still found (%v)", ss.ID, err)
		}
	}
	gone("expired session's token", "expired")
	gone("revoked session's token", "revoked")
	gone("used token past its expiry", "first")
	kept("used token before its expiry", "second")
	kept("current token", "third")
	for _, ss := range []*auth.Session{live, browser} {
		if _, _, err := s.SessionWithUser(ctx, ss.ID); err != nil {
			t.Errorf("live session %s: %v", ss.ID, err)
		}
	}
	count, _, err := s.LoginFailures(ctx, "user:alice", t0)
	NoError(t, err)
	Equal(t, count, 1)
	// Two sessions (their tokens go with them, uncounted), one token, two
	// attempts.
	Equal(t, n, int64(5))
	n, err = s.Purge(ctx, now, failuresBefore, now)
	NoError(t, err)
	Equal(t, n, int64(0))
}

// testConcurrentPurges: several instances purge at once (four calls on one
// store, over a pool of connections where the database has one). None
// fails, none deadlocks, and every dead row is deleted exactly once.
func testConcurrentPurges(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := mustUser(t, s, "bob")
	const dead = 60
	for i := range dead {
		ss, rt := NewSession(u, auth.SessionAPI, t0, fmt.Sprintf("dead-%d", i))
		NoError(t, s.CreateSession(ctx, ss, rt))
	}
	now := t0.Add(40 * 24 * time.Hour)
	var (
		wg    sync.WaitGroup
		total atomic.Int64
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := s.Purge(ctx, now, now, now)
			if err != nil {
				t.Error(err)
			}
			total.Add(n)
		}()
	}
	wg.Wait()
	list, err := s.ListSessions(ctx, u.ID, t0)
	NoError(t, err)
	Equal(t, len(list), 0)
	// Each session row once; its refresh token goes with it, uncounted.
	Equal(t, total.Load(), int64(dead))
}
