package password

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// ErrBusy is returned when no hashing slot frees up within the pool's wait.
// Transports answer it with 503 and Retry-After: telling a client to come
// back is better than queueing it without limit.
var ErrBusy = errors.New("password hashing is busy")

// Pool bounds how many hashes run at once (each argon2id hash holds m KiB),
// with a time-limited wait, so a login flood cannot exhaust memory or starve
// the other endpoints. A nil *Pool runs every fn at once, without a bound,
// for one-shot tools such as the command line.
type Pool struct {
	slots   chan struct{}
	maxWait time.Duration
	waiting atomic.Int64  // callers parked for a slot now
	refused atomic.Uint64 // ErrBusy answers so far
}

// PoolStats is what a pool is doing, for the server's metrics: whether
// logins queue for the hashing slots, and how many were turned away, is
// what tells an operator that LATCHKEY_HASH_CONCURRENCY or the machine is
// too small.
type PoolStats struct {
	Slots   int    // the pool's size
	Busy    int    // slots computing a hash now
	Waiting int    // callers waiting for a slot now
	Refused uint64 // callers answered ErrBusy since the pool was made
}

// Stats returns the pool's counts at this moment; the zero PoolStats for
// a nil pool. It takes no lock, so a scrape never slows a login.
func (p *Pool) Stats() PoolStats {
	if p == nil {
		return PoolStats{}
	}
	return PoolStats{
		Slots:   cap(p.slots),
		Busy:    len(p.slots),
		Waiting: int(p.waiting.Load()),
		Refused: p.refused.Load(),
	}
}

// NewPool returns a pool of slots hashes at a time (at least one) whose
// callers wait at most maxWait for a slot. A maxWait of zero or less means
// no waiting at all: a full pool answers ErrBusy at once.
func NewPool(slots int, maxWait time.Duration) *Pool {
	return &Pool{slots: make(chan struct{}, max(slots, 1)), maxWait: max(maxWait, 0)}
}

// Do runs fn in a slot and returns nil once fn has returned. It returns
// ErrBusy if no slot frees up within the pool's wait, and ctx.Err() if ctx
// ends first (fn is then not run). Waiters park on the channel, not in
// goroutines of their own, so a flood costs one timer per waiter.
func (p *Pool) Do(ctx context.Context, fn func()) error {
	if p == nil {
		fn()
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if !p.acquireNow() {
		if err := p.acquireWithin(ctx); err != nil {
			return err
		}
	}
	// Released by defer so that a panicking fn does not leak its slot.
	defer func() { <-p.slots }()
	if err := ctx.Err(); err != nil { // the client left while it waited
		return err
	}
	fn()
	return nil
}

// acquireNow is the fast path: no timer when a slot is free.
func (p *Pool) acquireNow() bool {
	select {
	case p.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

func (p *Pool) acquireWithin(ctx context.Context) error {
	if p.maxWait == 0 {
		p.refused.Add(1)
		return ErrBusy
	}
	p.waiting.Add(1)
	defer p.waiting.Add(-1)
	timer := time.NewTimer(p.maxWait)
	defer timer.Stop()
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-timer.C:
		p.refused.Add(1)
		return ErrBusy
	case <-ctx.Done():
		return ctx.Err()
	}
}
