package userimport_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/storetest"
	"github.com/latchkey/latchkey/internal/userimport"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// backends are the databases every import scenario runs on.
var backends = []string{"sqlite", "postgres"}

// onBoth runs fn on a fresh store of each database.
func onBoth(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) { fn(t, storetest.OpenBackend(t, b)) })
	}
}

// now is the import's clock in the tests.
var now = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// vector is a hash made by another stack's library, from the password
// package's generated vectors.
type vector struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	Hash     string `json:"hash"`
	Pepper   string `json:"pepper"`
}

func loadVector(t testing.TB, name string) vector {
	t.Helper()
	data, err := os.ReadFile("../password/testdata/import_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(data, &vs); err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no vector %q", name)
	return vector{}
}

// line is one user of an input file, as JSON.
func line(t testing.TB, fields map[string]any) string {
	t.Helper()
	b, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// userLine is a valid line for NAME with a Django hash.
func userLine(t testing.TB, name string) string {
	return line(t, map[string]any{"username": name, "email": name + "@example.com",
		"password_hash": loadVector(t, "django pbkdf2_sha256").Hash})
}

// result is what one import did.
type result struct {
	sum      userimport.Summary
	err      error
	problems []string
}

// runImport imports input into s with o (its clock and problem writer
// filled in).
func runImport(t *testing.T, s userimport.Store, input string, o userimport.Options) result {
	t.Helper()
	var problems bytes.Buffer
	o.Problems, o.Now = &problems, func() time.Time { return now }
	if o.SpoolDir == "" {
		o.SpoolDir = t.TempDir()
	}
	sum, err := userimport.Import(context.Background(), s, strings.NewReader(input), o)
	r := result{sum: sum, err: err}
	if p := strings.TrimSuffix(problems.String(), "\n"); p != "" {
		r.problems = strings.Split(p, "\n")
	}
	return r
}

// exists reports whether a user of that username is stored.
func exists(t *testing.T, s auth.Store, username string) bool {
	t.Helper()
	_, err := s.UserByUsername(context.Background(), username)
	return err == nil
}
