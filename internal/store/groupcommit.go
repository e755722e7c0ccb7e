package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// groupCommit runs short writes of concurrent requests in one
// transaction, so that they share its commit. On SQLite with
// synchronous=FULL a commit is an fsync, and the disk, not the CPU,
// bounds how many there are a second: a token refresh, one small write,
// would otherwise cost a whole one.
//
// It adds no wait of its own: a write that finds nothing committing is
// committed at once, alone; writes that arrive while a commit is in
// progress wait for it and then go together in the next. The wait is thus
// at most one commit, and the busier the server, the more writes share
// each fsync.
//
// Each write runs in a savepoint of its own, so one that fails is rolled
// back and answered alone, and the others of its batch still commit. A
// failed commit answers every write of the batch with its error: none of
// them was written. Nothing is acknowledged before its commit.
type groupCommit struct {
	w       writer
	bound   func(context.Context) (context.Context, context.CancelFunc)
	maxSize int

	queue chan *groupWrite
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once

	// commits and writes count the batches committed and the writes they
	// held: writes per commit is what the batching gains.
	commits, writes atomic.Int64
}

// groupWrite is one request's write, waiting for its batch.
type groupWrite struct {
	ctx    context.Context
	fn     func(context.Context, *sql.Tx) error
	result chan error
}

// errClosed answers writes after the store was closed.
var errClosed = errors.New("store: closed")

// groupCommitMax bounds a batch: a long one would hold the write lock
// longer than the fsync it saves is worth.
const groupCommitMax = 64

func newGroupCommit(w writer, bound func(context.Context) (context.Context, context.CancelFunc)) *groupCommit {
	g := &groupCommit{w: w, bound: bound, maxSize: groupCommitMax,
		queue: make(chan *groupWrite), stop: make(chan struct{}), done: make(chan struct{})}
	go g.loop()
	return g
}

// do runs fn in the next batch's transaction and returns its error, or
// the commit's. It returns only once the batch is committed (or fn's
// write rolled back): an answer never promises what a crash could undo.
func (g *groupCommit) do(ctx context.Context, fn func(context.Context, *sql.Tx) error) error {
	pinOf(ctx).end() // the request's later reads must see this write
	w := &groupWrite{ctx: ctx, fn: fn, result: make(chan error, 1)}
	select {
	case g.queue <- w:
	case <-ctx.Done():
		return ctx.Err()
	case <-g.stop:
		return errClosed
	}
	// Taken into a batch: its outcome is the commit's, which the batch's
	// own deadline bounds, so waiting for it is bounded too.
	return <-w.result
}

// close stops taking writes, lets the batch in progress commit, and
// returns when it has.
func (g *groupCommit) close() {
	g.once.Do(func() { close(g.stop) })
	<-g.done
}

func (g *groupCommit) loop() {
	defer close(g.done)
	batch := make([]*groupWrite, 0, g.maxSize)
	for {
		select {
		case <-g.stop:
			return
		case w := <-g.queue:
			batch = append(batch[:0], w)
		}
		// Everyone who arrived during the last commit is waiting now.
	gather:
		for len(batch) < g.maxSize {
			select {
			case w := <-g.queue:
				batch = append(batch, w)
			default:
				break gather
			}
		}
		g.commit(batch)
	}
}

// commit runs batch in one transaction and answers each write.
func (g *groupCommit) commit(batch []*groupWrite) {
	results := make([]error, len(batch))
	err := g.run(batch, results)
	if err == nil {
		g.commits.Add(1)
		g.writes.Add(int64(len(batch)))
	}
	for i, w := range batch {
		if err != nil && results[i] == nil {
			results[i] = err
		}
		w.result <- results[i]
	}
}

func (g *groupCommit) run(batch []*groupWrite, results []error) (err error) {
	ctx, cancel := g.bound(context.Background())
	defer cancel()
	defer func() {
		// The batch's deadline, not the requests', ended it: say so, so
		// that classify answers 503 as for any write that timed out.
		if cause := context.Cause(ctx); err != nil && cause != nil && !errors.Is(err, cause) {
			err = fmt.Errorf("%w: %w", err, cause)
		}
	}()
	tx, err := g.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for i, w := range batch {
		if err := w.ctx.Err(); err != nil { // its client left while it waited
			results[i] = err
			continue
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT write`); err != nil {
			return err
		}
		if results[i] = w.fn(ctx, tx); results[i] != nil {
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO write`); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `RELEASE write`); err != nil {
			return err
		}
	}
	return tx.Commit()
}
