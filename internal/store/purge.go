package store

import (
	"context"
	"strconv"
	"time"
)

// purgeBatch bounds the rows one purge statement deletes, so that each is
// a short transaction: on SQLite every write waits for it, on PostgreSQL
// it holds row locks until it commits.
const purgeBatch = 1000

// mailKept is how long the outbox keeps a message: long after it was sent
// or given up on (its body emptied), for an operator asking whether it
// went, and long after any link in it has expired.
const mailKept = 7 * 24 * time.Hour

// rateLimitIdle is when an IPLimiter bucket may go: one untouched for a
// minute has refilled (its burst is a minute's budget), the same as none.
const rateLimitIdle = 2 * time.Minute

// Purge implements auth.Store. Each table is emptied of its dead rows a
// batch at a time, oldest first, until a batch comes back short. The batches
// of every instance take turns (an advisory lock on PostgreSQL; SQLite has
// one writer), so two instances purging at once neither deadlock on each
// other's rows nor do the work twice.
func (s *Store) Purge(ctx context.Context, now, failuresBefore, eventsBefore time.Time) (int64, error) {
	return s.purge(ctx, now, failuresBefore, eventsBefore, purgeBatch)
}

func (s *Store) purge(ctx context.Context, now, failuresBefore, eventsBefore time.Time, batch int) (int64, error) {
	var total int64
	for _, st := range purgeSteps(now, failuresBefore, eventsBefore, batch) {
		for {
			n, err := s.purgeBatch(ctx, st.query, st.before)
			total += n
			if err != nil {
				return total, s.classify(ctx, "purge", err)
			}
			if n < int64(batch) {
				break
			}
		}
	}
	return total, nil
}

// purgeStep is one purge statement, deleting up to a batch of rows older
// than before ($1).
type purgeStep struct {
	query  string
	before time.Time
}

// purgeSteps are Purge's statements, in order. A session's refresh tokens
// go with it (ON DELETE CASCADE). A used refresh token stays until it
// expires: presented again before then, it is recognised as reused and ends
// its session.
func purgeSteps(now, failuresBefore, eventsBefore time.Time, batch int) []purgeStep {
	var steps []purgeStep
	for _, t := range []struct {
		table, key, column string // delete by key the rows whose column is before
		before             time.Time
	}{
		{"sessions", "id", "expires_at", now},
		{"sessions", "id", "revoked_at", now},
		{"refresh_tokens", "id", "expires_at", now},
		{"login_failures", "id", "failed_at", failuresBefore},
		{"rate_limits", "key", "updated_at", now.Add(-rateLimitIdle)},
		{"one_time_tokens", "id", "expires_at", now},
		{"mfa_challenges", "id", "expires_at", now},
		{"mail_requests", "id", "requested_at", now.Add(-time.Hour)},
		{"mail_outbox", "id", "created_at", now.Add(-mailKept)},
		{"audit_events", "id", "at", eventsBefore},
		{"webauthn_ceremonies", "id", "expires_at", now},
	} {
		steps = append(steps, purgeStep{before: t.before,
			query: `DELETE FROM ` + t.table + ` WHERE ` + t.key + ` IN (SELECT ` + t.key + ` FROM ` + t.table +
				` WHERE ` + t.column + ` < $1 LIMIT ` + strconv.Itoa(batch) + `)`})
	}
	return steps
}

// purgeBatch runs one purge statement in a transaction of its own.
func (s *Store) purgeBatch(ctx context.Context, q string, before time.Time) (int64, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if s.dialect.lockKey != "" {
		if _, err := tx.ExecContext(ctx, s.dialect.lockKey, "purge"); err != nil {
			return 0, err
		}
	}
	res, err := tx.ExecContext(ctx, q, before)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return n, tx.Commit()
}
