package auth

import (
	"context"
	"errors"
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
// AllowAttempt takes one login or registration attempt from c's per-IP
// budget, for a transport that refuses an attempt before its flow runs.
func (s *Service) AllowAttempt(ctx context.Context, c Client) error { return s.allowIP(ctx, c) }

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

// attempt is one reserved try at an account's password (see
// Store.ReserveLoginAttempt). Left alone it stays as a failure, which is
// what a wrong password is; the other outcomes give it back.
type attempt struct {
	s   *Service
	key string
	id  int64
}

// reserveAttempt takes one of key's attempts before any hash is computed,
// or refuses with the throttled answer when the account has had too many
// recently. Reserving, rather than reading the count and writing a failure
// after the hash, is what keeps simultaneous guesses from all seeing room.
func (s *Service) reserveAttempt(ctx context.Context, key string) (attempt, error) {
	now := s.timestamp()
	id, ok, oldest, err := s.store.ReserveLoginAttempt(ctx, key, now, now.Add(-LoginFailureWindow), MaxLoginFailures)
	if err != nil {
		return attempt{}, err
	}
	if !ok {
		return attempt{}, tooManyAttempts(oldest.Add(LoginFailureWindow).Sub(now))
	}
	return attempt{s: s, key: key, id: id}, nil
}

// succeeded forgets the account's attempts, this one and any still being
// checked included: the right password ends a run of mistakes.
func (a attempt) succeeded(ctx context.Context) error {
	return a.s.store.ClearLoginFailures(ctx, a.key)
}

// releaseTimeout bounds giving an attempt back after the request's own
// context has ended.
const releaseTimeout = 5 * time.Second

// release gives the attempt back when it says nothing against the
// password: no hash was computed (the pool was busy, the client went away,
// the stored hash could not be read) or the password was right. It
// returns cause, the answer for the request, joined with any failure to
// give the attempt back, which then stays as a failure: erring towards
// throttling.
//
// It runs even when the request's context has ended, since a client that
// gave up is a common reason for no hash; for a bounded time, so that a
// stuck database does not hold the request.
func (a attempt) release(ctx context.Context, cause error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if err := a.s.store.ReleaseLoginAttempt(ctx, a.id); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}
