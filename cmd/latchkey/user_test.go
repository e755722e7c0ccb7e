package main

import (
	"context"
	"net/http"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/store"

	"github.com/latchkey/latchkey/internal/mail/mailtest"
	"github.com/latchkey/latchkey/internal/store/pgtest"
)

// createUser creates NAME with NAME@example.com on the command line, with
// the flags given (--admin), and returns its id.
func createUser(t *testing.T, getenv func(string) string, name string, flags ...string) string {
	t.Helper()
	args := append([]string{"user", "create", "--email", name + "@example.com", "--username", name}, flags...)
	out, _, err := runCmd(t, getenv, testPassword+"\n", args...)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	f := strings.Fields(out) // created user ID (NAME, EMAIL)
	if len(f) < 3 {
		t.Fatalf("create %s printed %q", name, out)
	}
	return f[2]
}

// TestUserCommands: the user subcommands name a user by id, e-mail or
// username, in any case, and say what they did.
func TestUserCommands(t *testing.T) {
	getenv := testEnv(t)
	aliceID := createUser(t, getenv, "Alice")
	createUser(t, getenv, "bob")
	createUser(t, getenv, "carol")
	tests := []struct {
		name    string
		args    []string
		usage   bool     // a usage error: exit status 2
		fail    string   // other error containing this
		out     []string // stdout contains each
		notOut  string   // stdout must not contain this
		outRows int      // lines of stdout, when not 0
	}{
		{name: "disable by username", args: []string{"user", "disable", "bob"}, out: []string{"disabled", "bob@example.com"}},
		{name: "enable by username, any case", args: []string{"user", "enable", "BOB"}, out: []string{"enabled", "bob@example.com"}},
		{name: "disable by e-mail, any case", args: []string{"user", "disable", "Bob@Example.COM"}, out: []string{"disabled", "(bob, "}},
		{name: "enable by id", args: []string{"user", "enable", aliceID}, out: []string{"enabled " + aliceID}},
		{name: "disable unknown username", args: []string{"user", "disable", "dave"}, fail: `no user with id, e-mail or username "dave"`},
		{name: "list, newest first", args: []string{"user", "list"}, outRows: 4,
			out: []string{"USERNAME", "carol@example.com  user  no        no", "bob@example.com    user  no        yes"}},
		{name: "list filtered, any case", args: []string{"user", "list", "--filter", "ALI"}, outRows: 2, out: []string{aliceID, "alice@example.com"}},
		{name: "list filtered by e-mail", args: []string{"user", "list", "--filter", "bob@"}, outRows: 2, out: []string{"bob"}, notOut: "carol"},
		{name: "list limited", args: []string{"user", "list", "--limit", "1"}, outRows: 3, out: []string{"carol", "there are more"}, notOut: "bob"},
		{name: "list no match", args: []string{"user", "list", "--filter", "zed"}, out: []string{"no users"}},
		{name: "list with a bad limit", args: []string{"user", "list", "--limit", "0"}, usage: true},
		{name: "list with an argument", args: []string{"user", "list", "bob"}, usage: true},
		{name: "role admin by username", args: []string{"user", "role", "alice", "admin"}, out: []string{aliceID, "is now admin"}},
		{name: "listed as admin", args: []string{"user", "list", "--filter", "alice"}, out: []string{"alice@example.com  admin"}},
		{name: "the last admin stays one", args: []string{"user", "role", "ALICE@example.com", "user"}, fail: "last active admin"},
		{name: "nor is disabled", args: []string{"user", "disable", "alice"}, fail: "last active admin"},
		{name: "role admin by e-mail", args: []string{"user", "role", "CAROL@example.com", "admin"}, out: []string{"is now admin"}},
		{name: "role user by e-mail", args: []string{"user", "role", "ALICE@example.com", "user"}, out: []string{"is now user"}},
		{name: "the last admin is not deleted", args: []string{"user", "delete", "--yes", "carol"}, fail: "last active admin"},
		{name: "role admin again", args: []string{"user", "role", "alice", "admin"}, out: []string{"is now admin"}},
		{name: "role unknown", args: []string{"user", "role", "alice", "root"}, usage: true},
		{name: "role without one", args: []string{"user", "role", "alice"}, usage: true},
		{name: "role of nobody", args: []string{"user", "role", "nobody", "admin"}, fail: "no user"},
		{name: "delete without a terminal or --yes", args: []string{"user", "delete", "carol"}, fail: "pass --yes"},
		{name: "not deleted", args: []string{"user", "list", "--filter", "carol"}, out: []string{"carol@example.com"}},
		{name: "delete with --yes after the user", args: []string{"user", "delete", "Carol", "--yes"}, out: []string{"deleted", "carol@example.com"}},
		{name: "deleted", args: []string{"user", "list", "--filter", "carol"}, out: []string{"no users"}},
		{name: "delete again", args: []string{"user", "delete", "--yes", "carol"}, fail: "no user"},
		{name: "delete without user", args: []string{"user", "delete", "--yes"}, usage: true},
		{name: "reset-password queues", args: []string{"user", "reset-password", "alice"}, out: []string{"queued", "alice@example.com", "outbox"}},
		{name: "reset-password again at once", args: []string{"user", "reset-password", aliceID}, fail: "too recently"},
		{name: "reset-password of a disabled user", args: []string{"user", "reset-password", "bob"}, fail: "disabled"},
		{name: "reset-password of nobody", args: []string{"user", "reset-password", "nobody"}, fail: "no user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, err := runCmd(t, getenv, "", tt.args...)
			wantOutcome(t, err, tt.usage, tt.fail, out)
			for _, want := range tt.out {
				if !strings.Contains(out, want) {
					t.Errorf("stdout lacks %q:\n%s", want, out)
				}
			}
			if tt.notOut != "" && strings.Contains(out, tt.notOut) {
				t.Errorf("stdout has %q:\n%s", tt.notOut, out)
			}
			if rows := strings.Count(out, "\n"); tt.outRows != 0 && rows != tt.outRows {
				t.Errorf("stdout has %d lines, want %d:\n%s", rows, tt.outRows, out)
			}
			if errOut != "" {
				t.Errorf("wrote to stderr: %q", errOut)
			}
		})
	}
}

// TestRoleOnTheCommandLineTakesEffectAtOnce: like `user disable`, a role
// set beside a running server is what its very next request sees, though
// the server remembers the sessions it has looked up.
func TestRoleOnTheCommandLineTakesEffectAtOnce(t *testing.T) {
	getenv := testEnv(t)
	createUser(t, getenv, "alice")
	url, _ := startServer(t, getenv)
	status, tok := tokenRequest(t, url, neturl.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {testPassword}})
	if status != http.StatusOK {
		t.Fatalf("login: %d", status)
	}
	for range 3 { // looked up, then remembered
		if body := meBody(t, url, tok.AccessToken); !strings.Contains(body, `"role":"user"`) {
			t.Fatalf("/me before: %s", body)
		}
	}
	if _, _, err := runCmd(t, getenv, "", "user", "role", "ALICE", "admin"); err != nil {
		t.Fatal(err)
	}
	if body := meBody(t, url, tok.AccessToken); !strings.Contains(body, `"role":"admin"`) {
		t.Fatalf("/me right after `user role`: %s, want the admin role", body)
	}
}

// TestResetPasswordOnTheCommandLine: the link queued on the command line
// is delivered by the running server's sender.
func TestResetPasswordOnTheCommandLine(t *testing.T) {
	sink := mailtest.NewSink(t)
	getenv := testEnv(t, "LATCHKEY_SMTP_URL", sink.URL())
	createUser(t, getenv, "alice")
	startServer(t, getenv)
	out, errOut, err := runCmd(t, getenv, "", "user", "reset-password", "Alice")
	if err != nil || errOut != "" {
		t.Fatalf("reset-password: %v %q", err, errOut)
	}
	if !strings.Contains(out, "alice@example.com") {
		t.Errorf("output %q does not say to whom", out)
	}
	var m mailtest.Received
	for _, r := range sink.Wait(t, 2, mailWait) { // the verification link of user create, then the reset link
		if r.Subject == "Reset your Latchkey password" {
			m = r
		}
	}
	mailed(t, m, "alice@example.com", "Reset your Latchkey password")
	if link := m.Link(t, "/reset-password"); !strings.Contains(link, "/reset-password") {
		t.Fatalf("link %q", link)
	}
}

// TestUserCommandsOnPostgres: the operator's commands work the same on
// PostgreSQL, whose LIKE and migrations differ from SQLite's.
func TestUserCommandsOnPostgres(t *testing.T) {
	getenv := testEnv(t, "LATCHKEY_DATABASE_URL", pgtest.URL(t))
	createUser(t, getenv, "Alice")
	createUser(t, getenv, "bob_b")
	createUser(t, getenv, "bobxb")
	// The underscore is a character, not LIKE's wildcard.
	out, _, err := runCmd(t, getenv, "", "user", "list", "--filter", "b_b")
	if err != nil || strings.Count(out, "\n") != 2 || !strings.Contains(out, "bob_b  ") {
		t.Fatalf("list --filter b_b: %v\n%s", err, out)
	}
	steps := []struct {
		args []string
		out  string
	}{
		{[]string{"migrate"}, "up to date at version "},
		{[]string{"user", "list", "--filter", "ALI"}, "alice@example.com  user"},
		{[]string{"user", "role", "alice", "admin"}, "is now admin"},
		{[]string{"user", "disable", "BOB_B"}, "disabled"},
		{[]string{"user", "delete", "bobxb", "--yes"}, "deleted"},
		{[]string{"user", "reset-password", "ALICE@EXAMPLE.COM"}, "queued"},
	}
	for _, s := range steps {
		out, errOut, err := runCmd(t, getenv, "", s.args...)
		if err != nil || errOut != "" || !strings.Contains(out, s.out) {
			t.Fatalf("%q: %v %q\n%s", s.args, err, errOut, out)
		}
	}
}

// TestResetMFAOnTheCommandLine: the way back in for whoever lost both the
// phone and the recovery codes, when no other admin can help.
func TestResetMFAOnTheCommandLine(t *testing.T) {
	getenv := testEnv(t)
	id := createUser(t, getenv, "alice")
	if _, _, err := runCmd(t, getenv, "", "user", "reset-mfa", "alice"); err == nil || !strings.Contains(err.Error(), "not on") {
		t.Fatalf("reset-mfa with it off: %v", err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, getenv("LATCHKEY_DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	err = db.ApplyChange(ctx, auth.Change{UserID: id, At: now, TOTPSecret: "JBSWY3DPEHPK3PXP", EnableTOTP: true})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runCmd(t, getenv, "", "user", "reset-mfa", "ALICE")
	if err != nil || errOut != "" || !strings.Contains(out, "alice@example.com") {
		t.Fatalf("reset-mfa: %v %q %q", err, out, errOut)
	}
	if _, _, err := runCmd(t, getenv, "", "user", "reset-mfa", "nobody"); err == nil || !strings.Contains(err.Error(), "no user") {
		t.Fatalf("reset-mfa of nobody: %v", err)
	}
}
