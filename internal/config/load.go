package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/joho/godotenv"
)

// envFileVar and envFileFlag name the .env file to read. The file is not a
// setting of Config, as nothing after loading needs it.
const (
	envFileVar     = "LATCHKEY_ENV_FILE"
	envFileFlag    = "env-file"
	defaultEnvFile = ".env"
)

// Flags holds the raw text of the configuration flags of one command line,
// made by NewFlags and read by Load.
type Flags struct {
	values  map[string]*rawValue // by setting name
	envFile rawValue
}

// rawValue is a flag.Value that only records its text, so that a bad value
// is reported by Load, by the setting's name and together with every other
// problem, rather than by the flag package one at a time.
type rawValue struct {
	text string
	set  bool
}

func (v *rawValue) String() string {
	if v == nil {
		return ""
	}
	return v.text
}

func (v *rawValue) Set(s string) error {
	v.text, v.set = s, true
	return nil
}

// NewFlags registers on fs a flag for every setting that is not a secret
// (--addr, --base-url, … : the kebab-case of the name after LATCHKEY_) and
// --env-file, and returns what Load needs to read them once fs is parsed.
// Secrets have no flag because a command line is visible to other users
// (ps, /proc). Each subcommand calls it on its own FlagSet, then adds its
// own flags.
func NewFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{values: make(map[string]*rawValue, len(settings))}
	for i := range settings {
		s := &settings[i]
		if s.secret {
			continue
		}
		v := new(rawValue)
		f.values[s.name] = v
		fs.Var(v, s.flagName(), fmt.Sprintf("%s (%s; default %s)", s.usage, s.name, s.defText))
	}
	fs.Var(&f.envFile, envFileFlag, fmt.Sprintf(
		"`file` of NAME=value lines to read settings from; an error if it is named and missing (%s; default %s)",
		envFileVar, defaultEnvFile))
	return f
}

// Load builds a Config from, highest first: the flags in f that were set on
// the command line, the environment (read through getenv), the .env file,
// and the defaults. f may be nil when a command has no flags; getenv may be
// nil for an empty environment. An empty value counts as not given, at
// every level, so it falls through to the next.
//
// The .env file is named by --env-file, else by LATCHKEY_ENV_FILE, else it
// is ".env" in the working directory, which may be missing; a file that is
// named but missing is an error. Only LATCHKEY_ variables are read from it,
// and the process environment is left alone. As in godotenv, $NAME in an
// unquoted or double-quoted value is replaced by NAME from earlier in the
// same file, so single-quote a secret that contains $.
//
// Every problem is collected, and returned together as an *Error; the
// Config is nil then. A .env file that cannot be read or parsed is
// reported alone, as the other settings are unknown without it.
// Unknown LATCHKEY_ variables are ignored.
func Load(f *Flags, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	file, problem := readEnvFile(f, getenv)
	if problem != nil {
		return nil, &Error{Problems: []Problem{*problem}}
	}

	c := new(Config)
	var problems []Problem
	bad := make(map[string]bool)
	for i := range settings {
		s := &settings[i]
		raw, from := lookup(s, f, getenv, file)
		if raw == "" {
			raw, from = s.def(c), " (the default)"
		}
		if raw == "" {
			continue
		}
		if msg := s.parse(c, raw); msg != "" {
			problems = append(problems, Problem{Setting: s.name, Message: msg + from})
			bad[s.name] = true
		}
	}
	problems = append(problems, checkTogether(c, bad)...)
	if len(problems) > 0 {
		slices.SortStableFunc(problems, func(a, b Problem) int {
			return settingIndex(a.Setting) - settingIndex(b.Setting)
		})
		return nil, &Error{Problems: problems}
	}
	return c, nil
}

// lookup returns a setting's text from the highest source that gives a
// non-empty one, and where it came from, worded for a message ("" for the
// environment, the usual place).
func lookup(s *setting, f *Flags, getenv func(string) string, file envFile) (string, string) {
	clean := strings.TrimSpace
	if s.secret {
		// A secret is its bytes as given.
		clean = func(v string) string { return v }
	}
	if f != nil && !s.secret {
		if v := f.values[s.name]; v != nil && v.set {
			if raw := clean(v.text); raw != "" {
				return raw, " (from --" + s.flagName() + ")"
			}
		}
	}
	if raw := clean(getenv(s.name)); raw != "" {
		return raw, ""
	}
	if raw := clean(file.vars[s.name]); raw != "" {
		return raw, " (from " + file.path + ")"
	}
	return "", ""
}

// envFile is what was read from the .env file; its path is kept to say
// where a bad value came from.
type envFile struct {
	path string
	vars map[string]string
}

// readEnvFile reads the .env file, or returns a problem naming
// LATCHKEY_ENV_FILE. A missing file is fine only when it was not named.
func readEnvFile(f *Flags, getenv func(string) string) (envFile, *Problem) {
	path, named := defaultEnvFile, false
	if f != nil && f.envFile.set && strings.TrimSpace(f.envFile.text) != "" {
		path, named = strings.TrimSpace(f.envFile.text), true
	} else if v := strings.TrimSpace(getenv(envFileVar)); v != "" {
		path, named = v, true
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if !named && errors.Is(err, fs.ErrNotExist) {
			return envFile{}, nil
		}
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			err = pe.Err
		}
		return envFile{}, &Problem{Setting: envFileVar, Message: fmt.Sprintf("cannot read %q: %v", path, err)}
	}
	vars, err := godotenv.Parse(bytes.NewReader(data))
	if err != nil {
		// godotenv's message quotes the text around the mistake, which
		// may be a secret, so it is not passed on.
		return envFile{}, &Problem{Setting: envFileVar, Message: fmt.Sprintf(
			"%q is not a valid env file: write one NAME=value per line, and close every quote", path)}
	}
	return envFile{path: path, vars: vars}, nil
}

// settingIndex orders problems as the settings are listed.
func settingIndex(name string) int {
	return slices.IndexFunc(settings, func(s setting) bool { return s.name == name })
}
