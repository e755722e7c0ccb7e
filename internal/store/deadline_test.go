package store_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/pgtest"
)

// lockSQLite holds path's write lock from a connection of the test's own,
// as another process writing would, until the returned function is called.
func lockSQLite(t *testing.T, path string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	return func() {
		if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
			t.Error(err)
		}
		conn.Close()
	}
}

func newUser(name string) *auth.User {
	now := time.Now().UTC().Truncate(time.Second)
	return &auth.User{ID: name + "-id", Username: name, Email: name + "@example.com", PasswordHash: "x", Role: auth.RoleUser, CreatedAt: now, UpdatedAt: now}
}

// TestWriteLockWaitIsBounded: a write that cannot get SQLite's write lock
// (another process holds it) gives up after the store's timeout with
// auth.ErrUnavailable, a 503 for the transports, and not with the
// caller's cancellation; when the lock is free, it succeeds. The
// caller's own cancellation, earlier than the timeout, stays a
// cancellation and is no outage.
func TestWriteLockWaitIsBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "latchkey.db")
	s, err := store.OpenWith(context.Background(), "sqlite:"+path, store.Options{Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	release := lockSQLite(t, path)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // the test's deadline, not the store's
	defer cancel()
	err = s.CreateUser(ctx, newUser("alice"), nil)
	if !errors.Is(err, auth.ErrUnavailable) || ctx.Err() != nil {
		t.Fatalf("CreateUser under a held lock: %v (test context: %v); want auth.ErrUnavailable", err, ctx.Err())
	}

	// The caller gives up first: the store's timeout is a minute away.
	slow, err := store.OpenWith(context.Background(), "sqlite:"+path, store.Options{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { slow.Close() })
	for _, caller := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"canceled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
		{"own deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 100*time.Millisecond)
		}, context.DeadlineExceeded},
	} {
		t.Run(caller.name, func(t *testing.T) {
			ctx, cancel := caller.ctx()
			defer cancel()
			err := slow.CreateUser(ctx, newUser("bob"), nil)
			if !errors.Is(err, caller.want) || errors.Is(err, auth.ErrUnavailable) {
				t.Fatalf("CreateUser given up by its caller: %v; want %v, not unavailable", err, caller.want)
			}
		})
	}

	release()
	if err := s.CreateUser(context.Background(), newUser("carol"), nil); err != nil {
		t.Fatalf("CreateUser once the lock is free: %v", err)
	}
}

// TestFrozenPostgresIsUnavailable freezes PostgreSQL (SIGSTOP, as a
// network partition looks): reads, writes, transactions and the session
// cache's snapshot check each give up with auth.ErrUnavailable after the
// store's timeout, on a pooled connection and on a new one; after the
// thaw they work again.
func TestFrozenPostgresIsUnavailable(t *testing.T) {
	pg := pgtest.Private(t)
	dbURL, err := pg.NewDatabase()
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.OpenWith(context.Background(), dbURL, store.Options{Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.CreateUser(context.Background(), newUser("alice"), nil); err != nil {
		t.Fatal(err)
	}
	calls := []struct {
		name string
		call func(context.Context) error
	}{
		{"read", func(ctx context.Context) error { _, err := s.UserByUsername(ctx, "alice"); return err }},
		{"write", func(ctx context.Context) error { return s.CreateUser(ctx, newUser("bob"), nil) }},
		{"transaction", func(ctx context.Context) error {
			_, _, _, err := s.ReserveLoginAttempt(ctx, "k", time.Now(), time.Now().Add(-time.Minute), 10)
			return err
		}},
		{"session look-up", func(ctx context.Context) error {
			_, _, err := s.SessionWithUser(ctx, "none")
			if errors.Is(err, auth.ErrNotFound) {
				return nil
			}
			return err
		}},
		{"ping", s.Ping},
	}

	if err := pg.Freeze(); err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // the test's deadline
			defer cancel()
			if err := c.call(ctx); !errors.Is(err, auth.ErrUnavailable) || ctx.Err() != nil {
				t.Fatalf("frozen: %v (test context: %v); want auth.ErrUnavailable", err, ctx.Err())
			}
		})
	}
	pg.Thaw()

	for _, c := range calls {
		if c.name == "write" {
			continue // bob may or may not have been written before the freeze took
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := c.call(ctx)
		cancel()
		if err != nil {
			t.Errorf("%s after the thaw: %v", c.name, err)
		}
	}
}

// TestGroupCommitLockWaitIsBounded: the batched writes (a token rotation)
// give up like any other when another process holds SQLite's write lock:
// the batch being written and the write queued behind it each answer
// auth.ErrUnavailable after the store's timeout, and rotate once the lock
// is free.
func TestGroupCommitLockWaitIsBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "latchkey.db")
	s, err := store.OpenWith(context.Background(), "sqlite:"+path, store.Options{Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	u := newUser("alice")
	if err := s.CreateUser(ctx, u, nil); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	ss := &auth.Session{ID: "session-1", UserID: u.ID, Kind: auth.SessionAPI, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	rt := &auth.RefreshToken{ID: "rt-1", SessionID: ss.ID, TokenHash: "h1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateSession(ctx, ss, rt); err != nil {
		t.Fatal(err)
	}
	next := func(n string) *auth.RefreshToken {
		return &auth.RefreshToken{ID: "rt-" + n, SessionID: ss.ID, TokenHash: "h" + n, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	}

	release := lockSQLite(t, path)
	test, cancel := context.WithTimeout(ctx, 10*time.Second) // the test's deadline, not the store's
	defer cancel()
	errs := make(chan error, 2)
	for _, n := range []string{"2", "3"} {
		go func() {
			_, err := s.RotateRefreshToken(test, rt.ID, now, next(n), true)
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; !errors.Is(err, auth.ErrUnavailable) || test.Err() != nil {
			t.Fatalf("rotation under a held lock: %v (test context: %v); want auth.ErrUnavailable", err, test.Err())
		}
	}
	release()
	won, err := s.RotateRefreshToken(ctx, rt.ID, now, next("4"), true)
	if err != nil || !won {
		t.Fatalf("rotation once the lock is free: %v, %v", won, err)
	}
}
