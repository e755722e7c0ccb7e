// Package userimport brings users over from the application Latchkey
// replaces: JSON Lines, one user a line, with the password hash that stack
// wrote (the formats package password verifies), so that nobody has to
// choose a new password; the first login upgrades each hash to argon2id.
//
// An import reads its input twice, so that memory stays bounded however
// long the file is: the first pass checks every line and reports every
// problem with its line number, the second writes the good lines in
// batches. Nothing is written when a line is bad, unless the caller asks
// to skip bad lines. Input that cannot be read twice (a pipe) is copied to
// a temporary file during the first pass.
//
// It sits beside package auth, as package blog does: it uses auth's user,
// roles and identity rules, and auth knows nothing of imports.
package userimport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"golang.org/x/sync/errgroup"
)

// BatchSize is how many users go to the store at once, in one transaction:
// large enough that a million lines are a few thousand round trips, small
// enough that a batch is a few hundred kilobytes and a short lock.
const BatchSize = 500

// Store writes imported users. Package store implements it beside
// auth.Store, on the same users table; importtest holds the contract
// suite SQLite and PostgreSQL pass.
type Store interface {
	// ImportNewUsers inserts, in one transaction, each of users whose id,
	// case-folded username and email are all free, and skips the others:
	// those that collide with a stored user or with an earlier one of
	// users. It returns how many it inserted.
	ImportNewUsers(ctx context.Context, users []*auth.User) (int, error)
	// ImportTaken reports, for each of users, whether a stored user has
	// its case-folded username or its email: what ImportNewUsers would skip,
	// without writing.
	ImportTaken(ctx context.Context, users []*auth.User) ([]bool, error)
}

// Options steer an import; the zero value checks and writes, stopping at
// the first pass when any line is bad.
type Options struct {
	// Pepper, when set, is appended to each password before a bare bcrypt
	// hash of the file is checked (Devise's pepper): every such hash is
	// stored wrapped with it (see password.WithPepper).
	Pepper string
	// SkipInvalid writes the good lines even when some are bad.
	SkipInvalid bool
	// DryRun checks the lines and counts the users that exist already,
	// writing nothing.
	DryRun bool
	// Problems receives each bad line's problems, one a line, as they are
	// found; nil discards them.
	Problems io.Writer
	// Progress, when set, receives a progress line rewritten in place
	// ("\r"): a terminal's.
	Progress io.Writer
	// SpoolDir is where input that cannot be read twice is copied; ""
	// is the system's temporary directory. The copy holds password hashes:
	// it is made readable by its owner only and removed at once, so that
	// it lives only as long as the open file.
	SpoolDir string
	// Now is the clock for created_at when a line has none; nil is
	// time.Now.
	Now func() time.Time
}

// Summary counts the lines of an import. A dry run's Imported is what
// would be imported, less any duplicates within the file, which only the
// database finds, on writing.
type Summary struct {
	Imported int // users written (or, in a dry run, that would be)
	Skipped  int // users that exist already, or appear earlier in the file
	Invalid  int // lines with a problem
}

func (s Summary) String() string {
	return fmt.Sprintf("imported %d, skipped %d, invalid %d", s.Imported, s.Skipped, s.Invalid)
}

// ErrInvalidLines is returned, with nothing written, when lines are bad
// and Options.SkipInvalid is not set.
var ErrInvalidLines = errors.New("invalid lines")

// Import reads users from in and writes them to s, as the package
// documentation describes. in is read twice: seeked back to where it was
// when it can be, copied aside while first read when it cannot.
func Import(ctx context.Context, s Store, in io.Reader, o Options) (Summary, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	src, err := newSource(in, o.SpoolDir)
	if err != nil {
		return Summary{}, err
	}
	defer src.close()
	im := &importer{
		store: s,
		opts:  o,
		// One instant for the whole import, so that both passes judge a
		// created_at alike.
		parser:   parser{pepper: o.Pepper, now: o.Now().UTC()},
		progress: newProgress(o.Progress),
	}
	defer im.progress.done()

	valid, err := im.check(ctx, src.first())
	if err != nil {
		return Summary{Invalid: im.sum.Invalid}, err
	}
	if im.sum.Invalid > 0 && !o.SkipInvalid {
		// A dry run answers as the import would, so that a script can
		// check a file first.
		return im.sum, ErrInvalidLines
	}
	if o.DryRun {
		return im.sum, nil
	}
	in2, err := src.second()
	if err != nil {
		return im.sum, err
	}
	err = im.write(ctx, in2, valid)
	return im.sum, err
}

// importer is one import under way.
type importer struct {
	store    Store
	opts     Options
	parser   parser
	progress *progress
	sum      Summary
}

// check is the first pass: every line checked, every problem reported. A
// dry run also asks the database which users exist already. It returns
// how many lines are good.
func (im *importer) check(ctx context.Context, in io.Reader) (valid int, err error) {
	var dry batcher
	count := func(b []*auth.User) error { return im.countTaken(ctx, b) }
	err = eachLine(ctx, in, func(n int, line []byte, long bool) error {
		im.progress.show("checked %d lines", n)
		u, probs := im.parser.parse(n, line, long)
		if len(probs) > 0 {
			im.sum.Invalid++
			im.progress.clear()
			for _, pr := range probs {
				if im.opts.Problems != nil {
					fmt.Fprintln(im.opts.Problems, pr)
				}
			}
			return nil
		}
		valid++
		if im.opts.DryRun {
			return dry.add(u, count)
		}
		return nil
	})
	if err == nil {
		err = dry.flush(count)
	}
	return valid, err
}

// write is the second pass: the good lines again, written in batches. A
// line is parsed again rather than remembered, so that memory does not
// grow with the file; a line that has turned bad since is still never
// written. Parsing and writing overlap: one batch is filled while the
// one before is written (SQLite's commit waits for the disk), so at most
// three batches are held at once.
func (im *importer) write(ctx context.Context, in io.Reader, valid int) error {
	g, gctx := errgroup.WithContext(ctx)
	batches := make(chan []*auth.User, 1)
	g.Go(func() error {
		for b := range batches {
			n, err := im.store.ImportNewUsers(gctx, b)
			if err != nil {
				return fmt.Errorf("import users: %w", err)
			}
			im.sum.Imported += n
			im.sum.Skipped += len(b) - n
			im.progress.show("imported %d of %d users", im.sum.Imported+im.sum.Skipped, valid)
		}
		return nil
	})
	g.Go(func() error {
		defer close(batches)
		batch := make([]*auth.User, 0, BatchSize)
		send := func() error {
			select {
			case batches <- batch:
				batch = make([]*auth.User, 0, BatchSize)
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		err := eachLine(gctx, in, func(n int, line []byte, long bool) error {
			u, probs := im.parser.parse(n, line, long)
			if len(probs) > 0 {
				return nil
			}
			if batch = append(batch, u); len(batch) < BatchSize {
				return nil
			}
			return send()
		})
		if err != nil || len(batch) == 0 {
			return err
		}
		return send()
	})
	return g.Wait()
}

// countTaken counts a dry run's batch as the write would: the users that
// exist already skipped, the others imported.
func (im *importer) countTaken(ctx context.Context, b []*auth.User) error {
	taken, err := im.store.ImportTaken(ctx, b)
	if err != nil {
		return fmt.Errorf("check existing users: %w", err)
	}
	for _, t := range taken {
		if t {
			im.sum.Skipped++
		} else {
			im.sum.Imported++
		}
	}
	return nil
}

// batcher collects a dry run's users until there are BatchSize of them,
// all a dry run holds in memory besides one line.
type batcher struct{ users []*auth.User }

func (b *batcher) add(u *auth.User, flush func([]*auth.User) error) error {
	b.users = append(b.users, u)
	if len(b.users) < BatchSize {
		return nil
	}
	return b.flush(flush)
}

func (b *batcher) flush(flush func([]*auth.User) error) error {
	if len(b.users) == 0 {
		return nil
	}
	err := flush(b.users)
	clear(b.users) // let the users go before the next batch fills
	b.users = b.users[:0]
	return err
}
