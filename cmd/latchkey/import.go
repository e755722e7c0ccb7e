package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/latchkey/latchkey/internal/userimport"
	"golang.org/x/term"
)

// maxPepperFile bounds what is read of --pepper-file: a pepper is a line
// of text (Devise's is 128 hexadecimal digits), and only 72 bytes of it
// ever counted.
const maxPepperFile = 4 << 10

// importUsers runs `latchkey import FILE|-`. The problems of bad lines and
// the summary go to stdout, so that a report can be kept with `> file`;
// stderr has only the progress line on a terminal and, on failure, the one
// line of the error.
func (env *environment) importUsers(ctx context.Context, args []string) error {
	fs, cf := env.flags("import")
	pepperFile := fs.String("pepper-file", "", "append Devise's pepper, read from `PATH` (its first line), to the password of each bare bcrypt hash")
	skipInvalid := fs.Bool("skip-invalid", false, "write the good lines even when some are bad (which are listed; exit status 0)")
	dryRun := fs.Bool("dry-run", false, "check every line and count the users that exist already; write nothing")
	cfg, err := env.parse(fs, cf, args)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("import needs one FILE, or - for stdin")
	}
	var pepper string
	if *pepperFile != "" {
		if pepper, err = readPepper(*pepperFile); err != nil {
			return err
		}
	}
	var in io.Reader = env.stdin
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		in = f
	}
	db, err := openDatabase(ctx, cfg, quiet)
	if err != nil {
		return err
	}
	defer db.Close()

	o := userimport.Options{
		Pepper:      pepper,
		SkipInvalid: *skipInvalid,
		DryRun:      *dryRun,
		Problems:    env.stdout,
		SpoolDir:    env.getenv("TMPDIR"),
	}
	if f, ok := env.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		o.Progress = f
	}
	sum, err := userimport.Import(ctx, db, in, o)
	if *dryRun {
		fmt.Fprintf(env.stdout, "dry run, nothing written: %s\n", sum)
	} else {
		fmt.Fprintln(env.stdout, sum)
	}
	switch {
	case errors.Is(err, userimport.ErrInvalidLines) && *dryRun:
		return fmt.Errorf("%d invalid lines (--skip-invalid would import the others)", sum.Invalid)
	case errors.Is(err, userimport.ErrInvalidLines):
		return fmt.Errorf("%d invalid lines: nothing imported (--skip-invalid imports the others)", sum.Invalid)
	case err != nil && sum.Imported > 0:
		return fmt.Errorf("import stopped after %d users were written (running it again skips them): %w", sum.Imported, err)
	}
	return err
}

// readPepper reads a pepper file: its first line, without the line ending
// an editor or `echo` adds. The rest of the line is the pepper exactly,
// spaces included.
func readPepper(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("--pepper-file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPepperFile+1))
	if err != nil {
		return "", fmt.Errorf("--pepper-file: %w", err)
	}
	if len(b) > maxPepperFile {
		return "", fmt.Errorf("--pepper-file: longer than %d bytes; a pepper is one line", maxPepperFile)
	}
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		if len(bytes.TrimSpace(b[i:])) > 0 {
			return "", errors.New("--pepper-file: more than one line; a pepper is one line")
		}
		b = b[:i]
	}
	b = bytes.TrimSuffix(b, []byte("\r"))
	switch {
	case len(b) == 0:
		return "", errors.New("--pepper-file: empty")
	case bytes.IndexByte(b, 0) >= 0:
		return "", errors.New("--pepper-file: holds a NUL byte, which bcrypt never read past")
	}
	return string(b), nil
}
