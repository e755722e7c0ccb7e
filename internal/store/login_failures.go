package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ReserveLoginAttempt implements auth.Store.
//
// The count and the insert must not interleave with another reservation
// for the same key, or each would see room for itself. On SQLite the
// transaction holds the database's one write lock from its BEGIN
// (IMMEDIATE), across processes too. On PostgreSQL it first takes a
// transaction-scoped advisory lock on the key, which the next reservation
// for that key waits for until this one commits; the count is then a
// statement of its own, so that under READ COMMITTED it sees the attempt
// the previous holder committed (a statement that took the lock itself
// would count from a snapshot taken before the wait).
func (s *Store) ReserveLoginAttempt(ctx context.Context, key string, at, since time.Time, limit int) (int64, bool, time.Time, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	const op = "reserve login attempt"
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, time.Time{}, s.classify(ctx, op, err)
	}
	defer tx.Rollback()
	if s.dialect.lockKey != "" {
		if _, err := tx.ExecContext(ctx, s.dialect.lockKey, key); err != nil {
			return 0, false, time.Time{}, s.classify(ctx, op, err)
		}
	}
	var (
		id     int64
		oldest time.Time
	)
	err = tx.QueryRowContext(ctx, `
		INSERT INTO login_failures (key, failed_at)
		SELECT $1, $2 WHERE (SELECT count(*) FROM login_failures WHERE key = $1 AND failed_at >= $3) < $4
		RETURNING id`, key, at, since, limit).Scan(&id)
	ok := err == nil
	if errors.Is(err, sql.ErrNoRows) { // no room: say since when the key is full
		oldest, err = oldestLoginFailure(ctx, tx, key, since)
	}
	if err != nil {
		return 0, false, time.Time{}, s.classify(ctx, op, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, false, time.Time{}, s.classify(ctx, op, err)
	}
	return id, ok, oldest, nil
}

// ReleaseLoginAttempt implements auth.Store.
func (s *Store) ReleaseLoginAttempt(ctx context.Context, id int64) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.w.ExecContext(ctx, `DELETE FROM login_failures WHERE id = $1`, id)
	return s.classify(ctx, "release login attempt", err)
}

// LoginFailures implements auth.Store.
func (s *Store) LoginFailures(ctx context.Context, key string, since time.Time) (int, time.Time, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var n int
	err := s.queryRow(ctx, `
		SELECT count(*) FROM login_failures WHERE key = $1 AND failed_at >= $2`,
		key, since).Scan(&n)
	if err != nil {
		return 0, time.Time{}, s.classify(ctx, "count login failures", err)
	}
	if n == 0 {
		return 0, time.Time{}, nil
	}
	oldest, err := oldestLoginFailure(ctx, s.r, key, since)
	if err != nil {
		return 0, time.Time{}, s.classify(ctx, "count login failures", err)
	}
	return n, oldest, nil
}

// oldestLoginFailure returns the time of key's oldest attempt since a time.
// MIN over a TIMESTAMP column comes back from SQLite as text, so the
// oldest is read as a row of its own.
func oldestLoginFailure(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, key string, since time.Time) (time.Time, error) {
	var oldest sql.NullTime
	err := q.QueryRowContext(ctx, `
		SELECT failed_at FROM login_failures WHERE key = $1 AND failed_at >= $2
		ORDER BY failed_at LIMIT 1`, key, since).Scan(&oldest)
	if err != nil {
		return time.Time{}, err
	}
	if !oldest.Valid {
		return time.Time{}, fmt.Errorf("null failed_at")
	}
	return oldest.Time.UTC(), nil
}

// ClearLoginFailures implements auth.Store.
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.w.ExecContext(ctx, `DELETE FROM login_failures WHERE key = $1`, key)
	return s.classify(ctx, "clear login failures", err)
}
