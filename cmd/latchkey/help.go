package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// command describes one command line for its help. The flags are not
// here: help prints them from the FlagSet the command parses with, so the
// two cannot drift apart.
type command struct {
	name    string // as typed after latchkey: "user create"
	args    string // what follows the name, flags included
	summary string // one line, for `latchkey help`
	detail  string // more, for the command's own help; may be empty
}

// userArg says how a command that names a user takes it.
const userArg = "USER is an id, an e-mail address or a username (in any case)."

// commands are every command, in the order `latchkey help` lists them.
var commands = []command{
	{name: "serve", args: "[flags]", summary: "run the server (the default command)",
		detail: "Migrates the database first. Stops gracefully on SIGINT or SIGTERM."},
	{name: "migrate", args: "[flags]", summary: "apply database migrations and say what was done",
		detail: "serve migrates too; migrate runs the migrations alone."},
	{name: "config", args: "[flags]", summary: "print the effective settings, secrets masked"},
	{name: "version", summary: "print the version"},
	{name: "user create", args: "--email E --username U [--admin] [flags]", summary: "create a user",
		detail: "The password is read from a prompt, or from stdin when it is not a terminal: its first\n" +
			"line, and a second line, if present, must match it. Never from an argument."},
	{name: "user list", args: "[--filter TEXT] [--limit N] [flags]", summary: "list users, newest first",
		detail: "--filter keeps the users whose username or e-mail contains TEXT, in any case."},
	{name: "user disable", args: "USER [flags]", summary: "disable a user; their sessions end at once", detail: userArg},
	{name: "user enable", args: "USER [flags]", summary: "re-enable a disabled user", detail: userArg},
	{name: "user role", args: "USER admin|user [flags]", summary: "make a user an admin, or an ordinary user again",
		detail: userArg + "\nRunning servers see the new role on the user's next request."},
	{name: "user delete", args: "USER [--yes] [flags]", summary: "delete a user and everything they own",
		detail: userArg + "\nAsks first on a terminal; without one, --yes is required."},
	{name: "user reset-password", args: "USER [flags]", summary: "mail a user a link to choose a new password",
		detail: userArg + "\nThe mail goes through the outbox: a running server delivers it; without one it\n" +
			"waits there for the next start."},
	{name: "user reset-mfa", args: "USER [flags]", summary: "turn a user's two-step verification off",
		detail: userArg + "\nFor a user who lost both their phone and their recovery codes: the password alone\n" +
			"then logs in, until they set it up again. Recorded as the audit event mfa.reset."},
	{name: "import", args: "FILE|- [--skip-invalid] [--dry-run] [--pepper-file PATH] [flags]",
		summary: "import users from another stack: JSON Lines, one user a line",
		detail: "Each line: {\"username\", \"email\", \"password_hash\", and optionally \"email_verified\" (true or false),\n" +
			"\"role\" (user or admin), \"created_at\" (RFC 3339)}. The hash is kept as it is, in any format login\n" +
			"verifies or Django's, passlib's or Devise's, and becomes argon2id at the user's first login.\n" +
			"Every line is checked first; a bad one is reported with its number on stdout, and then nothing is\n" +
			"written unless --skip-invalid is given (exit status 1 without it). A user whose username or e-mail\n" +
			"exists already, or comes earlier in the file, is skipped and counted. The last line on stdout is\n" +
			"'imported N, skipped M, invalid K'. FILE - reads stdin, copied to an unlinked file in $TMPDIR so\n" +
			"that it can be read twice. With --pepper-file, every bare bcrypt hash (Devise's) is stored with the\n" +
			"pepper, which stays in the database until that user's first login replaces the hash."},
	{name: "keys rotate", args: "[flags]", summary: "make a new signing key, which running servers take up"},
	{name: "mail test", args: "--to ADDRESS [flags]", summary: "send a test message the way account mail goes",
		detail: "Through LATCHKEY_SMTP_URL, or as an .eml file in LATCHKEY_MAIL_DIR without it."},
	{name: "mail preview", args: "KIND [flags]", summary: "print a message with sample data, as MIME",
		detail: "KIND is verify_email, reset_password, password_changed, confirm_email, email_changed,\n" +
			"login_link or test."},
	{name: "help", args: "[COMMAND]", summary: "list the commands, or show one command's usage and flags"},
}

// findCommand returns the command named name.
func findCommand(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// errHelpShown ends a command whose help was asked for and printed: run
// returns nil for it, so the process exits 0.
var errHelpShown = errors.New("help shown")

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool { return arg == "-h" || arg == "--help" || arg == "-help" }

// writeUsage writes the list of commands, those under group ("user") only
// when group is not empty.
func writeUsage(w io.Writer, group string) {
	if group == "" {
		fmt.Fprint(w, "Latchkey: user accounts and authentication for web apps.\n\nUsage:\n")
	} else {
		fmt.Fprintf(w, "Usage:\n")
	}
	const width = 44 // of the synopsis column; a longer synopsis has its summary below
	for _, c := range commands {
		if !inGroup(c, group) {
			continue
		}
		synopsis := strings.TrimSpace("latchkey " + c.name + " " + strings.TrimSuffix(strings.TrimSuffix(c.args, "[flags]"), " "))
		if len(synopsis) > width {
			fmt.Fprintf(w, "  %s\n  %-*s  %s\n", synopsis, width, "", c.summary)
		} else {
			fmt.Fprintf(w, "  %-*s  %s\n", width, synopsis, c.summary)
		}
	}
	if group == "" || group == "user" {
		fmt.Fprintf(w, "\n%s\n", userArg)
	} else {
		fmt.Fprintln(w)
	}
	fmt.Fprint(w, "'latchkey COMMAND -h' shows a command's arguments and flags. Every setting is also a\n"+
		"flag (--addr, --database-url, …) and an environment variable (LATCHKEY_ADDR, …).\n")
}

func inGroup(c command, group string) bool {
	return group == "" || strings.HasPrefix(c.name, group+" ")
}

// writeCommandHelp writes a command's usage and every flag fs defines:
// first the command's own, then the settings (from config.NewFlags, whose
// names are in settings).
func writeCommandHelp(w io.Writer, c command, fs *flag.FlagSet, settings map[string]bool) {
	fmt.Fprintf(w, "Usage: latchkey %s %s\n\n%s.\n", c.name, c.args, upperFirst(c.summary))
	if c.detail != "" {
		fmt.Fprintf(w, "%s\n", c.detail)
	}
	if fs == nil {
		return
	}
	var own, common strings.Builder
	fs.VisitAll(func(f *flag.Flag) {
		b := &own
		if settings[f.Name] {
			b = &common
		}
		name, usage := flag.UnquoteUsage(f)
		if name != "" {
			name = " " + name
		}
		fmt.Fprintf(b, "  --%s%s\n        %s\n", f.Name, name, usage)
	})
	if own.Len() > 0 {
		fmt.Fprintf(w, "\nFlags:\n%s", own.String())
	}
	if common.Len() > 0 {
		fmt.Fprintf(w, "\nSettings (each also an environment variable, or a line of the .env file):\n%s", common.String())
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
