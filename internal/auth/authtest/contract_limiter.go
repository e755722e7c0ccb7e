package authtest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

// TestLimiter is the contract of an auth.Limiter: a burst of perMinute
// attempts, then refusals saying how long to wait, a steady refill, keys
// independent of each other, and no overspending under concurrency.
func TestLimiter(t *testing.T, newLimiter func(t *testing.T, perMinute int) auth.Limiter) {
	ctx := context.Background()
	t.Run("BurstRefusalAndRefill", func(t *testing.T) {
		l := newLimiter(t, 6) // one attempt every 10 s, burst 6
		now := t0
		for i := range 6 {
			ok, _, err := l.Allow(ctx, "ip:a", now)
			NoError(t, err)
			if !ok {
				t.Fatalf("attempt %d of the burst refused", i+1)
			}
		}
		ok, wait, err := l.Allow(ctx, "ip:a", now)
		NoError(t, err)
		if ok || wait < 9*time.Second || wait > 10*time.Second {
			t.Fatalf("7th attempt: ok=%v wait=%v; want a refusal asking to wait about 10 s", ok, wait)
		}
		ok, _, err = l.Allow(ctx, "ip:b", now)
		NoError(t, err)
		Equal(t, ok, true) // another key has its own bucket
		ok, _, err = l.Allow(ctx, "ip:a", now.Add(10*time.Second))
		NoError(t, err)
		Equal(t, ok, true) // refilled one
		ok, _, err = l.Allow(ctx, "ip:a", now.Add(10*time.Second))
		NoError(t, err)
		Equal(t, ok, false)
	})
	t.Run("ConcurrentAttemptsDoNotOverspend", func(t *testing.T) {
		l := newLimiter(t, 5)
		var (
			wg      sync.WaitGroup
			allowed atomic.Int32
		)
		start := make(chan struct{})
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				ok, _, err := l.Allow(ctx, "ip:c", t0)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					allowed.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
		if allowed.Load() != 5 {
			t.Fatalf("%d of 20 concurrent attempts allowed with a burst of 5", allowed.Load())
		}
	})
}
