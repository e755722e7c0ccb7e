package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"
)

// scratch makes a table for the group commit's tests.
func scratch(t *testing.T, s *Store) {
	t.Helper()
	if _, err := s.w.ExecContext(context.Background(), `CREATE TABLE scratch (k INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
}

func insertScratch(k int) func(context.Context, *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO scratch (k) VALUES ($1)`, k)
		return err
	}
}

func scratchRows(t *testing.T, s *Store) map[int]bool {
	t.Helper()
	rows, err := s.r.Query(`SELECT k FROM scratch`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[int]bool{}
	for rows.Next() {
		var k int
		rows.Scan(&k)
		got[k] = true
	}
	return got
}

// TestGroupCommitSharesCommits: concurrent writes are all written, each
// answered, in fewer commits than writes; a failing write (a duplicate
// key, an error of its own after writing) is rolled back and answered
// alone, and the others of its batch commit.
func TestGroupCommitSharesCommits(t *testing.T) {
	s := openSQLite(t)
	scratch(t, s)
	if err := s.group.do(context.Background(), insertScratch(-1)); err != nil {
		t.Fatal(err)
	}
	errOwn := errors.New("this write fails after writing")
	const n = 200
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			fn := insertScratch(i)
			switch {
			case i%10 == 3: // a key taken already: refused by the database
				fn = insertScratch(-1)
			case i%10 == 7:
				fn = func(ctx context.Context, tx *sql.Tx) error {
					if err := insertScratch(i)(ctx, tx); err != nil {
						return err
					}
					return errOwn
				}
			}
			errs[i] = s.group.do(context.Background(), fn)
		})
	}
	wg.Wait()
	rows := scratchRows(t, s)
	for i := range n {
		switch {
		case i%10 == 3:
			if errs[i] == nil {
				t.Errorf("write %d of a taken key succeeded", i)
			}
		case i%10 == 7:
			if !errors.Is(errs[i], errOwn) || rows[i] {
				t.Errorf("failing write %d: %v, its row kept: %v", i, errs[i], rows[i])
			}
		default:
			if errs[i] != nil || !rows[i] {
				t.Errorf("write %d: %v, row written: %v", i, errs[i], rows[i])
			}
		}
	}
	commits, writes := s.group.commits.Load(), s.group.writes.Load()
	commits, writes = commits-1, writes-1 // the first row's
	if writes != n || commits >= n {
		t.Errorf("%d writes in %d commits: want all %d, in fewer commits", writes, commits, n)
	}
	t.Logf("%d writes in %d commits", writes, commits)
}

// TestGroupCommitCounts: Store.GroupCommits reports what the metrics
// show, the commits and the writes they held.
func TestGroupCommitCounts(t *testing.T) {
	s := openSQLite(t)
	scratch(t, s)
	before, ok := s.GroupCommits()
	if !ok {
		t.Fatal("a SQLite store says it has no group commit")
	}
	for k := range 3 {
		if err := s.group.do(context.Background(), insertScratch(k)); err != nil {
			t.Fatal(err)
		}
	}
	after, _ := s.GroupCommits()
	if after.Writes-before.Writes != 3 || after.Commits-before.Commits != 3 {
		t.Errorf("three writes one after the other: %+v, then %+v", before, after)
	}
}

// TestGroupCommitCloseFinishesTheBatch: closing waits for the batch being
// written, which commits; a write after the close is refused, not lost
// silently.
func TestGroupCommitCloseFinishesTheBatch(t *testing.T) {
	s := openSQLite(t)
	scratch(t, s)
	started, release := make(chan struct{}), make(chan struct{})
	inFlight := make(chan error, 1)
	go func() {
		inFlight <- s.group.do(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
			close(started)
			<-release
			return insertScratch(1)(ctx, tx)
		})
	}()
	<-started
	closed := make(chan struct{})
	go func() {
		s.group.close()
		close(closed)
	}()
	select {
	case <-closed:
		t.Fatal("close returned with a batch in flight")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-closed
	if err := <-inFlight; err != nil {
		t.Fatalf("the write in flight: %v", err)
	}
	if !scratchRows(t, s)[1] {
		t.Fatal("the write in flight was answered but not written")
	}
	if err := s.group.do(context.Background(), insertScratch(2)); !errors.Is(err, errClosed) {
		t.Fatalf("a write after close: %v", err)
	}
}

// TestGroupCommitSkipsAbandonedWrites: a write whose request ended while
// it waited is not written, and says why: one still queued, and one taken
// into a batch whose earlier write was still running.
func TestGroupCommitSkipsAbandonedWrites(t *testing.T) {
	s := openSQLite(t)
	scratch(t, s)
	block := func(started, release chan struct{}) func(context.Context, *sql.Tx) error {
		return func(ctx context.Context, tx *sql.Tx) error {
			close(started)
			<-release
			return nil
		}
	}
	// A batch in flight holds the loop; two writes queue behind it: one
	// that will block in turn, and one whose request then ends.
	started0, release0 := make(chan struct{}), make(chan struct{})
	go s.group.do(context.Background(), block(started0, release0))
	<-started0
	started1, release1 := make(chan struct{}), make(chan struct{})
	go s.group.do(context.Background(), block(started1, release1))
	// Blocked senders are taken in the order they came (a channel's
	// queue), so this one comes second in the batch.
	time.Sleep(20 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() { result <- s.group.do(ctx, insertScratch(5)) }()
	time.Sleep(50 * time.Millisecond) // both are waiting to be taken
	close(release0)
	<-started1 // the next batch runs, with both in it
	cancel()
	close(release1)
	if err := <-result; !errors.Is(err, context.Canceled) {
		t.Fatalf("abandoned write: %v", err)
	}
	if scratchRows(t, s)[5] {
		t.Fatal("an abandoned write was written")
	}
	if got := s.group.writes.Load(); got != 3 {
		t.Fatalf("%d writes taken into batches, want 3: the abandoned one was not in a batch when its request ended", got)
	}

	// And one abandoned while still queued is answered at once.
	started2, release2 := make(chan struct{}), make(chan struct{})
	go s.group.do(context.Background(), block(started2, release2))
	<-started2
	ctx, cancel = context.WithCancel(context.Background())
	go func() { result <- s.group.do(ctx, insertScratch(6)) }()
	cancel()
	if err := <-result; !errors.Is(err, context.Canceled) {
		t.Fatalf("write abandoned in the queue: %v", err)
	}
	close(release2)
	if scratchRows(t, s)[6] {
		t.Fatal("a write abandoned in the queue was written")
	}
}
