package password

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// longWait never expires in a passing run; it is finite so that a broken
// pool fails the test instead of hanging it.
const longWait = 10 * time.Second

// holdSlot occupies one slot of p until the returned release is called.
func holdSlot(t *testing.T, p *Pool) (release func()) {
	t.Helper()
	inside, unblock, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- p.Do(context.Background(), func() {
			close(inside)
			<-unblock
		})
	}()
	select {
	case <-inside:
	case err := <-done:
		t.Fatalf("holding Do = %v; the pool had no free slot", err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(unblock)
			if err := <-done; err != nil {
				t.Errorf("holding Do = %v", err)
			}
		})
	}
	t.Cleanup(release)
	return release
}

func TestPoolBusyAfterMaxWait(t *testing.T) {
	const maxWait = 50 * time.Millisecond
	p := NewPool(1, maxWait)
	holdSlot(t, p)

	start := time.Now()
	ran := false
	err := p.Do(context.Background(), func() { ran = true })
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("Do on a full pool = %v, want ErrBusy", err)
	}
	if ran {
		t.Error("fn ran without a slot")
	}
	if waited := time.Since(start); waited < maxWait {
		t.Errorf("gave up after %v, before maxWait %v", waited, maxWait)
	}
}

func TestPoolZeroWaitIsBusyAtOnce(t *testing.T) {
	p := NewPool(1, 0)
	holdSlot(t, p)
	if err := p.Do(context.Background(), func() { t.Error("fn ran without a slot") }); !errors.Is(err, ErrBusy) {
		t.Fatalf("Do = %v, want ErrBusy", err)
	}
}

func TestPoolWaiterGetsFreedSlot(t *testing.T) {
	p := NewPool(1, longWait)
	release := holdSlot(t, p)
	time.AfterFunc(10*time.Millisecond, release)
	ran := false
	if err := p.Do(context.Background(), func() { ran = true }); err != nil || !ran {
		t.Fatalf("Do = %v, ran %v; want nil, true once the slot is freed", err, ran)
	}
}

func TestPoolContext(t *testing.T) {
	t.Run("cancelled while waiting", func(t *testing.T) {
		p := NewPool(1, longWait)
		holdSlot(t, p)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(10*time.Millisecond, cancel)
		err := p.Do(ctx, func() { t.Error("fn ran after cancellation") })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Do = %v, want context.Canceled", err)
		}
	})
	t.Run("deadline while waiting", func(t *testing.T) {
		p := NewPool(1, longWait)
		holdSlot(t, p)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		if err := p.Do(ctx, func() {}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Do = %v, want context.DeadlineExceeded", err)
		}
	})
	t.Run("already done with a free slot", func(t *testing.T) {
		p := NewPool(1, longWait)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := p.Do(ctx, func() { t.Error("fn ran for a finished request") }); !errors.Is(err, context.Canceled) {
			t.Fatalf("Do = %v, want context.Canceled", err)
		}
	})
}

func TestPoolReleasesSlots(t *testing.T) {
	p := NewPool(1, 0)
	for i := range 100 {
		if err := p.Do(context.Background(), func() {}); err != nil {
			t.Fatalf("call %d: Do = %v; an earlier call kept its slot", i, err)
		}
	}
	func() {
		defer func() { _ = recover() }()
		_ = p.Do(context.Background(), func() { panic("boom") })
	}()
	if err := p.Do(context.Background(), func() {}); err != nil {
		t.Fatalf("Do after a panicking fn = %v; the panic leaked the slot", err)
	}
}

func TestPoolBoundsConcurrency(t *testing.T) {
	for _, slots := range []int{1, 3, 8} {
		t.Run("", func(t *testing.T) {
			p := NewPool(slots, longWait)
			var running, peak atomic.Int32
			var wg sync.WaitGroup
			errs := make(chan error, 64)
			for range 64 {
				wg.Go(func() {
					errs <- p.Do(context.Background(), func() {
						n := running.Add(1)
						for {
							old := peak.Load()
							if n <= old || peak.CompareAndSwap(old, n) {
								break
							}
						}
						time.Sleep(time.Millisecond)
						running.Add(-1)
					})
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("Do = %v", err)
				}
			}
			if got := peak.Load(); got > int32(slots) || got < 1 {
				t.Errorf("peak concurrency %d with %d slots", got, slots)
			}
		})
	}
}

func TestNewPoolAtLeastOneSlot(t *testing.T) {
	p := NewPool(0, -time.Second)
	if err := p.Do(context.Background(), func() {}); err != nil {
		t.Fatalf("Do on NewPool(0, …) = %v, want a working one-slot pool", err)
	}
	holdSlot(t, p)
	if err := p.Do(context.Background(), func() {}); !errors.Is(err, ErrBusy) {
		t.Fatalf("second Do = %v, want ErrBusy from a one-slot pool", err)
	}
}

func TestNilPoolRunsAtOnce(t *testing.T) {
	var p *Pool
	ran := false
	if err := p.Do(context.Background(), func() { ran = true }); err != nil || !ran {
		t.Fatalf("nil Pool Do = %v, ran %v; want nil, true", err, ran)
	}
}

// TestPoolStats: the counts the metrics show follow what the pool does, a
// waiter while it waits and a refusal once it gives up.
func TestPoolStats(t *testing.T) {
	const maxWait = 50 * time.Millisecond
	p := NewPool(2, maxWait)
	if got, want := p.Stats(), (PoolStats{Slots: 2}); got != want {
		t.Fatalf("idle pool: %+v, want %+v", got, want)
	}
	holdSlot(t, p)
	holdSlot(t, p)
	if got, want := p.Stats(), (PoolStats{Slots: 2, Busy: 2}); got != want {
		t.Fatalf("full pool: %+v, want %+v", got, want)
	}

	done := make(chan error, 1)
	go func() { done <- p.Do(context.Background(), func() { t.Error("fn ran without a slot") }) }()
	deadline := time.Now().Add(longWait)
	for p.Stats().Waiting != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("a caller waiting on a full pool is not counted: %+v", p.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	if err := <-done; !errors.Is(err, ErrBusy) {
		t.Fatalf("Do = %v, want ErrBusy", err)
	}
	if got, want := p.Stats(), (PoolStats{Slots: 2, Busy: 2, Refused: 1}); got != want {
		t.Fatalf("after a refusal: %+v, want %+v", got, want)
	}

	// A pool that does not wait refuses at once, and counts it too.
	q := NewPool(1, 0)
	holdSlot(t, q)
	_ = q.Do(context.Background(), func() {})
	if got := q.Stats().Refused; got != 1 {
		t.Fatalf("refusals of a pool without a wait: %d, want 1", got)
	}
	var none *Pool
	if got := none.Stats(); got != (PoolStats{}) {
		t.Fatalf("nil pool: %+v", got)
	}
}
