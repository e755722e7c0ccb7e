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
	err := env.dispatch(ctx, args)
	if errors.Is(err, errHelpShown) {
		return nil
	}
	return err
}

func (env *environment) dispatch(ctx context.Context, args []string) error {
	cmd, rest := "serve", args[1:]
	if len(rest) > 0 && isHelp(rest[0]) {
		cmd, rest = "help", rest[1:]
	} else if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		cmd, rest = rest[0], rest[1:]
	}
	// A group of subcommands answers -h with its list.
	if (cmd == "user" || cmd == "keys" || cmd == "mail") && len(rest) > 0 && isHelp(rest[0]) {
		writeUsage(env.stdout, cmd)
		return nil
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
	case "import":
		return env.importUsers(ctx, rest)
	case "mail":
		return env.mail(ctx, rest)
	case "version":
		if len(rest) == 1 && isHelp(rest[0]) {
			c, _ := findCommand("version")
			writeCommandHelp(env.stdout, c, nil, nil)
			return nil
		}
		if len(rest) > 0 {
			return usagef("version takes no arguments")
		}
		fmt.Fprintln(env.stdout, "latchkey", version)
		return nil
	case "help":
		return env.help(ctx, rest)
	}
	return usagef("unknown command %q", cmd)
}

// help lists the commands, or, given one (`latchkey help user create`),
// shows its help as `latchkey user create -h` does.
func (env *environment) help(ctx context.Context, args []string) error {
	if len(args) == 0 || (len(args) == 1 && isHelp(args[0])) {
		writeUsage(env.stdout, "")
		return nil
	}
	name := strings.Join(args, " ")
	if name == "help" {
		c, _ := findCommand("help")
		writeCommandHelp(env.stdout, c, nil, nil)
		return nil
	}
	if name == "user" || name == "keys" || name == "mail" {
		writeUsage(env.stdout, name)
		return nil
	}
	if _, ok := findCommand(name); !ok {
		return usagef("unknown command %q", name)
	}
	return env.dispatch(ctx, append(append([]string{"latchkey"}, args...), "-h"))
}

// environment is the process's outside world as run received it.
type environment struct {
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
	// listening, if set, is told serve's address once it accepts
	// connections: tests that ask for any free port learn it here.
	listening func(addr string)
	// metricsListening, if set, is told the metrics listener's address
	// (LATCHKEY_METRICS_ADDR) once it accepts connections, before
	// listening is told the server's.
	metricsListening func(addr string)
}

// flags returns a flag set for a subcommand with every setting's flag.
func (env *environment) flags(name string) (*flag.FlagSet, *config.Flags) {
	fs := flag.NewFlagSet("latchkey "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by main
	return fs, config.NewFlags(fs)
}

// parse parses args and loads the configuration. Flags may come after the
// arguments as well as before (`user delete bob --yes`), until a "--".
// Asked for help, it prints the command's usage and flags and returns
// errHelpShown.
func (env *environment) parse(fs *flag.FlagSet, cf *config.Flags, args []string) (*config.Config, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				name := strings.TrimPrefix(fs.Name(), "latchkey ")
				c, ok := findCommand(name)
				if !ok {
					c = command{name: name, args: "[flags]"}
				}
				writeCommandHelp(env.stdout, c, fs, settingFlags())
				return nil, errHelpShown
			}
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional, args = append(positional, rest[0]), rest[1:]
	}
	// Parse once more, only to leave the arguments in fs.Args.
	if err := fs.Parse(append([]string{"--"}, positional...)); err != nil {
		return nil, usagef("%s: %v", fs.Name(), err)
	}
	return config.Load(cf, env.getenv)
}

// settingFlags are the names of the flags config.NewFlags defines: help
// lists them apart from a command's own.
func settingFlags() map[string]bool {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	config.NewFlags(fs)
	names := make(map[string]bool)
	fs.VisitAll(func(f *flag.Flag) { names[f.Name] = true })
	return names
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
