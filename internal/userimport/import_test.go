package userimport_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/userimport"
)

func TestImportValidFile(t *testing.T) {
	onBoth(t, func(t *testing.T, s *store.Store) {
		django := loadVector(t, "django pbkdf2_sha256")
		passlib := loadVector(t, "passlib bcrypt_sha256 v2")
		input := strings.Join([]string{
			line(t, map[string]any{"username": "Ann.Old", "email": " Ann@Example.COM ", "password_hash": django.Hash,
				"email_verified": true, "role": "admin", "created_at": "2019-06-07T10:09:10.5+02:00"}),
			"", // a blank line is not a user, nor a problem
			line(t, map[string]any{"username": "ｂｅｎ", "email": "ben@example.com", "password_hash": passlib.Hash,
				"email_verified": false, "role": "user"}),
			line(t, map[string]any{"username": "cat", "email": "cat@example.com", "password_hash": django.Hash,
				"email_verified": nil, "role": nil, "created_at": nil}),
		}, "\r\n") + "\n"
		r := runImport(t, s, input, userimport.Options{})
		if r.err != nil || r.sum != (userimport.Summary{Imported: 3}) || r.problems != nil {
			t.Fatalf("Import = %v, %v, problems %q", r.sum, r.err, r.problems)
		}
		authtest.Equal(t, r.sum.String(), "imported 3, skipped 0, invalid 0")

		ctx := context.Background()
		ann, err := s.UserByUsername(ctx, "ann.old")
		authtest.NoError(t, err)
		created := time.Date(2019, 6, 7, 8, 9, 10, 500_000_000, time.UTC)
		if ann.Username != "Ann.Old" || ann.Email != "ann@example.com" || ann.Role != auth.RoleAdmin ||
			ann.PasswordHash != django.Hash || !ann.CreatedAt.Equal(created) || !ann.UpdatedAt.Equal(now) ||
			ann.EmailVerifiedAt == nil || !ann.EmailVerifiedAt.Equal(now) {
			t.Errorf("ann stored as %+v", ann)
		}
		// NFKC first, as registration does: full-width letters fold.
		ben, err := s.UserByUsername(ctx, "ben")
		authtest.NoError(t, err)
		if ben.Username != "ben" || ben.Role != auth.RoleUser || ben.EmailVerifiedAt != nil || !ben.CreatedAt.Equal(now) {
			t.Errorf("ben stored as %+v", ben)
		}
		if ok, err := password.Verify(passlib.Password, ben.PasswordHash); !ok || err != nil {
			t.Errorf("ben's stored hash does not verify: %v, %v", ok, err)
		}
		cat, err := s.UserByUsername(ctx, "cat")
		authtest.NoError(t, err)
		if cat.Role != auth.RoleUser || cat.EmailVerifiedAt != nil || !cat.CreatedAt.Equal(now) {
			t.Errorf("cat stored as %+v", cat)
		}
		if ann.ID == ben.ID || len(ann.ID) != 36 || ann.ID[14] != '7' {
			t.Errorf("ids %q, %q: want distinct UUIDv7s", ann.ID, ben.ID)
		}
	})
}

// badLines are lines an import refuses, each with the problem reported
// for it (the line number is its index + 2: line 1 is a good one).
var badLines = []struct {
	line string
	want string // the problem, after "line N: "
}{
	{`{"username": "dora", "email": "dora@example.com", "password_hash": `, "not valid JSON"},
	{`{"username": "dora", "email": "dora@example.com", "password_hash": "x", "password": "hunter2"}`, `unknown field "password"`},
	{`{"username": "dora", "password_hash": "$2b$04$C8HrFOwuPi1wVafbESc07uc1oTsH9bzv2LhXDa/KqC6fZuxuNsZjO"}`, "email: required"},
	{`{"username": "d", "email": "d@example.com", "password_hash": "$2b$04$C8HrFOwuPi1wVafbESc07uc1oTsH9bzv2LhXDa/KqC6fZuxuNsZjO"}`, "username: Use 3 to 32"},
	{`{"username": "dora", "email": "not an address", "password_hash": "$2b$04$C8HrFOwuPi1wVafbESc07uc1oTsH9bzv2LhXDa/KqC6fZuxuNsZjO"}`, "email: Remove the spaces"},
	{`{"username": "dora", "email": "dora@example.com", "password_hash": "sha1$salt$0123456789abcdef0123456789abcdef01234567"}`, "password_hash: a format Latchkey cannot verify"},
	{`{"username": "dora", "email": "dora@example.com", "password_hash": "$2b$31$C8HrFOwuPi1wVafbESc07uc1oTsH9bzv2LhXDa/KqC6fZuxuNsZjO"}`, "password_hash: parameters beyond Latchkey's limits"},
	{`{"username": "dora", "email": "dora@example.com", "password_hash": "correct horse battery"}`, "password_hash: not a password hash"},
	{`{"username": "do\u0000ra", "email": "dora@example.com", "password_hash": "$2b$04$C8HrFOwuPi1wVafbESc07uc1oTsH9bzv2LhXDa/KqC6fZuxuNsZjO"}`, "username: Use only"},
	{`{"username": "dora", "email": "do\u0000ra@example.com", "password_hash": "$2b$04$C8HrFOwuPi1wVafbESc07uc1oTsH9bzv2LhXDa/KqC6fZuxuNsZjO"}`, "email: Remove the spaces, control"},
	{`{"username": "dora", "email": "dora@example.com", "password_hash": "$2b$04$C8HrFOwuPi1wVafbESc07uc1oTsH9bzv2LhXDa/KqC6fZuxuNsZj\u0000"}`, "password_hash: not a password hash"},
	{"{\"username\": \"d\xffra\", \"email\": \"dora@example.com\", \"password_hash\": \"x\"}", "not valid UTF-8"},
	{`{"username": "dora", "email": "dora@example.com", "password_hash": "$2b$04$C8HrFOwuPi1wVafbESc07uc1oTsH9bzv2LhXDa/KqC6fZuxuNsZjO", "role": "root"}`, `role: use "user" or "admin"`},
	{`{"username": "dora", "email": "dora@example.com", "password_hash": "$2b$04$C8HrFOwuPi1wVafbESc07uc1oTsH9bzv2LhXDa/KqC6fZuxuNsZjO", "created_at": "2030-01-01T00:00:00Z"}`, "created_at: in the future"},
	{`{"username": "dora", "email": "dora@example.com", "password_hash": "$2b$04$C8HrFOwuPi1wVafbESc07uc1oTsH9bzv2LhXDa/KqC6fZuxuNsZjO", "created_at": "2019-06-07"}`, "created_at: use RFC 3339"},
	{`{"username": "dora", "email": "dora@example.com", "password_hash": "$2b$04$C8HrFOwuPi1wVafbESc07uc1oTsH9bzv2LhXDa/KqC6fZuxuNsZjO", "email_verified": "yes"}`, "email_verified: want true or false"},
	{`{"username": 7, "email": "dora@example.com", "password_hash": "x"}`, "username: want a string"},
	{`["dora", "dora@example.com"]`, "not a JSON object"},
	{`{"username": "dora", "email": "dora@example.com", "password_hash": "$2b$04$C8HrFOwuPi1wVafbESc07uc1oTsH9bzv2LhXDa/KqC6fZuxuNsZjO"} {}`, "more than one JSON value"},
	{`{"username": "dora", "email": "dora@example.com", "password_hash": "` + strings.Repeat("A", userimport.MaxLineBytes) + `"}`, "longer than"},
	{`{}`, "username: required"},
}

// invalidInput is a good line, every bad line, and a good line at the end.
func invalidInput(t *testing.T) string {
	lines := []string{userLine(t, "first")}
	for _, b := range badLines {
		lines = append(lines, b.line)
	}
	return strings.Join(append(lines, userLine(t, "last")), "\n")
}

func checkProblems(t *testing.T, got []string) {
	t.Helper()
	// Problems come in line order; a line may have more than one.
	i := 0
	for n, b := range badLines {
		prefix := "line " + strconv.Itoa(n+2) + ": "
		found := false
		for ; i < len(got) && strings.HasPrefix(got[i], prefix); i++ {
			found = found || strings.Contains(got[i], b.want)
		}
		if !found {
			t.Errorf("no problem %q on line %d; problems:\n%s", b.want, n+2, strings.Join(got, "\n"))
		}
	}
	if i != len(got) {
		t.Errorf("problems left over, or on good lines: %q", got[i:])
	}
	for _, p := range got {
		if strings.Contains(p, "C8HrFOwuPi1wVafbESc07uc1oTsH9bzv2LhXDa") || strings.Contains(p, "\x00") || strings.Contains(p, "\xff") {
			t.Errorf("problem repeats a hash or a hostile byte: %q", p)
		}
	}
}

// TestImportInvalidLines: every problem of every line is reported with its
// line number, and nothing is written, hostile bytes included, on both
// databases.
func TestImportInvalidLines(t *testing.T) {
	onBoth(t, func(t *testing.T, s *store.Store) {
		r := runImport(t, s, invalidInput(t), userimport.Options{})
		if !errors.Is(r.err, userimport.ErrInvalidLines) || r.sum != (userimport.Summary{Invalid: len(badLines)}) {
			t.Fatalf("Import = %v, %v; want %d invalid and ErrInvalidLines", r.sum, r.err, len(badLines))
		}
		checkProblems(t, r.problems)
		if exists(t, s, "first") || exists(t, s, "last") {
			t.Error("a user was written although lines were bad")
		}
	})
}

func TestImportSkipInvalid(t *testing.T) {
	onBoth(t, func(t *testing.T, s *store.Store) {
		r := runImport(t, s, invalidInput(t), userimport.Options{SkipInvalid: true})
		if r.err != nil || r.sum != (userimport.Summary{Imported: 2, Invalid: len(badLines)}) {
			t.Fatalf("Import = %v, %v, problems %q", r.sum, r.err, r.problems)
		}
		checkProblems(t, r.problems)
		if !exists(t, s, "first") || !exists(t, s, "last") || exists(t, s, "dora") {
			t.Error("want exactly the good lines written")
		}
	})
}

// TestImportSkipsExistingUsers: a user whose username (in any case) or
// email is taken is skipped and counted, and the stored user is left as
// it was; so are later lines repeating an earlier one's, also across
// batches.
func TestImportSkipsExistingUsers(t *testing.T) {
	onBoth(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		old := authtest.NewUser("carol", "carol@example.com", now.Add(-time.Hour))
		authtest.NoError(t, s.ImportUsers(ctx, []*auth.User{old}))
		lines := []string{
			line(t, map[string]any{"username": "CAROL", "email": "other@example.com", "password_hash": loadVector(t, "django bcrypt").Hash}),
			line(t, map[string]any{"username": "carla", "email": "Carol@Example.com", "password_hash": loadVector(t, "django bcrypt").Hash}),
			userLine(t, "erin"),
			line(t, map[string]any{"username": "Erin", "email": "erin2@example.com", "password_hash": loadVector(t, "django bcrypt").Hash}),
		}
		for i := range userimport.BatchSize {
			lines = append(lines, userLine(t, fmt.Sprintf("user%04d", i)))
		}
		// In a later batch than the line it repeats.
		lines = append(lines, line(t, map[string]any{"username": "zed", "email": "erin@example.com", "password_hash": loadVector(t, "django bcrypt").Hash}))
		r := runImport(t, s, strings.Join(lines, "\n"), userimport.Options{})
		if r.err != nil || r.sum != (userimport.Summary{Imported: 1 + userimport.BatchSize, Skipped: 4}) {
			t.Fatalf("Import = %v, %v, problems %q", r.sum, r.err, r.problems)
		}
		got, err := s.UserByUsername(ctx, "carol")
		authtest.NoError(t, err)
		if got.ID != old.ID || got.PasswordHash != old.PasswordHash || got.Email != old.Email {
			t.Errorf("the stored user changed: %+v", got)
		}
		erin, err := s.UserByUsername(ctx, "erin")
		authtest.NoError(t, err)
		authtest.Equal(t, erin.Email, "erin@example.com") // the first line wins
		if exists(t, s, "carla") || exists(t, s, "zed") {
			t.Error("a line whose email is taken was written")
		}
	})
}

// TestImportDryRun: a dry run counts what an import would do, asking the
// database which users exist, and writes nothing.
func TestImportDryRun(t *testing.T) {
	onBoth(t, func(t *testing.T, s *store.Store) {
		authtest.NoError(t, s.ImportUsers(context.Background(), []*auth.User{authtest.NewUser("carol", "carol@example.com", now)}))
		input := strings.Join([]string{userLine(t, "CAROL"), userLine(t, "dave"), userLine(t, "erin")}, "\n")
		r := runImport(t, s, input, userimport.Options{DryRun: true})
		if r.err != nil || r.sum != (userimport.Summary{Imported: 2, Skipped: 1}) {
			t.Fatalf("dry run = %v, %v", r.sum, r.err)
		}
		if exists(t, s, "dave") || exists(t, s, "erin") {
			t.Error("a dry run wrote a user")
		}
		// Bad lines fail a dry run as they would fail the import.
		r = runImport(t, s, invalidInput(t), userimport.Options{DryRun: true})
		if !errors.Is(r.err, userimport.ErrInvalidLines) || r.sum.Invalid != len(badLines) || r.sum.Imported != 2 {
			t.Fatalf("dry run of bad lines = %v, %v", r.sum, r.err)
		}
		checkProblems(t, r.problems)
		r = runImport(t, s, invalidInput(t), userimport.Options{DryRun: true, SkipInvalid: true})
		if r.err != nil || r.sum != (userimport.Summary{Imported: 2, Invalid: len(badLines)}) {
			t.Fatalf("dry run skipping bad lines = %v, %v", r.sum, r.err)
		}
		if exists(t, s, "first") {
			t.Error("a dry run wrote a user")
		}
	})
}

// pipe hides a reader's Seek, as a pipe on stdin has none.
type pipe struct{ io.Reader }

// TestImportFromStdin: input that cannot be read twice is copied to a
// temporary file that no other process can open, and that is gone when
// the import ends; a file on stdin that was partly read is taken from
// where it stands.
func TestImportFromStdin(t *testing.T) {
	onBoth(t, func(t *testing.T, s *store.Store) {
		dir := t.TempDir()
		input := strings.Join([]string{userLine(t, "ann"), userLine(t, "ben")}, "\n") + "\n"
		sum, err := userimport.Import(context.Background(), s, pipe{strings.NewReader(input)},
			userimport.Options{SpoolDir: dir, Now: func() time.Time { return now }})
		if err != nil || sum != (userimport.Summary{Imported: 2}) {
			t.Fatalf("Import(pipe) = %v, %v", sum, err)
		}
		if !exists(t, s, "ann") || !exists(t, s, "ben") {
			t.Fatal("users from a pipe were not written")
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("the spool was left behind: %v", left)
		}

		f, err := os.CreateTemp(t.TempDir(), "users-*.jsonl")
		authtest.NoError(t, err)
		defer f.Close()
		first := userLine(t, "skipped-by-caller") + "\n"
		_, err = f.WriteString(first + userLine(t, "cat") + "\n")
		authtest.NoError(t, err)
		_, err = f.Seek(int64(len(first)), io.SeekStart)
		authtest.NoError(t, err)
		sum, err = userimport.Import(context.Background(), s, f, userimport.Options{SpoolDir: dir})
		if err != nil || sum != (userimport.Summary{Imported: 1}) || exists(t, s, "skipped-by-caller") {
			t.Fatalf("Import(file at an offset) = %v, %v", sum, err)
		}
	})
}

// TestImportSpoolIsPrivate: while the import reads a pipe, its copy is
// already unlinked, so that no other process can open it and nothing is
// left if the import is killed.
func TestImportSpoolIsPrivate(t *testing.T) {
	dir := t.TempDir()
	seen := make(chan []os.DirEntry, 1)
	r := &watchedReader{Reader: strings.NewReader(userLine(t, "ann") + "\n"), onRead: func() {
		entries, _ := os.ReadDir(dir)
		select {
		case seen <- entries:
		default:
		}
	}}
	_, err := userimport.Import(context.Background(), &recordingStore{}, r, userimport.Options{SpoolDir: dir})
	authtest.NoError(t, err)
	if entries := <-seen; len(entries) != 0 {
		t.Errorf("the spool is visible in its directory while in use: %v", entries)
	}
}

type watchedReader struct {
	io.Reader
	onRead func()
}

func (w *watchedReader) Read(p []byte) (int, error) {
	w.onRead()
	return w.Reader.Read(p)
}

// TestImportDevisePepper: with a pepper, a bare bcrypt hash is stored
// wrapped with it and verifies with the password alone; other formats are
// stored as they are.
func TestImportDevisePepper(t *testing.T) {
	onBoth(t, func(t *testing.T, s *store.Store) {
		devise, django := loadVector(t, "devise pepper"), loadVector(t, "django argon2")
		input := line(t, map[string]any{"username": "dev", "email": "dev@example.com", "password_hash": devise.Hash}) + "\n" +
			line(t, map[string]any{"username": "django", "email": "django@example.com", "password_hash": django.Hash})
		r := runImport(t, s, input, userimport.Options{Pepper: devise.Pepper})
		if r.err != nil || r.sum.Imported != 2 {
			t.Fatalf("Import = %v, %v, problems %q", r.sum, r.err, r.problems)
		}
		dev, err := s.UserByUsername(context.Background(), "dev")
		authtest.NoError(t, err)
		if !strings.HasPrefix(dev.PasswordHash, password.PepperScheme+"$") {
			t.Errorf("stored %q, want it wrapped with the pepper", dev.PasswordHash)
		}
		if ok, err := password.Verify(devise.Password, dev.PasswordHash); !ok || err != nil {
			t.Errorf("Verify(stored) = %v, %v", ok, err)
		}
		dj, err := s.UserByUsername(context.Background(), "django")
		authtest.NoError(t, err)
		authtest.Equal(t, dj.PasswordHash, django.Hash)
	})
}

// TestImportStopsWithItsContext: a cancelled import stops and says so.
func TestImportStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	lines := make([]string, 3000)
	for i := range lines {
		lines[i] = userLine(t, fmt.Sprintf("user%04d", i))
	}
	_, err := userimport.Import(ctx, &recordingStore{}, strings.NewReader(strings.Join(lines, "\n")), userimport.Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Import with a cancelled context: %v", err)
	}
}
