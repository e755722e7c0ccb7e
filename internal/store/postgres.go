package store

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
)

// OpenPostgres connects to PostgreSQL, without migrating. Reads and writes
// share one pool: unlike SQLite, PostgreSQL takes concurrent writers.
func OpenPostgres(ctx context.Context, url string, o Options) (*Store, error) {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	// pgconn's parse errors may quote the URL, password included: say less.
	if _, err := pgconn.ParseConfig(url); err != nil {
		return nil, errors.New("open postgres: the database URL cannot be parsed")
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, errors.New("open postgres: the database URL cannot be parsed")
	}
	if o.MaxOpen <= 0 {
		o.MaxOpen = 20
	}
	if o.MaxIdle <= 0 {
		o.MaxIdle = o.MaxOpen
	}
	if o.MaxLife <= 0 {
		o.MaxLife = 30 * time.Minute
	}
	db.SetMaxOpenConns(o.MaxOpen)
	db.SetMaxIdleConns(o.MaxIdle)
	db.SetConnMaxLifetime(o.MaxLife)
	return &Store{w: writer{db}, r: db, sessions: &sessionCache{version: newSnapshotVersion(db, o.Timeout)}, dialect: postgresDialect, timeout: o.Timeout}, nil
}

var postgresDialect = dialect{
	name:       "postgres",
	goose:      goose.DialectPostgres,
	forUpdate:  " FOR UPDATE",
	skipLocked: " FOR UPDATE SKIP LOCKED",
	// A key with no row yet has nothing to lock FOR UPDATE, so the lock is
	// an advisory one on the key's hash; two keys sharing a hash only wait
	// for each other.
	lockKey:      `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
	insertInWith: true,
	uniqueViolation: func(err error) (string, bool) {
		var e *pgconn.PgError
		if !errors.As(err, &e) || e.Code != "23505" {
			return "", false
		}
		switch e.ConstraintName {
		case "users_username_key":
			return "username", true
		case "users_email_key":
			return "email", true
		}
		return "", true
	},
	unstorableText: func(err error) bool {
		// 22021: a byte sequence invalid in UTF-8, NUL included; 22P05:
		// a character with no equivalent in the database's encoding.
		var e *pgconn.PgError
		return errors.As(err, &e) && (e.Code == "22021" || e.Code == "22P05")
	},
	unavailable: func(err error) bool {
		var (
			pe *pgconn.PgError
			ne net.Error
		)
		if errors.As(err, &pe) {
			// Class 08: connection exceptions; 57P: the server shutting
			// down; 53: out of resources.
			return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P") || strings.HasPrefix(pe.Code, "53")
		}
		return errors.As(err, &ne) || pgconn.Timeout(err) || errors.Is(err, sql.ErrConnDone) ||
			strings.Contains(err.Error(), "failed to connect") || strings.Contains(err.Error(), "connection refused")
	},
}
