package main

import (
	"context"
	"encoding/json"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/store"
)

// importVector is a hash made by another stack's library; see
// internal/password/testdata/README.md.
type importVector struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	Hash     string `json:"hash"`
	Pepper   string `json:"pepper"`
}

func loadImportVector(t *testing.T, name string) importVector {
	t.Helper()
	data, err := os.ReadFile("../../internal/password/testdata/import_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []importVector
	if err := json.Unmarshal(data, &vs); err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no vector %q", name)
	return importVector{}
}

func importLine(t *testing.T, username, hash string) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"username": username, "email": username + "@example.com", "password_hash": hash})
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestImportedUsersLogIn: users imported from Django, passlib and Devise
// (peppered) log in over HTTP with the passwords they had, and that first
// login leaves an argon2id hash in their place, made from the NFKC form:
// from then on the full-width password and its plain form both work.
func TestImportedUsersLogIn(t *testing.T) {
	getenv := testEnv(t)
	django := loadImportVector(t, "django pbkdf2_sha256")
	fullWidth := loadImportVector(t, "django pbkdf2_sha256 full-width raw")
	passlib := loadImportVector(t, "passlib bcrypt_sha256 v2")
	devise := loadImportVector(t, "devise pepper")
	users := []struct {
		name     string
		password string
		hash     string
	}{
		{"djangouser", django.Password, django.Hash},
		{"widedjango", fullWidth.Password, fullWidth.Hash},
		{"passlibuser", passlib.Password, passlib.Hash},
		{"deviseuser", devise.Password, devise.Hash},
	}
	var file strings.Builder
	for _, u := range users {
		file.WriteString(importLine(t, u.name, u.hash))
	}
	pepper := writeFile(t, "pepper", devise.Pepper+"\n")
	out, errOut, err := runCmd(t, getenv, file.String(), "import", "-", "--pepper-file", pepper)
	if err != nil || !strings.HasSuffix(out, "imported 4, skipped 0, invalid 0\n") || errOut != "" {
		t.Fatalf("import: %v\nstdout %q\nstderr %q", err, out, errOut)
	}

	url, _ := startServer(t, getenv)
	logIn := func(name, pw string) int {
		status, _ := tokenRequest(t, url, neturl.Values{"grant_type": {"password"}, "username": {name}, "password": {pw}})
		return status
	}
	for _, u := range users {
		if got := logIn(u.name, u.password+"x"); got != http.StatusUnauthorized && got != http.StatusBadRequest {
			t.Errorf("%s with a wrong password: %d", u.name, got)
		}
		if got := logIn(u.name, u.password); got != http.StatusOK {
			t.Fatalf("%s: login answered %d", u.name, got)
		}
	}

	db, err := store.Open(context.Background(), getenv("LATCHKEY_DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, u := range users {
		got, err := db.UserByUsername(context.Background(), u.name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(got.PasswordHash, "$argon2id$v=19$m=1024,t=1,p=1$") {
			t.Errorf("%s's hash after the first login: %.30q…, want argon2id at the configured parameters", u.name, got.PasswordHash)
		}
		if got := logIn(u.name, u.password); got != http.StatusOK {
			t.Errorf("%s after the upgrade: login answered %d", u.name, got)
		}
	}
	if got := logIn("widedjango", "password123"); got != http.StatusOK {
		t.Errorf("the NFKC form of an upgraded full-width password: login answered %d", got)
	}
}

// TestImportCommand: the command's answers, exit statuses and output
// streams: problems with their line numbers and the summary on stdout,
// nothing on stderr without a terminal.
func TestImportCommand(t *testing.T) {
	getenv := testEnv(t)
	hash := loadImportVector(t, "passlib pbkdf2_sha256").Hash
	good := importLine(t, "ann", hash) + importLine(t, "ben", hash)
	bad := importLine(t, "cat", hash) + `{"username": "dora", "email": "dora@example.com"}` + "\n" + importLine(t, "eve", "md5$salt$0123")
	file := writeFile(t, "users.jsonl", good)
	tests := []struct {
		name   string
		args   []string
		stdin  string
		usage  bool
		fail   string   // an error containing this
		out    []string // stdout has each
		notOut string
	}{
		{name: "no file", args: []string{"import"}, usage: true},
		{name: "two files", args: []string{"import", file, file}, usage: true},
		{name: "unknown flag", args: []string{"import", file, "--force"}, usage: true},
		{name: "missing file", args: []string{"import", filepath.Join(t.TempDir(), "nope.jsonl")}, fail: "no such file"},
		{name: "dry run", args: []string{"import", "--dry-run", file}, out: []string{"dry run, nothing written: imported 2, skipped 0, invalid 0"}},
		{name: "file", args: []string{"import", file}, out: []string{"imported 2, skipped 0, invalid 0"}},
		{name: "again: all skipped", args: []string{"import", file}, out: []string{"imported 0, skipped 2, invalid 0"}},
		{name: "bad lines write nothing", args: []string{"import", "-"}, stdin: bad,
			fail: "2 invalid lines: nothing imported (--skip-invalid imports the others)",
			out:  []string{"line 2: password_hash: required\n", "line 3: password_hash: a format Latchkey cannot verify", "imported 0, skipped 0, invalid 2\n"}},
		{name: "bad lines in a dry run", args: []string{"import", "-", "--dry-run"}, stdin: bad, fail: "2 invalid lines",
			out: []string{"line 2: ", "dry run, nothing written: imported 1, skipped 0, invalid 2"}},
		{name: "skip invalid", args: []string{"import", "--skip-invalid", "-"}, stdin: bad,
			out: []string{"line 2: password_hash: required\n", "imported 1, skipped 0, invalid 2\n"}, notOut: "line 1:"},
		{name: "empty pepper file", args: []string{"import", file, "--pepper-file", writeFile(t, "p", "\n")}, fail: "--pepper-file: empty"},
		{name: "pepper file of two lines", args: []string{"import", file, "--pepper-file", writeFile(t, "p", "a\nb\n")}, fail: "more than one line"},
		{name: "missing pepper file", args: []string{"import", file, "--pepper-file", filepath.Join(t.TempDir(), "p")}, fail: "--pepper-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, err := runCmd(t, getenv, tt.stdin, tt.args...)
			wantOutcome(t, err, tt.usage, tt.fail, out)
			for _, want := range tt.out {
				if !strings.Contains(out, want) {
					t.Errorf("stdout lacks %q:\n%s", want, out)
				}
			}
			if tt.notOut != "" && strings.Contains(out, tt.notOut) {
				t.Errorf("stdout has %q:\n%s", tt.notOut, out)
			}
			if errOut != "" {
				t.Errorf("wrote to stderr: %q", errOut)
			}
		})
	}
}

// TestReadmeImportExample: the README's example line imports, and its
// user logs in with the password the README gives.
func TestReadmeImportExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "## Importing users")
	if !ok {
		t.Fatal("the README has no \"Importing users\" section")
	}
	_, rest, ok = strings.Cut(rest, "```json\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("no json block in \"Importing users\"")
	}
	getenv := testEnv(t)
	if out, _, err := runCmd(t, getenv, example, "import", "-"); err != nil || !strings.HasSuffix(out, "imported 1, skipped 0, invalid 0\n") {
		t.Fatalf("import of the README's example: %v\n%s", err, out)
	}
	url, _ := startServer(t, getenv)
	status, _ := tokenRequest(t, url, neturl.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"Tr0ub4dor&3"}})
	if status != http.StatusOK {
		t.Fatalf("the README's imported user: login answered %d", status)
	}
}
