package store

import (
	"context"
	"database/sql"
	"sync"
)

// readStmts caches prepared read statements by their text. Parsing and
// planning a query costs more than running it on an indexed look-up (a
// profile of GET /api/users/me showed a quarter of the request in
// sqlite3_prepare), and every read query here is a constant string.
type readStmts struct {
	db *sql.DB
	mu sync.Map // query text -> *sql.Stmt
}

func (p *readStmts) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := p.mu.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := p.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := p.mu.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// queryRow runs a read through a prepared statement. A failure to prepare
// surfaces from Scan, as with sql.DB.QueryRowContext.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) scanner {
	st, err := s.reads.stmt(ctx, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.reads.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
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

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

func (p *readStmts) close() {
	p.mu.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
}
