package authtest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/latchkey/latchkey/internal/auth"
)

func sessionTests() []storeTest {
	return []storeTest{
		{"SessionRoundTrip", testSessionRoundTrip},
		{"RefreshTokenLookup", testRefreshTokenLookup},
		{"ConcurrentRotation", testConcurrentRotation},
		{"ListAndRevokeSessions", testListAndRevoke},
		{"UpdateAndDeleteUser", testUpdateAndDeleteUser},
		{"BrowserSessionByToken", testBrowserSessionByToken},
		{"SessionAndRefreshTokenAllOrNothing", testSessionAllOrNothing},
	}
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// NewSession returns an unsaved session of u and, for API sessions, its
// first refresh token with the given hash.
func NewSession(u *auth.User, kind auth.SessionKind, at time.Time, tokenHash string) (*auth.Session, *auth.RefreshToken) {
	ss := &auth.Session{
		ID: newID(), UserID: u.ID, Kind: kind, CreatedAt: at, LastSeenAt: at,
		ExpiresAt: at.Add(30 * 24 * time.Hour), UserAgent: "test/1.0", IP: "192.0.2.1",
	}
	if kind == auth.SessionBrowser {
		ss.TokenHash = tokenHash
		return ss, nil
	}
	return ss, &auth.RefreshToken{ID: newID(), SessionID: ss.ID, TokenHash: tokenHash, CreatedAt: at, ExpiresAt: at.Add(7 * 24 * time.Hour)}
}

func mustUser(t *testing.T, s auth.Store, name string) *auth.User {
	t.Helper()
	u := NewUser(name, name+"@example.com", t0)
	NoError(t, s.CreateUser(context.Background(), u, nil))
	return u
}

func testSessionRoundTrip(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := mustUser(t, s, "alice")
	for _, kind := range []auth.SessionKind{auth.SessionAPI, auth.SessionBrowser} {
		ss, rt := NewSession(u, kind, t0, "hash-"+string(kind))
		NoError(t, s.CreateSession(ctx, ss, rt))
		got, gu, err := s.SessionWithUser(ctx, ss.ID)
		NoError(t, err)
		if got.ID != ss.ID || got.UserID != u.ID || got.Kind != kind || got.UserAgent != "test/1.0" || got.IP != "192.0.2.1" ||
			!got.CreatedAt.Equal(t0) || !got.ExpiresAt.Equal(ss.ExpiresAt) || got.RevokedAt != nil || got.TokenHash != ss.TokenHash {
			t.Fatalf("%s: got %+v, want %+v", kind, got, ss)
		}
		if gu.ID != u.ID || gu.Email != u.Email {
			t.Fatalf("%s: user %+v", kind, gu)
		}
	}
	_, _, err := s.SessionWithUser(ctx, newID())
	if !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("unknown session: %v", err)
	}
	_, _, err = s.SessionWithUser(ctx, "not-an-id")
	if !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("malformed session id: %v", err)
	}
}

// testSessionAllOrNothing: an API session is stored with its first
// refresh token or not at all; a session left without one could never be
// refreshed, and one of the two failing must not leave the other behind.
func testSessionAllOrNothing(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := mustUser(t, s, "carol")
	first, rt := NewSession(u, auth.SessionAPI, t0, "taken")
	NoError(t, s.CreateSession(ctx, first, rt))

	// The refresh token's hash is taken: the token cannot be stored.
	ss, dup := NewSession(u, auth.SessionAPI, t0, "taken")
	if err := s.CreateSession(ctx, ss, dup); err == nil {
		t.Fatal("a second refresh token with a taken hash was stored")
	}
	if _, _, err := s.SessionWithUser(ctx, ss.ID); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("the session of a refresh token that failed: %v, want ErrNotFound", err)
	}

	// The session's id is taken: the refresh token must not be stored.
	again, fresh := NewSession(u, auth.SessionAPI, t0, "fresh")
	again.ID, fresh.SessionID = first.ID, first.ID
	if err := s.CreateSession(ctx, again, fresh); err == nil {
		t.Fatal("a second session with a taken id was stored")
	}
	if _, _, _, err := s.RefreshTokenByHash(ctx, "fresh"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("the refresh token of a session that failed: %v, want ErrNotFound", err)
	}
	list, err := s.ListSessions(ctx, u.ID, t0)
	NoError(t, err)
	Equal(t, len(list), 1)
}

func testRefreshTokenLookup(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := mustUser(t, s, "bob")
	ss, rt := NewSession(u, auth.SessionAPI, t0, "h1")
	NoError(t, s.CreateSession(ctx, ss, rt))
	got, gs, gu, err := s.RefreshTokenByHash(ctx, "h1")
	NoError(t, err)
	if got.ID != rt.ID || got.SessionID != ss.ID || got.UsedAt != nil || !got.ExpiresAt.Equal(rt.ExpiresAt) || gs.ID != ss.ID || gu.ID != u.ID {
		t.Fatalf("got %+v %+v %+v", got, gs, gu)
	}
	_, _, _, err = s.RefreshTokenByHash(ctx, "nope")
	if !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("unknown hash: %v", err)
	}

	t1 := t0.Add(time.Minute)
	next := &auth.RefreshToken{ID: newID(), SessionID: ss.ID, TokenHash: "h2", CreatedAt: t1, ExpiresAt: t1.Add(time.Hour)}
	won, err := s.RotateRefreshToken(ctx, rt.ID, t1, next, true)
	NoError(t, err)
	Equal(t, won, true)
	used, _, _, err := s.RefreshTokenByHash(ctx, "h1")
	NoError(t, err)
	if used.UsedAt == nil || !used.UsedAt.Equal(t1) {
		t.Fatalf("used_at = %v, want %v", used.UsedAt, t1)
	}
	_, gs, _, err = s.RefreshTokenByHash(ctx, "h2")
	NoError(t, err)
	if !gs.LastSeenAt.Equal(t1) {
		t.Fatalf("last_seen_at = %v, want %v", gs.LastSeenAt, t1)
	}
	// A second rotation of the used token changes nothing.
	again := &auth.RefreshToken{ID: newID(), SessionID: ss.ID, TokenHash: "h3", CreatedAt: t1, ExpiresAt: t1.Add(time.Hour)}
	won, err = s.RotateRefreshToken(ctx, rt.ID, t1, again, true)
	NoError(t, err)
	Equal(t, won, false)
	_, _, _, err = s.RefreshTokenByHash(ctx, "h3")
	if !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("a losing rotation inserted its token: %v", err)
	}
	// Without touch, the session's last_seen_at stays.
	t2 := t1.Add(time.Second)
	third := &auth.RefreshToken{ID: newID(), SessionID: ss.ID, TokenHash: "h4", CreatedAt: t2, ExpiresAt: t2.Add(time.Hour)}
	won, err = s.RotateRefreshToken(ctx, next.ID, t2, third, false)
	NoError(t, err)
	Equal(t, won, true)
	_, gs, _, err = s.RefreshTokenByHash(ctx, "h4")
	NoError(t, err)
	if !gs.LastSeenAt.Equal(t1) {
		t.Fatalf("last_seen_at = %v after a rotation without touch, want %v", gs.LastSeenAt, t1)
	}
}

// testConcurrentRotation: of 10 concurrent uses of one refresh token,
// exactly one wins.
func testConcurrentRotation(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := mustUser(t, s, "carol")
	ss, rt := NewSession(u, auth.SessionAPI, t0, "c0")
	NoError(t, s.CreateSession(ctx, ss, rt))
	var (
		wg    sync.WaitGroup
		wins  atomic.Int32
		fails atomic.Int32
	)
	start := make(chan struct{})
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			next := &auth.RefreshToken{ID: newID(), SessionID: ss.ID, TokenHash: "c" + string(rune('a'+i)), CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
			won, err := s.RotateRefreshToken(ctx, rt.ID, t0, next, true)
			if err != nil {
				t.Error(err)
				fails.Add(1)
				return
			}
			if won {
				wins.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if wins.Load() != 1 || fails.Load() != 0 {
		t.Fatalf("%d rotations won, %d failed; want exactly one winner", wins.Load(), fails.Load())
	}
}

func testListAndRevoke(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := mustUser(t, s, "dave")
	other := mustUser(t, s, "erin")
	var ids []string
	for i := range 3 {
		ss, rt := NewSession(u, auth.SessionAPI, t0.Add(time.Duration(i)*time.Second), "d"+string(rune('0'+i)))
		NoError(t, s.CreateSession(ctx, ss, rt))
		ids = append(ids, ss.ID)
	}
	expired, _ := NewSession(u, auth.SessionBrowser, t0.Add(-40*24*time.Hour), "dexp")
	NoError(t, s.CreateSession(ctx, expired, nil))
	os, ort := NewSession(other, auth.SessionAPI, t0, "e0")
	NoError(t, s.CreateSession(ctx, os, ort))

	list, err := s.ListSessions(ctx, u.ID, t0.Add(time.Hour))
	NoError(t, err)
	if len(list) != 3 || list[0].ID != ids[2] || list[2].ID != ids[0] {
		t.Fatalf("listed %d sessions (want 3, newest first): %+v", len(list), list)
	}

	// Another user's session is not found, and stays active.
	if err := s.RevokeSession(ctx, u.ID, os.ID, t0); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("revoking another user's session: %v", err)
	}
	NoError(t, s.RevokeSession(ctx, u.ID, ids[0], t0.Add(time.Minute)))
	NoError(t, s.RevokeSession(ctx, u.ID, ids[0], t0.Add(2*time.Minute))) // idempotent
	got, _, err := s.SessionWithUser(ctx, ids[0])
	NoError(t, err)
	if got.RevokedAt == nil || !got.RevokedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("revoked_at = %v, want the first revocation's time", got.RevokedAt)
	}

	NoError(t, s.RevokeUserSessions(ctx, u.ID, ids[2], t0.Add(time.Minute)))
	list, err = s.ListSessions(ctx, u.ID, t0.Add(time.Hour))
	NoError(t, err)
	if len(list) != 1 || list[0].ID != ids[2] {
		t.Fatalf("after revoking all but one: %+v", list)
	}
	list, err = s.ListSessions(ctx, other.ID, t0.Add(time.Hour))
	NoError(t, err)
	Equal(t, len(list), 1)
}

func testUpdateAndDeleteUser(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := mustUser(t, s, "frank")
	mustUser(t, s, "grace")
	ss, rt := NewSession(u, auth.SessionAPI, t0, "f0")
	NoError(t, s.CreateSession(ctx, ss, rt))

	// Own casing: no conflict.
	NoError(t, s.ApplyChange(ctx, auth.Change{UserID: u.ID, At: t0.Add(time.Hour), Username: "FRANK"}))
	got, err := s.UserByID(ctx, u.ID)
	NoError(t, err)
	Equal(t, got.Username, "FRANK")

	Code(t, s.ApplyChange(ctx, auth.Change{UserID: u.ID, At: t0, Username: "Grace"}), auth.CodeUsernameTaken)
	Code(t, s.ApplyChange(ctx, auth.Change{UserID: u.ID, At: t0, Email: "grace@example.com"}), auth.CodeEmailTaken)

	NoError(t, s.DeleteUser(ctx, u.ID))
	if _, err := s.UserByID(ctx, u.ID); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("deleted user still found: %v", err)
	}
	if _, _, err := s.SessionWithUser(ctx, ss.ID); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("deleted user's session still found: %v", err)
	}
	if _, _, _, err := s.RefreshTokenByHash(ctx, "f0"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("deleted user's refresh token still found: %v", err)
	}
	if err := s.DeleteUser(ctx, u.ID); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func testBrowserSessionByToken(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := mustUser(t, s, "heidi")
	ss, _ := NewSession(u, auth.SessionBrowser, t0, "cookie-hash-1")
	ss.IdleTimeout = 12 * time.Hour
	NoError(t, s.CreateSession(ctx, ss, nil))

	got, gu, err := s.SessionByTokenHash(ctx, "cookie-hash-1")
	NoError(t, err)
	if got.ID != ss.ID || got.IdleTimeout != 12*time.Hour || gu.ID != u.ID {
		t.Fatalf("got %+v %+v", got, gu)
	}
	if _, _, err := s.SessionByTokenHash(ctx, "nope"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("unknown hash: %v", err)
	}

	t1 := t0.Add(time.Minute)
	NoError(t, s.TouchSession(ctx, ss.ID, t1))
	NoError(t, s.SetSessionTokenHash(ctx, ss.ID, "cookie-hash-2"))
	if _, _, err := s.SessionByTokenHash(ctx, "cookie-hash-1"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("old token hash still finds the session: %v", err)
	}
	got, _, err = s.SessionByTokenHash(ctx, "cookie-hash-2")
	NoError(t, err)
	if !got.LastSeenAt.Equal(t1) {
		t.Fatalf("last_seen_at %v, want %v", got.LastSeenAt, t1)
	}
	if err := s.TouchSession(ctx, newID(), t1); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("touching an unknown session: %v", err)
	}

	// "Remember me" is kept apart from the idle timeout, which can be the
	// same for both kinds, and survives a new token.
	kept, _ := NewSession(u, auth.SessionBrowser, t0, "cookie-hash-3")
	kept.IdleTimeout, kept.Remember = 12*time.Hour, true
	NoError(t, s.CreateSession(ctx, kept, nil))
	NoError(t, s.SetSessionTokenHash(ctx, kept.ID, "cookie-hash-4"))
	got, _, err = s.SessionByTokenHash(ctx, "cookie-hash-4")
	NoError(t, err)
	if !got.Remember || got.IdleTimeout != 12*time.Hour {
		t.Fatalf("remembered session read back as %+v", got)
	}
	got, _, err = s.SessionWithUser(ctx, ss.ID)
	NoError(t, err)
	if got.Remember {
		t.Fatal("a browser session without remember-me reads back remembered")
	}
	list, err := s.ListSessions(ctx, u.ID, t1)
	NoError(t, err)
	for _, l := range list {
		if l.Remember != (l.ID == kept.ID) {
			t.Errorf("listed session %s: remember %v", l.ID, l.Remember)
		}
	}
	if len(list) != 2 {
		t.Fatalf("%d sessions listed, want 2", len(list))
	}
}
