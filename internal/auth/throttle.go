package auth

import (
	"context"
	"math"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Account throttling (DESIGN.md, "Identity rules"): after MaxLoginFailures
// failed logins for one account within LoginFailureWindow, further attempts
// are refused without computing a hash, even with the right password, until
// the oldest failure has left the window.
const (
	MaxLoginFailures   = 10
	LoginFailureWindow = 15 * time.Minute
)

// Limiter limits login and registration attempts per client IP. It is an
// interface because it has two implementations: in memory for a single
// SQLite instance, and in the database when several instances share one.
type Limiter interface {
	// Allow takes one attempt from key's budget. When the budget is spent
	// it returns false and how long until an attempt is allowed again.
	Allow(ctx context.Context, key string, now time.Time) (ok bool, retryAfter time.Duration, err error)
}

type noLimit struct{}

func (noLimit) Allow(context.Context, string, time.Time) (bool, time.Duration, error) {
	return true, 0, nil
}

// MemoryLimiter is a per-key token bucket kept in this process: perMinute
// attempts a minute with a burst of the same size. Idle buckets are dropped
// so that a scan from many addresses cannot grow it without bound.
type MemoryLimiter struct {
	perMinute int

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	last time.Time
}

// NewMemoryLimiter returns a limiter allowing perMinute attempts a minute per
// key; perMinute <= 0 allows everything.
func NewMemoryLimiter(perMinute int) *MemoryLimiter {
	return &MemoryLimiter{perMinute: perMinute, buckets: make(map[string]*bucket)}
}

// Allow implements Limiter.
func (m *MemoryLimiter) Allow(_ context.Context, key string, now time.Time) (bool, time.Duration, error) {
	if m.perMinute <= 0 {
		return true, 0, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	b := m.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Every(time.Minute/time.Duration(m.perMinute)), m.perMinute)}
		m.buckets[key] = b
	}
	b.last = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d, nil
	}
	return true, 0, nil
}

// sweep drops buckets idle for longer than it takes to refill them: such a
// bucket is full again, the same as a new one.
func (m *MemoryLimiter) sweep(now time.Time) {
	if now.Sub(m.swept) < time.Minute {
		return
	}
	m.swept = now
	for k, b := range m.buckets {
		if now.Sub(b.last) > time.Minute {
			delete(m.buckets, k)
		}
	}
}

// tooManyAttempts is the answer for a spent budget. retryAfter is rounded up
// to whole seconds, as the Retry-After header carries them.
func tooManyAttempts(retryAfter time.Duration) *Error {
	secs := max(int(math.Ceil(retryAfter.Seconds())), 1)
	return &Error{
		Code:       CodeTooManyAttempts,
		Message:    "Too many attempts; retry after " + strconv.Itoa(secs) + " s.",
		RetryAfter: time.Duration(secs) * time.Second,
	}
}

// allowIP applies the per-IP budget shared by logins and registrations.
func (s *Service) allowIP(ctx context.Context, c Client) error {
	if c.IP == "" {
		return nil
	}
	ok, wait, err := s.limiter.Allow(ctx, "ip:"+c.IP, s.now())
	if err != nil {
		return err
	}
	if !ok {
		return tooManyAttempts(wait)
	}
	return nil
}

// checkAccountThrottle refuses an attempt on an account with too many recent
// failures, before any hash is computed.
// It returns the number of recent failures, so that a success only writes
// when there is something to forget.
func (s *Service) checkAccountThrottle(ctx context.Context, key string) (int, error) {
	now := s.timestamp()
	n, oldest, err := s.store.LoginFailures(ctx, key, now.Add(-LoginFailureWindow))
	if err != nil {
		return 0, err
	}
	if n >= MaxLoginFailures {
		return n, tooManyAttempts(oldest.Add(LoginFailureWindow).Sub(now))
	}
	return n, nil
}
