package userimport

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// MaxLineBytes bounds one line. A user's line is a few hundred bytes; a
// longer one is reported as a problem and skipped without being held.
const MaxLineBytes = 64 << 10

// source is the input, readable twice.
type source struct {
	in     io.Reader
	seeker io.Seeker // nil when the input is spooled
	start  int64     // where the seeker was at first
	spool  *os.File
}

// newSource prepares in for two passes: a file (stdin redirected from one
// included) is seeked back to where it was; anything else is copied to a
// temporary file as the first pass reads it.
func newSource(in io.Reader, dir string) (*source, error) {
	if s, ok := in.(io.Seeker); ok {
		if pos, err := s.Seek(0, io.SeekCurrent); err == nil {
			return &source{in: in, seeker: s, start: pos}, nil
		}
	}
	f, err := os.CreateTemp(dir, "latchkey-import-*.jsonl") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("spool the input: %w", err)
	}
	// Unlinked at once: the copy, hashes and all, lives only as long as
	// the open file, even if the process is killed.
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("spool the input: %w", err)
	}
	return &source{in: in, spool: f}, nil
}

// first returns the input for the first pass.
func (s *source) first() io.Reader {
	if s.spool != nil {
		return io.TeeReader(s.in, s.spool)
	}
	return s.in
}

// second returns the input again, from where the first pass began.
func (s *source) second() (io.Reader, error) {
	if s.spool != nil {
		if _, err := s.spool.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("read the spooled input: %w", err)
		}
		return s.spool, nil
	}
	if _, err := s.seeker.Seek(s.start, io.SeekStart); err != nil {
		return nil, fmt.Errorf("read the input again: %w", err)
	}
	return s.in, nil
}

func (s *source) close() {
	if s.spool != nil {
		s.spool.Close()
	}
}

// eachLine calls fn with each line of r that is not blank, numbered from
// 1 (blank lines count), without its line ending. A line longer than
// MaxLineBytes is passed cut short, with long set, its rest discarded
// unread into memory. It stops at fn's first error or when ctx ends.
func eachLine(ctx context.Context, r io.Reader, fn func(n int, line []byte, long bool) error) error {
	br := bufio.NewReaderSize(r, MaxLineBytes)
	for n := 1; ; n++ {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line, err := br.ReadSlice('\n')
		long := false
		if errors.Is(err, bufio.ErrBufferFull) {
			long = true
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			line = nil
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("read line %d: %w", n, err)
		}
		if n == 1 {
			// A byte order mark, as some Windows tools write, is not
			// JSON; it says nothing either.
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 || long {
			if ferr := fn(n, trimmed, long); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// progress rewrites one line on a terminal, at most ten times a second.
// Its methods do nothing when there is no terminal.
type progress struct {
	w     io.Writer
	last  time.Time
	shown bool
}

func newProgress(w io.Writer) *progress { return &progress{w: w} }

func (p *progress) show(format string, args ...any) {
	if p.w == nil || time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "\r"+format+"\x1b[K", args...)
	p.shown = true
}

// clear erases the line, before something else is written to the terminal.
func (p *progress) clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
}

func (p *progress) done() { p.clear() }
