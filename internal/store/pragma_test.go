package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// openSQLite returns a migrated store on a fresh database file, for the
// tests that look inside it.
func openSQLite(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestPragmas checks the settings durability and integrity depend on, on
// the writer and on a reader connection: they are per connection in SQLite,
// so a DSN mistake would silently lose them.
func TestPragmas(t *testing.T) {
	s := openSQLite(t)
	for name, db := range map[string]*sql.DB{"writer": s.w.db, "reader": s.r} {
		for pragma, want := range map[string]string{
			"journal_mode": "wal",
			"synchronous":  "2", // FULL
			"foreign_keys": "1",
			"busy_timeout": "5000",
		} {
			var got string
			if err := db.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", name, pragma, err)
			}
			if got != want {
				t.Errorf("%s: PRAGMA %s = %s, want %s", name, pragma, got, want)
			}
		}
	}
	if _, err := s.r.Exec(`DELETE FROM users`); err == nil {
		t.Error("reader pool accepted a write; want query_only")
	}
}
