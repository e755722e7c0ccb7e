package store

import (
	"context"
	"database/sql"
)

// queryRow and query run a read on the read pool.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) scanner {
	return s.r.QueryRowContext(ctx, query, args...)
}

func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return s.r.QueryContext(ctx, query, args...)
}

// queryList runs a read and scans every row it returns with scan: the
// loop, the close and the check of rows.Err that every list needs, written
// once. The error is the database's, for the caller to classify.
func queryList[T any](ctx context.Context, s *Store, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scan)
}

// collect scans and closes rows already asked for.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var list []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return list, rows.Err()
}

// prepared returns query prepared on the read pool, preparing it on first
// use. It is for the few reads whose parsing and planning is a large part
// of their cost and that run often: a page of the audit log (on /account),
// which SQLite would otherwise plan afresh, choosing among its indexes,
// on every call.
func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.r.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}
