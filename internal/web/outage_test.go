package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/blog"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/pgtest"
	"github.com/latchkey/latchkey/internal/store/storetest"
)

// TestDatabaseOutage takes the database away under running pages: every
// page that needs it answers 503 with a Retry-After (the error page, or a
// form re-rendered with the reason), never a 500, a logged-in visitor
// keeps their cookie, and everything works again when the database is
// back, without a restart.
func TestDatabaseOutage(t *testing.T) {
	db := &flakyStore{Store: storetest.Open(t)}
	checkOutage(t, newSiteOn(t, db), func() { db.down.Store(true) }, func() { db.down.Store(false) })
}

// TestDatabaseOutageOnPostgres is TestDatabaseOutage with the database
// really stopped: a PostgreSQL of the test's own, shut down under the
// pages and started again. SQLite, a file in the process, cannot be taken
// away like that; flakyStore stands in for it above.
func TestDatabaseOutageOnPostgres(t *testing.T) {
	if os.Getenv(storetest.BackendEnv) != "postgres" {
		t.Skipf("runs on PostgreSQL (%s=postgres), with a cluster of its own", storetest.BackendEnv)
	}
	pg := pgtest.Private(t)
	dbURL, err := pg.NewDatabase()
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	checkOutage(t, newSiteOn(t, st), pg.Stop, func() {
		if err := pg.Start(); err != nil {
			t.Fatal(err)
		}
	})
}

func checkOutage(t *testing.T, s *site, stop, start func()) {
	t.Helper()
	alice, anon := s.browser(t), s.browser(t)
	do(t, alice, "POST", s.URL+"/register", registration("alice"))
	p := do(t, alice, "POST", s.URL+"/posts/new", url.Values{"title": {"Before"}, "body": {"Written before the outage."}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("publish: %d", p.status)
	}
	postURL := s.URL + p.header.Get("Location")
	// alice is an admin too, for the admin pages' rows below.
	admin, err := s.svc.SetRole(context.Background(), nil, "alice", auth.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	alicePage := "/admin/users/" + admin.ID

	stop()
	tests := []struct {
		name         string
		c            *http.Client
		method, path string
		form         url.Values
		want         string // on the page: the error page's heading or the form's id
	}{
		{"home, a visitor", anon, "GET", "/", nil, "<h1>Temporarily unavailable</h1>"},
		{"home, logged in", alice, "GET", "/", nil, "<h1>Temporarily unavailable</h1>"},
		{"a post", anon, "GET", strings.TrimPrefix(postURL, s.URL), nil, "<h1>Temporarily unavailable</h1>"},
		{"log in", anon, "POST", "/login", url.Values{"identifier": {"alice"}, "password": {pw}}, `id="login-form"`},
		{"register", anon, "POST", "/register", registration("bob"), `id="register-form"`},
		// The pages behind a login cannot check the cookie: a 503, not
		// a trip to the login form.
		{"account", alice, "GET", "/account", nil, "<h1>Temporarily unavailable</h1>"},
		// A new post needs nothing else from the database: its form
		// comes back with what was typed.
		{"new post", alice, "POST", "/posts/new", url.Values{"title": {"Typed during the outage"}, "body": {"Not to be lost."}}, `value="Typed during the outage"`},
		{"log out everywhere else", alice, "POST", "/account/sessions/revoke-others", url.Values{}, "<h1>Temporarily unavailable</h1>"},
		{"log out", alice, "POST", "/logout", url.Values{}, "<h1>Temporarily unavailable</h1>"},
		// The admin pages need the login, and their role with it.
		{"admin: users", alice, "GET", "/admin/users?q=al", nil, "<h1>Temporarily unavailable</h1>"},
		{"admin: a user", alice, "GET", alicePage, nil, "<h1>Temporarily unavailable</h1>"},
		{"admin: audit log", alice, "GET", "/admin/events?user=alice", nil, "<h1>Temporarily unavailable</h1>"},
		{"admin: an action", alice, "POST", alicePage + "/password-reset", url.Values{}, "<h1>Temporarily unavailable</h1>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := do(t, tt.c, tt.method, s.URL+tt.path, tt.form)
			if p.status != http.StatusServiceUnavailable || p.header.Get("Retry-After") == "" {
				t.Fatalf("%d, Retry-After %q; want 503 with one", p.status, p.header.Get("Retry-After"))
			}
			if !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") || !strings.Contains(p.body, tt.want) ||
				!strings.Contains(p.body, "temporarily unavailable; try again shortly") {
				t.Errorf("the page lacks %q or the reason:\n%s", tt.want, p.body)
			}
			if strings.Contains(p.body, `aria-invalid="true"`) {
				t.Error("the outage marks a field as wrong")
			}
			if strings.Contains(p.body, "connection refused") {
				t.Error("the page shows the database's error")
			}
			if strings.Contains(p.header.Get("Set-Cookie"), "latchkey_session") {
				t.Errorf("the outage touched the session cookie: %q", p.header.Get("Set-Cookie"))
			}
		})
	}
	if logs := s.logs.String(); !strings.Contains(logs, "level=WARN msg=\"database unavailable\"") || strings.Contains(logs, "level=ERROR") {
		t.Errorf("an outage is a warning, not an error:\n%s", logs)
	}

	start()
	for _, path := range []string{"/", strings.TrimPrefix(postURL, s.URL), "/account", "/admin/users", alicePage, "/admin/events"} {
		if p := do(t, alice, "GET", s.URL+path, nil); p.status != http.StatusOK || !strings.Contains(p.body, ">alice</a>") {
			t.Errorf("GET %s after the outage: %d, logged in: %v", path, p.status, strings.Contains(p.body, ">alice</a>"))
		}
	}
}

// flakyStore is a store whose database can be taken away: while down is
// set, every method fails as the real store does when it cannot reach its
// database, with an error wrapping auth.ErrUnavailable. A method that
// Store gains passes through to the database until it is added here.
type flakyStore struct {
	Store
	down atomic.Bool
}

// Store is everything the pages' two services ask of a database.
type Store interface {
	auth.Store
	blog.Store
}

func (f *flakyStore) fail(op string) error {
	if !f.down.Load() {
		return nil
	}
	return fmt.Errorf("%s: %w: %w", op, auth.ErrUnavailable, errors.New("dial tcp 127.0.0.1:5432: connection refused"))
}

func (f *flakyStore) CreateUser(ctx context.Context, u *auth.User, letters []auth.Letter, events ...auth.Event) error {
	if err := f.fail("create user"); err != nil {
		return err
	}
	return f.Store.CreateUser(ctx, u, letters, events...)
}

func (f *flakyStore) UserByID(ctx context.Context, id string) (*auth.User, error) {
	if err := f.fail("user by id"); err != nil {
		return nil, err
	}
	return f.Store.UserByID(ctx, id)
}

func (f *flakyStore) UserByEmail(ctx context.Context, email string) (*auth.User, error) {
	if err := f.fail("user by email"); err != nil {
		return nil, err
	}
	return f.Store.UserByEmail(ctx, email)
}

func (f *flakyStore) UserByUsername(ctx context.Context, username string) (*auth.User, error) {
	if err := f.fail("user by username"); err != nil {
		return nil, err
	}
	return f.Store.UserByUsername(ctx, username)
}

func (f *flakyStore) IdentityTaken(ctx context.Context, username, email string) (bool, bool, error) {
	if err := f.fail("identity taken"); err != nil {
		return false, false, err
	}
	return f.Store.IdentityTaken(ctx, username, email)
}

func (f *flakyStore) SetPasswordHash(ctx context.Context, userID, hash string, at time.Time) error {
	if err := f.fail("set password hash"); err != nil {
		return err
	}
	return f.Store.SetPasswordHash(ctx, userID, hash, at)
}

func (f *flakyStore) ListUsers(ctx context.Context, q auth.UserQuery) ([]*auth.UserOverview, error) {
	if err := f.fail("list users"); err != nil {
		return nil, err
	}
	return f.Store.ListUsers(ctx, q)
}

func (f *flakyStore) DeleteUser(ctx context.Context, userID string, events ...auth.Event) error {
	if err := f.fail("delete user"); err != nil {
		return err
	}
	return f.Store.DeleteUser(ctx, userID, events...)
}

func (f *flakyStore) CreateSession(ctx context.Context, s *auth.Session, rt *auth.RefreshToken, events ...auth.Event) error {
	if err := f.fail("create session"); err != nil {
		return err
	}
	return f.Store.CreateSession(ctx, s, rt, events...)
}

func (f *flakyStore) SessionWithUser(ctx context.Context, sessionID string) (*auth.Session, *auth.User, error) {
	if err := f.fail("session with user"); err != nil {
		return nil, nil, err
	}
	return f.Store.SessionWithUser(ctx, sessionID)
}

func (f *flakyStore) SessionByTokenHash(ctx context.Context, hash string) (*auth.Session, *auth.User, error) {
	if err := f.fail("session by token hash"); err != nil {
		return nil, nil, err
	}
	return f.Store.SessionByTokenHash(ctx, hash)
}

func (f *flakyStore) TouchSession(ctx context.Context, sessionID string, at time.Time) error {
	if err := f.fail("touch session"); err != nil {
		return err
	}
	return f.Store.TouchSession(ctx, sessionID, at)
}

func (f *flakyStore) SetSessionTokenHash(ctx context.Context, sessionID, hash string) error {
	if err := f.fail("set session token hash"); err != nil {
		return err
	}
	return f.Store.SetSessionTokenHash(ctx, sessionID, hash)
}

func (f *flakyStore) RefreshTokenByHash(ctx context.Context, hash string) (*auth.RefreshToken, *auth.Session, *auth.User, error) {
	if err := f.fail("refresh token by hash"); err != nil {
		return nil, nil, nil, err
	}
	return f.Store.RefreshTokenByHash(ctx, hash)
}

func (f *flakyStore) RotateRefreshToken(ctx context.Context, oldID string, at time.Time, next *auth.RefreshToken, touch bool) (bool, error) {
	if err := f.fail("rotate refresh token"); err != nil {
		return false, err
	}
	return f.Store.RotateRefreshToken(ctx, oldID, at, next, touch)
}

func (f *flakyStore) ListSessions(ctx context.Context, userID string, now time.Time) ([]*auth.Session, error) {
	if err := f.fail("list sessions"); err != nil {
		return nil, err
	}
	return f.Store.ListSessions(ctx, userID, now)
}

func (f *flakyStore) RevokeSession(ctx context.Context, userID, sessionID string, at time.Time, events ...auth.Event) error {
	if err := f.fail("revoke session"); err != nil {
		return err
	}
	return f.Store.RevokeSession(ctx, userID, sessionID, at, events...)
}

func (f *flakyStore) RevokeUserSessions(ctx context.Context, userID, exceptID string, at time.Time, events ...auth.Event) error {
	if err := f.fail("revoke user sessions"); err != nil {
		return err
	}
	return f.Store.RevokeUserSessions(ctx, userID, exceptID, at, events...)
}

func (f *flakyStore) CreatePost(ctx context.Context, p *blog.Post) error {
	if err := f.fail("create post"); err != nil {
		return err
	}
	return f.Store.CreatePost(ctx, p)
}

func (f *flakyStore) PostByID(ctx context.Context, id string) (*blog.Post, error) {
	if err := f.fail("post by id"); err != nil {
		return nil, err
	}
	return f.Store.PostByID(ctx, id)
}

func (f *flakyStore) UpdatePost(ctx context.Context, p *blog.Post) error {
	if err := f.fail("update post"); err != nil {
		return err
	}
	return f.Store.UpdatePost(ctx, p)
}

func (f *flakyStore) DeletePost(ctx context.Context, id string) error {
	if err := f.fail("delete post"); err != nil {
		return err
	}
	return f.Store.DeletePost(ctx, id)
}

func (f *flakyStore) ListPosts(ctx context.Context, authorID string, after *auth.PageCursor, limit int) ([]*blog.Post, error) {
	if err := f.fail("list posts"); err != nil {
		return nil, err
	}
	return f.Store.ListPosts(ctx, authorID, after, limit)
}

func (f *flakyStore) ReserveLoginAttempt(ctx context.Context, key string, at, since time.Time, limit int) (int64, bool, time.Time, error) {
	if err := f.fail("reserve login attempt"); err != nil {
		return 0, false, time.Time{}, err
	}
	return f.Store.ReserveLoginAttempt(ctx, key, at, since, limit)
}

func (f *flakyStore) ReleaseLoginAttempt(ctx context.Context, id int64) error {
	if err := f.fail("release login attempt"); err != nil {
		return err
	}
	return f.Store.ReleaseLoginAttempt(ctx, id)
}

func (f *flakyStore) LoginFailures(ctx context.Context, key string, since time.Time) (int, time.Time, error) {
	if err := f.fail("login failures"); err != nil {
		return 0, time.Time{}, err
	}
	return f.Store.LoginFailures(ctx, key, since)
}

func (f *flakyStore) ClearLoginFailures(ctx context.Context, key string) error {
	if err := f.fail("clear login failures"); err != nil {
		return err
	}
	return f.Store.ClearLoginFailures(ctx, key)
}

func (f *flakyStore) ApplyChange(ctx context.Context, c auth.Change) error {
	if err := f.fail("apply change"); err != nil {
		return err
	}
	return f.Store.ApplyChange(ctx, c)
}

func (f *flakyStore) RecordEvents(ctx context.Context, events ...auth.Event) error {
	if err := f.fail("record events"); err != nil {
		return err
	}
	return f.Store.RecordEvents(ctx, events...)
}

func (f *flakyStore) ListEvents(ctx context.Context, q auth.EventQuery) ([]*auth.Event, error) {
	if err := f.fail("list events"); err != nil {
		return nil, err
	}
	return f.Store.ListEvents(ctx, q)
}

func (f *flakyStore) Ping(ctx context.Context) error {
	if err := f.fail("ping"); err != nil {
		return err
	}
	return f.Store.Ping(ctx)
}
