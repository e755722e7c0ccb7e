package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/latchkey/latchkey/internal/auth"
	"golang.org/x/term"
)

func (env *environment) user(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("user needs a subcommand: create, disable or enable")
	}
	switch args[0] {
	case "create":
		return env.userCreate(ctx, args[1:])
	case "disable", "enable":
		return env.userSetDisabled(ctx, args[0] == "disable", args[1:])
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
	u, err := newService(cfg, db, nil, nil).Register(ctx, auth.Registration{
		Username: *username, Email: *email, Password: pw, Role: role,
	}, auth.Client{})
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(env.stdout, "created %s %s (%s, %s)\n", u.Role, u.ID, u.Username, u.Email)
	return nil
}

func (env *environment) userSetDisabled(ctx context.Context, disable bool, args []string) error {
	verb := "enable"
	if disable {
		verb = "disable"
	}
	fs, cf := env.flags("user " + verb)
	cfg, err := env.parse(fs, cf, args)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("user %s needs exactly one user id or email", verb)
	}
	db, err := openDatabase(ctx, cfg, quiet)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := newService(cfg, db, nil, nil).SetDisabled(ctx, fs.Arg(0), disable)
	if errors.Is(err, auth.ErrNotFound) {
		return fmt.Errorf("no user with id or email %q", fs.Arg(0))
	}
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(env.stdout, "%sd %s (%s, %s)\n", verb, u.ID, u.Username, u.Email)
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
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return errors.New(strings.Join(parts, "; "))
}
