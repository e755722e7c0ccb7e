package main

import (
	"errors"
	"strings"
	"testing"
)

// TestHelp: every command answers -h and --help with its usage and its
// flags, on stdout and with exit status 0, without touching the database.
func TestHelp(t *testing.T) {
	getenv := testEnv(t)
	tests := []struct {
		args []string
		want []string // stdout contains each
	}{
		{[]string{"-h"}, []string{"latchkey serve", "latchkey user list", "latchkey keys rotate"}},
		{[]string{"--help"}, []string{"latchkey user reset-password", "latchkey mail preview"}},
		{[]string{"help"}, []string{"latchkey migrate", "latchkey user role", "latchkey user delete"}},
		{[]string{"help", "user", "delete"}, []string{"Usage: latchkey user delete USER", "--yes"}},
		{[]string{"help", "help"}, []string{"Usage: latchkey help"}},
		{[]string{"serve", "-h"}, []string{"Usage: latchkey serve", "--addr", "--database-url", "LATCHKEY_ADDR"}},
		{[]string{"serve", "--help"}, []string{"Usage: latchkey serve", "--addr"}},
		{[]string{"migrate", "--help"}, []string{"Usage: latchkey migrate", "--database-url"}},
		{[]string{"config", "-h"}, []string{"Usage: latchkey config", "--env-file"}},
		{[]string{"version", "-h"}, []string{"Usage: latchkey version"}},
		{[]string{"user", "-h"}, []string{"latchkey user create", "latchkey user reset-password"}},
		{[]string{"user", "--help"}, []string{"latchkey user list"}},
		{[]string{"user", "create", "--help"}, []string{"Usage: latchkey user create", "--email", "--username", "--admin", "--database-url"}},
		{[]string{"user", "list", "-h"}, []string{"Usage: latchkey user list", "--filter TEXT", "--limit N"}},
		{[]string{"user", "disable", "-h"}, []string{"Usage: latchkey user disable USER", "a username", "--database-url"}},
		{[]string{"user", "enable", "-h"}, []string{"Usage: latchkey user enable USER", "--database-url"}},
		{[]string{"user", "role", "-h"}, []string{"Usage: latchkey user role USER admin|user", "--database-url"}},
		{[]string{"user", "delete", "-h"}, []string{"Usage: latchkey user delete USER", "--yes"}},
		{[]string{"user", "delete", "bob", "-h"}, []string{"Usage: latchkey user delete USER", "--yes"}},
		{[]string{"user", "reset-password", "-h"}, []string{"Usage: latchkey user reset-password USER", "outbox"}},
		{[]string{"import", "-h"}, []string{"Usage: latchkey import FILE|-", "--skip-invalid", "--dry-run", "--pepper-file PATH", "imported N, skipped M, invalid K", "--database-url"}},
		{[]string{"help", "import"}, []string{"Usage: latchkey import FILE|-"}},
		{[]string{"keys", "-h"}, []string{"latchkey keys rotate"}},
		{[]string{"keys", "rotate", "-h"}, []string{"Usage: latchkey keys rotate", "--database-url"}},
		{[]string{"mail", "--help"}, []string{"latchkey mail test", "latchkey mail preview"}},
		{[]string{"mail", "test", "-h"}, []string{"Usage: latchkey mail test", "--to ADDRESS", "--base-url"}},
		{[]string{"mail", "preview", "-h"}, []string{"Usage: latchkey mail preview KIND", "verify_email"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, errOut, err := runCmd(t, getenv, "", tt.args...)
			if err != nil {
				t.Fatalf("error %v, want exit status 0", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("stdout lacks %q:\n%s", want, out)
				}
			}
			if errOut != "" {
				t.Errorf("wrote to stderr: %q", errOut)
			}
		})
	}
}

// TestHelpListsEveryCommand: `latchkey help` has a line for each command
// that answers -h, and each of them shows the settings' flags.
func TestHelpListsEveryCommand(t *testing.T) {
	getenv := testEnv(t)
	list, _, err := runCmd(t, getenv, "", "help")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range commands {
		if !strings.Contains(list, "latchkey "+c.name+" ") {
			t.Errorf("help does not list %q", c.name)
		}
		if c.name == "help" || c.name == "version" {
			continue
		}
		out, _, err := runCmd(t, getenv, "", append(strings.Fields(c.name), "-h")...)
		if err != nil || !strings.Contains(out, "Usage: latchkey "+c.name+" ") || !strings.Contains(out, "--log-level") {
			t.Errorf("%s -h: %v\n%s", c.name, err, out)
		}
	}
}

// TestHelpKeepsUsageErrors: asking for help does not turn a mistake into
// a success.
func TestHelpKeepsUsageErrors(t *testing.T) {
	getenv := testEnv(t)
	for _, args := range [][]string{{"help", "frobnicate"}, {"serve", "--nope"}, {"user", "list", "--nope"}, {"frobnicate", "-h"}} {
		out, errOut, err := runCmd(t, getenv, "", args...)
		var u usageError
		if !errors.As(err, &u) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
		if out != "" || errOut != "" {
			t.Errorf("%q wrote %q and %q; the error is the one line", args, out, errOut)
		}
	}
}
