// Package storetest opens the store HTTP-level tests run on: SQLite by
// default, PostgreSQL when LATCHKEY_TEST_STORE=postgres, so that one suite
// covers both backends (make test runs it both ways).
package storetest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/pgtest"
)

// BackendEnv selects the backend: "sqlite" (the default) or "postgres".
const BackendEnv = "LATCHKEY_TEST_STORE"

// Open returns a migrated, empty store, closed when the test ends.
func Open(t testing.TB) *store.Store {
	t.Helper()
	return OpenBackend(t, "")
}

// OpenBackend is Open for a named backend ("" follows the environment),
// for benchmarks that compare them.
func OpenBackend(t testing.TB, backend string) *store.Store {
	t.Helper()
	if backend == "" {
		backend = os.Getenv(BackendEnv)
	}
	url := "sqlite:" + filepath.Join(t.TempDir(), "latchkey.db")
	switch backend {
	case "", "sqlite":
	case "postgres":
		url = pgtest.URL(t)
	default:
		t.Fatalf("%s=%q: want sqlite or postgres", BackendEnv, backend)
	}
	s, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Main runs a package's tests and stops a PostgreSQL started for them.
func Main(m *testing.M) { pgtest.Main(m) }
