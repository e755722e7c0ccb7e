package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/store"
	"golang.org/x/term"
)

func (env *environment) user(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("user needs a subcommand: create, list, disable, enable, role, delete, reset-password or reset-mfa")
	}
	switch args[0] {
	case "create":
		return env.userCreate(ctx, args[1:])
	case "list":
		return env.userList(ctx, args[1:])
	case "disable", "enable":
		return env.userSetDisabled(ctx, args[0] == "disable", args[1:])
	case "role":
		return env.userRole(ctx, args[1:])
	case "delete":
		return env.userDelete(ctx, args[1:])
	case "reset-password":
		return env.userResetPassword(ctx, args[1:])
	case "reset-mfa":
		return env.userResetMFA(ctx, args[1:])
	}
	return usagef("unknown user subcommand %q", args[0])
}

func (env *environment) userCreate(ctx context.Context, args []string) error {
	fs, cf := env.flags("user create")
	email := fs.String("email", "", "the new user's email")
	username := fs.String("username", "", "the new user's username")
	admin := fs.Bool("admin", false, "make the user an admin")
	cfg, err := env.parse(fs, cf, args)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("user create takes no arguments (the password is never one); got %q", fs.Arg(0))
	}
	if *email == "" || *username == "" {
		return usagef("user create needs --email and --username")
	}
	pw, err := env.readPassword()
	if err != nil {
		return err
	}
	db, err := openDatabase(ctx, cfg, quiet)
	if err != nil {
		return err
	}
	defer db.Close()
	role := auth.RoleUser
	if *admin {
		role = auth.RoleAdmin
	}
	u, err := newService(cfg, db, serverParts{}).Register(ctx, auth.Registration{
		Username: *username, Email: *email, Password: pw, Role: role,
	}, auth.Client{})
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(env.stdout, "created %s %s (%s, %s)\n", u.Role, u.ID, u.Username, u.Email)
	return nil
}

// userCommand parses a subcommand that names one user (and takes nargs
// arguments in all), and opens the service it works through. The caller
// closes the database.
func (env *environment) userCommand(ctx context.Context, fs *flag.FlagSet, cf *config.Flags, args []string, nargs int) (*auth.Service, *store.Store, error) {
	cfg, err := env.parse(fs, cf, args)
	if err != nil {
		return nil, nil, err
	}
	name := strings.TrimPrefix(fs.Name(), "latchkey ")
	switch c, _ := findCommand(name); {
	case nargs == 0 && fs.NArg() > 0:
		return nil, nil, usagef("%s takes no arguments; got %q", name, fs.Arg(0))
	case fs.NArg() != nargs:
		return nil, nil, usagef("%s needs %s (USER: an id, an e-mail or a username)", name, strings.TrimSuffix(c.args, " [flags]"))
	}
	db, err := openDatabase(ctx, cfg, quiet)
	if err != nil {
		return nil, nil, err
	}
	return newService(cfg, db, serverParts{}), db, nil
}

// lookupError says which user was not found, or describes another error.
func lookupError(who string, err error) error {
	if errors.Is(err, auth.ErrNotFound) {
		return fmt.Errorf("no user with id, e-mail or username %q", who)
	}
	return describe(err)
}

func (env *environment) userSetDisabled(ctx context.Context, disable bool, args []string) error {
	verb := "enable"
	if disable {
		verb = "disable"
	}
	fs, cf := env.flags("user " + verb)
	svc, db, err := env.userCommand(ctx, fs, cf, args, 1)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := svc.SetDisabled(ctx, nil, fs.Arg(0), disable)
	if err != nil {
		return lookupError(fs.Arg(0), err)
	}
	fmt.Fprintf(env.stdout, "%sd %s (%s, %s)\n", verb, u.ID, u.Username, u.Email)
	return nil
}

// defaultListLimit is how many users `user list` shows without --limit.
const defaultListLimit = 50

func (env *environment) userList(ctx context.Context, args []string) error {
	fs, cf := env.flags("user list")
	filter := fs.String("filter", "", "show only users whose username or e-mail contains `TEXT`, in any case")
	limit := fs.Int("limit", defaultListLimit, "show at most `N` users")
	svc, db, err := env.userCommand(ctx, fs, cf, args, 0)
	if err != nil {
		return err
	}
	defer db.Close()
	if *limit < 1 {
		return usagef("user list: --limit must be at least 1")
	}
	// One more than asked, to tell whether there were more.
	users, err := svc.ListUsers(ctx, *filter, *limit+1)
	if err != nil {
		return err
	}
	if len(users) == 0 {
		fmt.Fprintln(env.stdout, "no users")
		return nil
	}
	more := len(users) > *limit
	users = users[:min(len(users), *limit)]
	w := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tUSERNAME\tEMAIL\tROLE\tVERIFIED\tDISABLED\tCREATED")
	for _, u := range users {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Username, u.Email, u.Role,
			yesNo(u.EmailVerifiedAt != nil), yesNo(u.DisabledAt != nil), u.CreatedAt.UTC().Format(time.RFC3339))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if more {
		fmt.Fprintf(env.stdout, "(the newest %d; there are more: --limit N shows more, --filter TEXT fewer)\n", *limit)
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (env *environment) userRole(ctx context.Context, args []string) error {
	fs, cf := env.flags("user role")
	svc, db, err := env.userCommand(ctx, fs, cf, args, 2)
	if err != nil {
		return err
	}
	defer db.Close()
	role := auth.Role(fs.Arg(1))
	if role != auth.RoleAdmin && role != auth.RoleUser {
		return usagef("user role: the role is admin or user, not %q", fs.Arg(1))
	}
	u, err := svc.SetRole(ctx, nil, fs.Arg(0), role)
	if err != nil {
		return lookupError(fs.Arg(0), err)
	}
	fmt.Fprintf(env.stdout, "%s (%s, %s) is now %s\n", u.ID, u.Username, u.Email, u.Role)
	return nil
}

func (env *environment) userDelete(ctx context.Context, args []string) error {
	fs, cf := env.flags("user delete")
	yes := fs.Bool("yes", false, "delete without asking (needed when stdin is not a terminal)")
	svc, db, err := env.userCommand(ctx, fs, cf, args, 1)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := svc.FindUser(ctx, fs.Arg(0))
	if err != nil {
		return lookupError(fs.Arg(0), err)
	}
	if !*yes {
		f, ok := env.stdin.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return fmt.Errorf("not deleting %s (%s) without confirmation: pass --yes", u.Username, u.Email)
		}
		fmt.Fprintf(env.stderr, "Delete %s (%s) and everything they own? [y/N] ", u.Username, u.Email)
		answer, _ := bufio.NewReader(f).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(env.stdout, "not deleted")
			return nil
		}
	}
	if err := svc.DeleteUser(ctx, nil, u.ID); err != nil {
		return lookupError(fs.Arg(0), err)
	}
	fmt.Fprintf(env.stdout, "deleted %s (%s, %s)\n", u.ID, u.Username, u.Email)
	return nil
}

func (env *environment) userResetPassword(ctx context.Context, args []string) error {
	fs, cf := env.flags("user reset-password")
	svc, db, err := env.userCommand(ctx, fs, cf, args, 1)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := svc.SendPasswordReset(ctx, nil, fs.Arg(0))
	if err != nil {
		return lookupError(fs.Arg(0), err)
	}
	fmt.Fprintf(env.stdout, "queued a password reset link for %s (%s): a running server sends it at once; "+
		"if none runs, it waits in the outbox until one starts\n", u.Username, u.Email)
	return nil
}

// userResetMFA turns a user's two-step verification off: for a user who
// lost their phone and their recovery codes, the last admin among them.
func (env *environment) userResetMFA(ctx context.Context, args []string) error {
	fs, cf := env.flags("user reset-mfa")
	svc, db, err := env.userCommand(ctx, fs, cf, args, 1)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := svc.ResetMFA(ctx, nil, fs.Arg(0))
	if err != nil {
		return lookupError(fs.Arg(0), err)
	}
	fmt.Fprintf(env.stdout, "turned two-step verification off for %s (%s): the password alone logs in until they set it up again\n",
		u.Username, u.Email)
	return nil
}

// readPassword reads the new password: from a prompt without echo when
// stdin is a terminal; otherwise its first line, with an optional second
// line that must match (so `printf 'pw\npw\n' | latchkey user create …`
// works like typing it twice). Never from an argument: those are visible in
// ps and shell history.
func (env *environment) readPassword() (string, error) {
	if f, ok := env.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(env.stderr, "Password: ")
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(env.stderr, "Repeat password: ")
		second, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(first) != string(second) {
			return "", errors.New("the two passwords differ")
		}
		return string(first), nil
	}
	r := bufio.NewReader(io.LimitReader(env.stdin, 64<<10))
	first, err := readLine(r)
	if errors.Is(err, io.EOF) {
		return "", errors.New("no password on stdin: give it as the first line")
	}
	if err != nil {
		return "", err
	}
	second, err := readLine(r)
	if err == nil && second != first {
		return "", errors.New("the second line of stdin differs from the first; give the password once, or twice the same")
	}
	if first == "" {
		return "", errors.New("no password on stdin: give it as the first line")
	}
	return first, nil
}

// readLine returns one line without its ending; io.EOF when there is none.
func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		if err == io.EOF {
			return "", io.EOF
		}
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), nil
}

// describe turns a flow's error into one line for the terminal, with every
// field's problem.
func describe(err error) error {
	var e *auth.Error
	if !errors.As(err, &e) {
		return err
	}
	if len(e.Fields) == 0 {
		return errors.New(e.Message)
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return errors.New(strings.Join(parts, "; "))
}
