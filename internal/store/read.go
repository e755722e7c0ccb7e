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
