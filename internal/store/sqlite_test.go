package store_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/blog/blogtest"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/pgtest"
)

// openSQLite returns a migrated store on a fresh database file.
func openSQLite(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.OpenWith(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "sub", "latchkey.db"), store.Options{CreateDir: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSQLiteContract(t *testing.T) {
	authtest.TestStore(t, func(t *testing.T) auth.Store { return openSQLite(t) })
	blogtest.TestStore(t, func(t *testing.T) blogtest.Store { return openSQLite(t) })
}

// TestMigrateTwice: the second migration applies none and says so, at
// the version the first reached.
func TestMigrateTwice(t *testing.T) {
	s := openSQLite(t)
	first := s.Migrated()
	if first.Applied == 0 || first.Version == 0 {
		t.Fatalf("Open on a new database migrated %+v", first)
	}
	second, err := s.Migrate(context.Background())
	if err != nil {
		t.Fatalf("second migration: %v", err)
	}
	if second != (store.Migration{Version: first.Version}) {
		t.Fatalf("second migration: %+v, want none applied at version %d", second, first.Version)
	}
}

// TestOpenSQLiteWantsItsDirectory: a missing directory is an error that
// names it, unless the caller asks for it to be made.
func TestOpenSQLiteWantsItsDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	_, err := store.Open(context.Background(), "sqlite:"+filepath.Join(dir, "latchkey.db"))
	if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "create it first") {
		t.Fatalf("Open in a missing directory: %v, want an error naming %s", err, dir)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the directory was made: %v", err)
	}
}

func TestOpenRejectsOtherURLs(t *testing.T) {
	for _, u := range []string{"sqlite:", "sqlite::memory:", "mysql://x", "./x.db"} {
		if _, err := store.Open(context.Background(), u); err == nil {
			t.Errorf("Open(%q) succeeded; want an error", u)
		}
	}
}

func TestMain(m *testing.M) { pgtest.Main(m) }

// openPostgres returns a migrated store on a fresh PostgreSQL database.
func openPostgres(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPostgresContract(t *testing.T) {
	authtest.TestStore(t, func(t *testing.T) auth.Store { return openPostgres(t) })
	blogtest.TestStore(t, func(t *testing.T) blogtest.Store { return openPostgres(t) })
}

func TestIPLimiterOnBothDatabases(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		authtest.TestLimiter(t, func(t *testing.T, n int) auth.Limiter { return openSQLite(t).IPLimiter(n) })
	})
	t.Run("postgres", func(t *testing.T) {
		authtest.TestLimiter(t, func(t *testing.T, n int) auth.Limiter { return openPostgres(t).IPLimiter(n) })
	})
}

// TestAccountThrottleOnBothDatabases runs the throttle's race on each
// database, through one handle and through two (two instances).
func TestAccountThrottleOnBothDatabases(t *testing.T) {
	sqliteFile := func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "latchkey.db") }
	for _, tt := range []struct {
		name    string
		url     func(t testing.TB) string
		handles int
	}{
		{"sqlite", sqliteFile, 1},
		{"sqlite/two handles", sqliteFile, 2},
		{"postgres", pgtest.URL, 1},
		{"postgres/two handles", pgtest.URL, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			authtest.TestAccountThrottle(t, func(t *testing.T) (auth.Store, auth.Store) {
				url := tt.url(t)
				a := openURL(t, url)
				if tt.handles == 1 {
					return a, a
				}
				return a, openURL(t, url)
			})
		})
	}
}

// openURL opens and migrates the database at url, closed when the test
// ends.
func openURL(t *testing.T, url string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestImportUsers(t *testing.T) {
	for name, open := range map[string]func(*testing.T) *store.Store{"sqlite": openSQLite, "postgres": openPostgres} {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			a, b := authtest.NewUser("ann", "ann@example.com", at), authtest.NewUser("ben", "ben@example.com", at)
			if err := s.ImportUsers(ctx, []*auth.User{a, b}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.UserByUsername(ctx, "BEN"); err != nil {
				t.Fatal(err)
			}
			// One conflict rolls the whole batch back.
			c, dup := authtest.NewUser("cat", "cat@example.com", at), authtest.NewUser("ANN", "other@example.com", at)
			authtest.Code(t, s.ImportUsers(ctx, []*auth.User{c, dup}), auth.CodeUsernameTaken)
			if _, err := s.UserByUsername(ctx, "cat"); !errors.Is(err, auth.ErrNotFound) {
				t.Fatalf("a failed import left a user behind: %v", err)
			}
		})
	}
}

// TestPostgresRefusedTextIsInvalidInput: text that PostgreSQL refuses and
// the rules above the store should have caught first (a NUL, a byte that
// is not UTF-8) comes back as auth.ErrUnstorableText, a 422 to every
// transport, not as an unknown error and a 500.
func TestPostgresRefusedTextIsInvalidInput(t *testing.T) {
	s := openPostgres(t)
	ctx := context.Background()
	for _, bad := range []string{"a\x00b", "a\xffb"} {
		_, err := s.UserByUsername(ctx, bad)
		if !errors.Is(err, auth.ErrUnstorableText) || auth.ErrorCode(err) != auth.CodeInvalid {
			t.Errorf("look-up of %q: %v, want auth.ErrUnstorableText", bad, err)
		}
	}
}

// TestGroupCommitsOnlyOnSQLite: PostgreSQL has no group commit, and says
// so, so that the metrics leave its series out rather than show zeros.
func TestGroupCommitsOnlyOnSQLite(t *testing.T) {
	if _, ok := openSQLite(t).GroupCommits(); !ok {
		t.Error("SQLite: no group commit")
	}
	if c, ok := openPostgres(t).GroupCommits(); ok {
		t.Errorf("PostgreSQL: group commit %+v", c)
	}
}
