package config

import (
	"encoding/base64"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// load runs Load as a subcommand does: a fresh FlagSet, NewFlags, Parse.
// Unless env names an env file, an empty one is used, so that a .env in the
// working directory cannot change a test's result.
func load(t *testing.T, env map[string]string, args ...string) (*Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := NewFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	all := map[string]string{envFileVar: writeFile(t, "")}
	for k, v := range env {
		all[k] = v
	}
	return Load(f, func(k string) string { return all[k] })
}

// mustLoad is load for a configuration that must be valid.
func mustLoad(t *testing.T, env map[string]string, args ...string) *Config {
	t.Helper()
	c, err := load(t, env, args...)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

// problems returns the problems of an error that must be an *Error.
func problems(t *testing.T, err error) []Problem {
	t.Helper()
	if err == nil {
		t.Fatal("Load succeeded, want an error")
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Load error is %T (%v), want *Error", err, err)
	}
	return e.Problems
}

// writeFile writes content to a new temporary file and returns its path.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.env")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// b64 writes n bytes as standard base64, to make keys of the wrong size.
func b64(n int) string {
	return base64.StdEncoding.EncodeToString(make([]byte, n))
}
