// Package store implements auth.Store and blog.Store on SQL databases:
// SQLite (embedded, the default) and PostgreSQL (for several instances
// sharing one database). The queries are written once with $N
// placeholders, which both accept; dialect.go holds the little that
// differs.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/blog"
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations
var migrations embed.FS

// Store is an auth.Store and a blog.Store over database/sql. Writes go through w and reads
// through r: on SQLite w is a single connection (SQLite has one writer; a
// pool of writers would only queue on its lock with busy errors), r a pool.
type Store struct {
	w        writer
	r        *sql.DB
	sessions *sessionCache
	dialect  dialect
	timeout  time.Duration // of one call: see bound
	migrated Migration     // by OpenWith
	stmts    sync.Map      // query → *sql.Stmt: see prepared
	// group shares commits among concurrent short writes (see write);
	// nil on PostgreSQL.
	group *groupCommit
}

var (
	_ auth.Store = (*Store)(nil)
	_ blog.Store = (*Store)(nil)
)

// Open opens the database a LATCHKEY_DATABASE_URL names (sqlite:PATH or
// postgres://…) and brings its schema up to date.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	return OpenWith(ctx, databaseURL, Options{})
}

// Options tune a store; the zero value is the defaults.
type Options struct {
	// Timeout bounds each database call (LATCHKEY_DATABASE_TIMEOUT), and
	// SQLite's wait for another process's write lock with it; default
	// DefaultTimeout. Migrate is not bounded: a migration of a large table
	// may rightly take longer.
	Timeout time.Duration
	// MaxOpen, MaxIdle and MaxLife size the PostgreSQL connection pool.
	MaxOpen int           // connections at most (default 20)
	MaxIdle int           // kept open when idle (default MaxOpen)
	MaxLife time.Duration // a connection's lifetime, so load spreads after a failover (default 30m)
	// CreateDir lets OpenSQLite create the database file's directory.
	// Without it a missing directory is an error: a mistyped path should
	// not quietly start an empty database somewhere new.
	CreateDir bool
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, databaseURL string, o Options) (*Store, error) {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	var (
		s   *Store
		err error
	)
	switch {
	case strings.HasPrefix(databaseURL, "sqlite:"):
		s, err = OpenSQLite(strings.TrimPrefix(databaseURL, "sqlite:"), o)
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		s, err = OpenPostgres(ctx, databaseURL, o)
	default:
		return nil, fmt.Errorf("open database: unsupported database URL scheme (want sqlite:PATH or postgres://…)")
	}
	if err != nil {
		return nil, err
	}
	if s.migrated, err = s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// OpenSQLite opens (creating it if needed) the SQLite database at path,
// without migrating it. Its directory must exist, unless o.CreateDir.
//
// The pragmas: WAL lets readers run beside the writer; synchronous=FULL makes
// an acknowledged write survive a power loss, not only a crash of the
// process; foreign keys are off by default in SQLite; the busy timeout makes
// a second process wait for the lock rather than fail at once, as long as
// o.Timeout and no longer (the call's context ends the wait then too).
func OpenSQLite(path string, o Options) (*Store, error) {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("open sqlite: %q: want a file path", path)
	}
	if dir := filepath.Dir(path); o.CreateDir {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
	} else if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open sqlite %s: the directory %s does not exist: create it first", path, dir)
	}
	q := url.Values{}
	busy := fmt.Sprintf("busy_timeout(%d)", max(o.Timeout.Milliseconds(), 1))
	for _, p := range []string{"journal_mode(WAL)", "foreign_keys(1)", busy, "synchronous(FULL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_time_format", "sqlite")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?"

	wq := cloneValues(q)
	wq.Set("_txlock", "immediate") // take the write lock at BEGIN: no upgrade deadlocks
	w, err := sql.Open("sqlite", dsn+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)

	rq := cloneValues(q)
	rq.Add("_pragma", "query_only(1)")
	r, err := sql.Open("sqlite", dsn+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	n := max(4, runtime.NumCPU())
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxIdleTime(0)

	v, err := sql.Open("sqlite", dsn+rq.Encode())
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}

	// Open is lazy; fail here, with the path in the message, rather than on
	// the first request.
	if err := w.Ping(); err != nil {
		w.Close()
		r.Close()
		v.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	s := &Store{w: writer{w}, r: r, sessions: &sessionCache{version: newDataVersion(v)}, dialect: sqliteDialect, timeout: o.Timeout}
	s.group = newGroupCommit(s.w, s.bound)
	return s, nil
}

func cloneValues(v url.Values) url.Values {
	c := make(url.Values, len(v))
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

// Migration says what a Migrate did, for `latchkey migrate` to tell.
type Migration struct {
	Applied int   // migrations applied
	Version int64 // the schema's version after them
}

// Migrate applies every migration not yet applied. It is safe to run on
// every start-up.
func (s *Store) Migrate(ctx context.Context) (Migration, error) {
	sub, err := fs.Sub(migrations, "migrations/"+s.dialect.name)
	if err != nil {
		return Migration{}, fmt.Errorf("migrate: %w", err)
	}
	p, err := goose.NewProvider(s.dialect.goose, s.w.db, sub)
	if err != nil {
		return Migration{}, s.classify(ctx, "migrate", err)
	}
	applied, err := p.Up(ctx)
	if err != nil {
		return Migration{}, s.classify(ctx, "migrate", err)
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return Migration{}, s.classify(ctx, "migrate", err)
	}
	return Migration{Applied: len(applied), Version: v}, nil
}

// Migrated is what the Migrate of Open (or OpenWith) did.
func (s *Store) Migrated() Migration { return s.migrated }

// writer is the handle every write goes through. A write ends the
// version pin of the request making it (see Pin), so that the request's
// later look-ups see what it wrote. It offers only the methods the writes
// use, so that no write can go around it.
type writer struct{ db *sql.DB }

func (w writer) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	pinOf(ctx).end()
	return w.db.ExecContext(ctx, query, args...)
}

func (w writer) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	pinOf(ctx).end()
	return w.db.QueryRowContext(ctx, query, args...)
}

func (w writer) BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error) {
	pinOf(ctx).end()
	return w.db.BeginTx(ctx, opts)
}

// Close closes the database, after the batch of writes in progress, if
// any, has committed.
func (s *Store) Close() error {
	if s.group != nil {
		s.group.close()
	}
	var errs []error
	s.stmts.Range(func(_, st any) bool {
		errs = append(errs, st.(*sql.Stmt).Close())
		return true
	})
	return errors.Join(append(errs, s.sessions.close(), s.r.Close(), s.w.db.Close())...)
}

// write runs fn in a write transaction bounded by the database timeout:
// on SQLite with the other short writes of its moment (see groupCommit),
// on PostgreSQL in its own, as concurrent commits there already share
// their WAL flushes. fn may run in a savepoint: it must not commit or roll
// back itself.
func (s *Store) write(ctx context.Context, op string, fn func(context.Context, *sql.Tx) error) error {
	if s.group == nil {
		return s.inTx(ctx, op, func(tx *sql.Tx) error { return fn(ctx, tx) })
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.classify(ctx, op, s.group.do(ctx, fn))
}

// Ping implements auth.Store: it reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return s.classify(ctx, "ping", err)
	}
	return nil
}
