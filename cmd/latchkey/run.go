package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/latchkey/latchkey/internal/config"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// usageError is a mistake on the command line: main exits with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg + " (see 'latchkey help')" }

func usagef(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

// run is the whole program. Everything it needs from the process comes in
// as arguments, so tests run it as it runs in production.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	env := &environment{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	return env.run(ctx, args)
}

func (env *environment) run(ctx context.Context, args []string) error {
	cmd, rest := "serve", args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		cmd, rest = rest[0], rest[1:]
	}
	switch cmd {
	case "serve":
		return env.serve(ctx, rest)
	case "migrate":
		return env.migrate(ctx, rest)
	case "user":
		return env.user(ctx, rest)
	case "keys":
		return env.keys(ctx, rest)
	case "config":
		return env.config(rest)
	case "mail":
		return env.mail(ctx, rest)
	case "version":
		if len(rest) > 0 {
			return usagef("version takes no arguments")
		}
		fmt.Fprintln(env.stdout, "latchkey", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(env.stdout, usage)
		return nil
	}
	return usagef("unknown command %q", cmd)
}

const usage = `Latchkey: user accounts and authentication for web apps.

Usage:
  latchkey [serve] [flags]                        run the server (default)
  latchkey migrate [flags]                        apply database migrations
  latchkey user create --email E --username U [--admin] [flags]
                                                  create a user; the password is read
                                                  from a prompt, or from stdin when it
                                                  is not a terminal
  latchkey user disable|enable ID-or-email        disable or re-enable a user (their sessions end)
  latchkey keys rotate [flags]                    new signing key; running servers use it within 60 s
  latchkey mail test --to ADDRESS [flags]         send a test message the way account mail goes
                                                  (LATCHKEY_SMTP_URL, or .eml files in LATCHKEY_MAIL_DIR)
  latchkey mail preview KIND [flags]              print a message with sample data, as MIME; KIND is
                                                  verify_email, reset_password, password_changed,
                                                  confirm_email, email_changed, login_link or test
  latchkey config [flags]                         print the effective settings
  latchkey version                                print the version

Every setting is also a flag (--addr, --database-url, …) and an environment
variable (LATCHKEY_ADDR, …); see the README for the list.
`

// environment is the process's outside world as run received it.
type environment struct {
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
	// listening, if set, is told serve's address once it accepts
	// connections: tests that ask for any free port learn it here.
	listening func(addr string)
}

// flags returns a flag set for a subcommand with every setting's flag.
func (env *environment) flags(name string) (*flag.FlagSet, *config.Flags) {
	fs := flag.NewFlagSet("latchkey "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by main
	return fs, config.NewFlags(fs)
}

// parse parses args and loads the configuration.
func (env *environment) parse(fs *flag.FlagSet, cf *config.Flags, args []string) (*config.Config, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, usagef("%s: flags are listed in the README", fs.Name())
		}
		return nil, usagef("%s: %v", fs.Name(), err)
	}
	return config.Load(cf, env.getenv)
}

func (env *environment) config(args []string) error {
	fs, cf := env.flags("config")
	cfg, err := env.parse(fs, cf, args)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("config takes no arguments")
	}
	return cfg.Write(env.stdout)
}
