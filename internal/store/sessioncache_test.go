package store_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/pgtest"
)

// onBothDatabases runs test on a new SQLite file and on a new PostgreSQL
// database, each named by its URL.
func onBothDatabases(t *testing.T, test func(t *testing.T, url string)) {
	t.Run("sqlite", func(t *testing.T) { test(t, "sqlite:"+filepath.Join(t.TempDir(), "latchkey.db")) })
	t.Run("postgres", func(t *testing.T) { test(t, pgtest.URL(t)) })
}

// twoHandles opens the database at url twice (the second stands for
// another process, such as the command line, or another instance) and adds
// one user.
func twoHandles(t *testing.T, url, username string) (server, other *store.Store, u *auth.User, now time.Time) {
	t.Helper()
	open := func() *store.Store {
		s, err := store.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	server, other = open(), open()
	now = time.Now().UTC().Truncate(time.Microsecond)
	u = &auth.User{ID: uuid.NewString(), Username: username, Email: username + "@example.com", PasswordHash: "x", Role: auth.RoleUser, CreatedAt: now, UpdatedAt: now}
	if err := server.ImportUsers(context.Background(), []*auth.User{u}); err != nil {
		t.Fatal(err)
	}
	return server, other, u, now
}

// TestSessionCacheSeesEveryChange attacks the session cache: a session
// remembered by one handle must read as revoked, or its user as disabled,
// right after another handle on the same database (another process, such
// as the command line, or another instance) or the handle itself changed
// it.
func TestSessionCacheSeesEveryChange(t *testing.T) {
	onBothDatabases(t, testSessionCacheSeesEveryChange)
}

func testSessionCacheSeesEveryChange(t *testing.T, url string) {
	ctx := context.Background()
	server, other, u, now := twoHandles(t, url, "alice")
	newSession := func() *auth.Session {
		ss := &auth.Session{ID: uuid.NewString(), UserID: u.ID, Kind: auth.SessionBrowser, TokenHash: uuid.NewString(),
			CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour), IdleTimeout: time.Hour}
		if err := server.CreateSession(ctx, ss, nil); err != nil {
			t.Fatal(err)
		}
		return ss
	}
	lookUp := func(ss *auth.Session) (*auth.Session, *auth.User) {
		t.Helper()
		got, gu, err := server.SessionWithUser(ctx, ss.ID)
		if err != nil {
			t.Fatal(err)
		}
		byHash, _, err := server.SessionByTokenHash(ctx, ss.TokenHash)
		if err != nil || byHash.ID != ss.ID || (byHash.RevokedAt == nil) != (got.RevokedAt == nil) {
			t.Fatalf("by token hash: %+v, %v; by id: %+v", byHash, err, got)
		}
		return got, gu
	}
	remembered := func(ss *auth.Session) {
		t.Helper()
		for range 3 {
			if got, gu := lookUp(ss); got.RevokedAt != nil || gu.DisabledAt != nil {
				t.Fatalf("fresh session reads as revoked or disabled: %+v %+v", got, gu)
			}
		}
	}

	a := newSession()
	remembered(a)
	if err := other.RevokeSession(ctx, u.ID, a.ID, now); err != nil {
		t.Fatal(err)
	}
	if got, _ := lookUp(a); got.RevokedAt == nil {
		t.Error("a session revoked through another handle still reads as active")
	}

	b := newSession()
	remembered(b)
	if err := server.RevokeSession(ctx, u.ID, b.ID, now); err != nil {
		t.Fatal(err)
	}
	if got, _ := lookUp(b); got.RevokedAt == nil {
		t.Error("a session revoked through the same handle still reads as active")
	}

	c := newSession()
	remembered(c)
	if err := other.ApplyChange(ctx, auth.Change{UserID: u.ID, At: now, Disable: true}); err != nil {
		t.Fatal(err)
	}
	if _, gu := lookUp(c); gu.DisabledAt == nil {
		t.Error("a user disabled through another handle still reads as enabled")
	}
}

// TestSessionCacheHandsOutCopies: a caller changing what it got must not
// change what the next caller gets.
func TestSessionCacheHandsOutCopies(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	u := &auth.User{ID: uuid.NewString(), Username: "bob", Email: "bob@example.com", PasswordHash: "x", Role: auth.RoleUser, CreatedAt: now, UpdatedAt: now}
	if err := s.ImportUsers(ctx, []*auth.User{u}); err != nil {
		t.Fatal(err)
	}
	ss := &auth.Session{ID: uuid.NewString(), UserID: u.ID, Kind: auth.SessionAPI, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour), IdleTimeout: time.Hour}
	if err := s.CreateSession(ctx, ss, nil); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		got, gu, err := s.SessionWithUser(ctx, ss.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.UserID != u.ID || gu.Username != "bob" {
			t.Fatalf("got %+v %+v: a caller's change leaked into the cache", got, gu)
		}
		got.UserID, gu.Username = "someone-else", "mallory"
	}
}

// TestSessionListCacheSeesEveryChange: the remembered list of a user's
// sessions follows changes made through another handle on the same
// database, and drops sessions as they expire.
func TestSessionListCacheSeesEveryChange(t *testing.T) {
	onBothDatabases(t, testSessionListCacheSeesEveryChange)
}

func testSessionListCacheSeesEveryChange(t *testing.T, url string) {
	ctx := context.Background()
	server, other, u, now := twoHandles(t, url, "carol")
	create := func(s *store.Store, expires time.Time) *auth.Session {
		ss := &auth.Session{ID: uuid.NewString(), UserID: u.ID, Kind: auth.SessionAPI, CreatedAt: now, LastSeenAt: now, ExpiresAt: expires, IdleTimeout: time.Hour}
		if err := s.CreateSession(ctx, ss, nil); err != nil {
			t.Fatal(err)
		}
		return ss
	}
	ids := func(at time.Time) map[string]bool {
		t.Helper()
		var got map[string]bool
		for range 2 { // read, then remembered
			list, err := server.ListSessions(ctx, u.ID, at)
			if err != nil {
				t.Fatal(err)
			}
			got = map[string]bool{}
			for _, ss := range list {
				got[ss.ID] = true
			}
		}
		return got
	}
	short := create(server, now.Add(time.Minute))
	long := create(server, now.Add(time.Hour))
	if got := ids(now); !got[short.ID] || !got[long.ID] {
		t.Fatalf("listed %v, want both sessions", got)
	}
	if got := ids(now.Add(2 * time.Minute)); got[short.ID] || !got[long.ID] {
		t.Errorf("two minutes on: listed %v, want only the long session", got)
	}
	added := create(other, now.Add(time.Hour))
	if got := ids(now.Add(2 * time.Minute)); !got[added.ID] {
		t.Error("a session created through another handle is missing from the list")
	}
	if err := other.RevokeSession(ctx, u.ID, long.ID, now); err != nil {
		t.Fatal(err)
	}
	if got := ids(now.Add(2 * time.Minute)); got[long.ID] {
		t.Error("a session revoked through another handle is still listed")
	}
	if got := ids(now); !got[short.ID] {
		t.Error("asked about an earlier time, the list lacks a session live then")
	}
}

// TestSessionCacheUnderConcurrentLookUps attacks the shared version reads:
// while many requests look a session up at once (on PostgreSQL they share
// snapshot queries), another handle revokes it, and no look-up that began
// after the revocation was committed may find the session active.
func TestSessionCacheUnderConcurrentLookUps(t *testing.T) {
	onBothDatabases(t, testSessionCacheUnderConcurrentLookUps)
}

func testSessionCacheUnderConcurrentLookUps(t *testing.T, url string) {
	ctx := context.Background()
	server, other, u, now := twoHandles(t, url, "dave")
	ss := &auth.Session{ID: uuid.NewString(), UserID: u.ID, Kind: auth.SessionAPI, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour), IdleTimeout: time.Hour}
	if err := server.CreateSession(ctx, ss, nil); err != nil {
		t.Fatal(err)
	}
	var (
		revoked     atomic.Bool
		wg          sync.WaitGroup
		stale, seen atomic.Int64 // of the look-ups begun after the revocation
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for after := 0; after < 100; { // look-ups begun after the revocation
				revokedBefore := revoked.Load()
				got, _, err := server.SessionWithUser(ctx, ss.ID)
				if err != nil {
					t.Error(err)
					return
				}
				if revokedBefore {
					after++
					seen.Add(1)
					if got.RevokedAt == nil {
						stale.Add(1)
					}
				}
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	if err := other.RevokeSession(ctx, u.ID, ss.ID, now); err != nil {
		t.Fatal(err)
	}
	revoked.Store(true)
	wg.Wait()
	if stale.Load() > 0 {
		t.Errorf("%d of %d look-ups begun after the revocation found the session active", stale.Load(), seen.Load())
	}
}

// TestPinSharesOneCheckPerRequest: the look-ups made with one pinned
// context (one request) see the database as the first found it, a change
// committed before that first look-up included; the next request sees
// everything committed before it.
func TestPinSharesOneCheckPerRequest(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, url string) {
		server, other, u, now := twoHandles(t, url, "alice")
		a, b := newBrowserSession(t, server, u, now), newBrowserSession(t, server, u, now)

		request := server.Pin(context.Background())
		if err := other.RevokeSession(context.Background(), u.ID, a.ID, now); err != nil {
			t.Fatal(err)
		}
		if revoked(t, server, request, a) != true {
			t.Fatal("a request's first look-up missed a revocation committed before it")
		}
		if revoked(t, server, request, b) {
			t.Fatal("a fresh session reads as revoked")
		}
		if err := other.RevokeSession(context.Background(), u.ID, b.ID, now); err != nil {
			t.Fatal(err)
		}
		if revoked(t, server, request, b) != false {
			t.Error("a second look-up in the same request checked the database again; want the request's one check shared")
		}
		if revoked(t, server, server.Pin(context.Background()), b) != true {
			t.Error("the next request did not see a revocation committed before it")
		}
	})
}

// TestPinnedRequestReadsItsOwnWrites attacks the pin: a request that
// revokes a session and then looks again (the account page after "log out
// that device") must see the revocation, not its pinned view.
func TestPinnedRequestReadsItsOwnWrites(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, url string) {
		server, _, u, now := twoHandles(t, url, "alice")
		a, b := newBrowserSession(t, server, u, now), newBrowserSession(t, server, u, now)

		request := server.Pin(context.Background())
		if revoked(t, server, request, a) {
			t.Fatal("a fresh session reads as revoked")
		}
		if list, err := server.ListSessions(request, u.ID, now); err != nil || len(list) != 2 {
			t.Fatalf("ListSessions: %d sessions, %v; want 2", len(list), err)
		}
		if err := server.RevokeSession(request, u.ID, a.ID, now); err != nil {
			t.Fatal(err)
		}
		if !revoked(t, server, request, a) {
			t.Error("a request's own revocation is not seen by its next look-up")
		}
		list, err := server.ListSessions(request, u.ID, now)
		if err != nil || len(list) != 1 || list[0].ID != b.ID {
			t.Errorf("ListSessions after the request revoked one: %d sessions, %v; want only %s", len(list), err, b.ID)
		}
	})
}

func newBrowserSession(t *testing.T, s *store.Store, u *auth.User, now time.Time) *auth.Session {
	t.Helper()
	ss := &auth.Session{ID: uuid.NewString(), UserID: u.ID, Kind: auth.SessionBrowser, TokenHash: uuid.NewString(),
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour), IdleTimeout: time.Hour}
	if err := s.CreateSession(context.Background(), ss, nil); err != nil {
		t.Fatal(err)
	}
	return ss
}

// revoked looks ss up by its token hash, as a cookie request does.
func revoked(t *testing.T, s *store.Store, ctx context.Context, ss *auth.Session) bool {
	t.Helper()
	got, _, err := s.SessionByTokenHash(ctx, ss.TokenHash)
	if err != nil {
		t.Fatal(err)
	}
	return got.RevokedAt != nil
}
