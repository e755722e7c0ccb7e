package store

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

// IPLimiter is an auth.Limiter whose token buckets live in the database, so
// that every instance draws on the same per-IP budget: perMinute attempts a
// minute, with a burst of as many. Each attempt is one short transaction
// that locks its bucket's row (FOR UPDATE on PostgreSQL; SQLite has a
// single writer), so concurrent attempts cannot overspend it. Idle buckets,
// full again and so the same as none, are deleted by Purge.
type IPLimiter struct {
	s         *Store
	perMinute int
}

var _ auth.Limiter = (*IPLimiter)(nil)

// IPLimiter returns the database-backed limiter.
func (s *Store) IPLimiter(perMinute int) *IPLimiter {
	return &IPLimiter{s: s, perMinute: perMinute}
}

// Allow implements auth.Limiter.
func (l *IPLimiter) Allow(ctx context.Context, key string, now time.Time) (bool, time.Duration, error) {
	ctx, cancel := l.s.bound(ctx)
	defer cancel()
	if l.perMinute <= 0 {
		return true, 0, nil
	}
	now = now.UTC().Truncate(time.Microsecond)
	burst := float64(l.perMinute)
	perSecond := burst / 60
	op := "rate limit"
	tx, err := l.s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, 0, l.s.classify(ctx, op, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO rate_limits (key, tokens, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO NOTHING`, key, burst, now); err != nil {
		return false, 0, l.s.classify(ctx, op, err)
	}
	var (
		tokens  float64
		updated time.Time
	)
	if err := tx.QueryRowContext(ctx, `SELECT tokens, updated_at FROM rate_limits WHERE key = $1`+l.s.dialect.forUpdate, key).
		Scan(&tokens, &updated); err != nil {
		return false, 0, l.s.classify(ctx, op, err)
	}
	if elapsed := now.Sub(updated).Seconds(); elapsed > 0 {
		tokens = min(burst, tokens+elapsed*perSecond)
	}
	ok, wait := tokens >= 1, time.Duration(0)
	if ok {
		tokens--
	} else {
		wait = time.Duration((1 - tokens) / perSecond * float64(time.Second))
	}
	if _, err := tx.ExecContext(ctx, `UPDATE rate_limits SET tokens = $2, updated_at = $3 WHERE key = $1`,
		key, tokens, maxTime(now, updated)); err != nil {
		return false, 0, l.s.classify(ctx, op, err)
	}
	if err := tx.Commit(); err != nil {
		return false, 0, l.s.classify(ctx, op, err)
	}
	return ok, wait, nil
}

// maxTime keeps a bucket's clock from going back when instances' clocks
// differ a little.
func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
