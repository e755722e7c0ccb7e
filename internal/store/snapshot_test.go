package store

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// TestSnapshotReadsAreNeverOlderThanTheCaller: a caller that arrives while
// a snapshot query is in flight must not get that query's answer (taken
// before it arrived, it could miss a revocation committed just before),
// but the next one, which it shares with everyone else who arrived
// meanwhile.
func TestSnapshotReadsAreNeverOlderThanTheCaller(t *testing.T) {
	started := make(chan int)
	release := make(chan struct{})
	n := 0
	p := &snapshotVersion{query: func(context.Context) (string, error) {
		n++ // queries run one at a time
		started <- n
		<-release
		return strconv.Itoa(n), nil
	}}
	ctx := context.Background()
	type answer struct {
		who string
		v   string
	}
	answers := make(chan answer)
	read := func(who string) {
		go func() {
			v, err := p.read(ctx)
			if err != nil {
				t.Error(err)
			}
			answers <- answer{who, v}
		}()
	}
	waiting := func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.next != nil
	}

	// Every wait is bounded, so that a broken read fails the test rather
	// than hanging it.
	within := func(what string, c <-chan int) int {
		t.Helper()
		select {
		case v := <-c:
			return v
		case <-time.After(5 * time.Second):
			t.Fatalf("waited 5 s for %s", what)
			return 0
		}
	}
	answerWithin := func() answer {
		t.Helper()
		select {
		case a := <-answers:
			return a
		case <-time.After(5 * time.Second):
			t.Fatal("waited 5 s for an answer")
			return answer{}
		}
	}

	read("first")
	if q := within("query 1", started); q != 1 {
		t.Fatalf("query %d started, want 1", q)
	}
	read("second")
	read("third")
	for deadline := time.Now().Add(5 * time.Second); !waiting(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the later callers never queued for the next query")
		}
	}
	time.Sleep(10 * time.Millisecond) // let the third caller queue too
	release <- struct{}{}
	if a := answerWithin(); a.who != "first" || a.v != "1" {
		t.Fatalf("got %+v, want the first caller with query 1's answer", a)
	}
	if q := within("query 2", started); q != 2 {
		t.Fatalf("query %d started, want 2", q)
	}
	release <- struct{}{}
	for range 2 {
		if a := answerWithin(); a.v != "2" {
			t.Errorf("%s caller got query %s's answer, want 2: it arrived while query 1 was in flight", a.who, a.v)
		}
	}
	if n != 2 {
		t.Errorf("%d queries, want 2: the callers who waited together share one", n)
	}
}

// TestSnapshotReadLeavesWhenItsCallerDoes: a caller whose request went away
// stops waiting; the shared query still answers the others.
func TestSnapshotReadLeavesWhenItsCallerDoes(t *testing.T) {
	release := make(chan struct{})
	p := &snapshotVersion{query: func(context.Context) (string, error) {
		<-release
		return "v", nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := p.read(ctx)
		done <- err
	}()
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	close(release)
	if v, err := p.read(context.Background()); err != nil || v != "v" {
		t.Fatalf("next read: %q, %v", v, err)
	}
}
