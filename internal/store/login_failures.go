package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

// RecordLoginFailure implements auth.Store. Failures older than the
// throttling window can never count again, so each write also sweeps them:
// the table stays as small as the last quarter of an hour.
func (s *Store) RecordLoginFailure(ctx context.Context, key string, at time.Time) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.dialect.classify("record login failure", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE failed_at < $1`,
		at.Add(-auth.LoginFailureWindow)); err != nil {
		return s.dialect.classify("record login failure", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (key, failed_at) VALUES ($1, $2)`,
		key, at); err != nil {
		return s.dialect.classify("record login failure", err)
	}
	return s.dialect.classify("record login failure", tx.Commit())
}

// LoginFailures implements auth.Store.
func (s *Store) LoginFailures(ctx context.Context, key string, since time.Time) (int, time.Time, error) {
	var (
		n      int
		oldest sql.NullTime
	)
	// MIN over a TIMESTAMP column comes back from SQLite as text, so the
	// oldest failure is read as a row of its own.
	err := s.queryRow(ctx, `
		SELECT count(*) FROM login_failures WHERE key = $1 AND failed_at >= $2`,
		key, since).Scan(&n)
	if err != nil {
		return 0, time.Time{}, s.dialect.classify("count login failures", err)
	}
	if n == 0 {
		return 0, time.Time{}, nil
	}
	err = s.queryRow(ctx, `
		SELECT failed_at FROM login_failures WHERE key = $1 AND failed_at >= $2
		ORDER BY failed_at LIMIT 1`, key, since).Scan(&oldest)
	if err != nil {
		return 0, time.Time{}, s.dialect.classify("count login failures", err)
	}
	if !oldest.Valid {
		return 0, time.Time{}, fmt.Errorf("count login failures: null failed_at")
	}
	return n, oldest.Time.UTC(), nil
}

// ClearLoginFailures implements auth.Store.
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM login_failures WHERE key = $1`, key)
	return s.dialect.classify("clear login failures", err)
}
