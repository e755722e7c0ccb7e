package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect is what differs between the databases: the migrations' folder,
// goose's name for the database, and how errors are recognised.
type dialect struct {
	name  string
	goose goose.Dialect
	// uniqueViolation reports whether a failed write violated a unique
	// index, and which users column it guards ("username" or "email").
	uniqueViolation func(error) (column string, ok bool)
	// forUpdate locks a selected row until the transaction ends, where the
	// database needs telling (SQLite has one writer and locks at BEGIN).
	forUpdate string
	// skipLocked, after a SELECT, locks the rows it picks and passes over
	// those another transaction holds, so that concurrent claims of the
	// outbox take different messages instead of waiting for each other;
	// empty where no claim can meet another (SQLite: one writer, locked
	// at BEGIN).
	skipLocked string
	// lockKey, run first in a transaction, makes every other transaction
	// that runs it with the same $1 wait until this one has ended. It is
	// empty where write transactions are serialised already (SQLite: one
	// writer, locked at BEGIN).
	lockKey string
	// insertInWith: the database takes an INSERT inside WITH, so that two
	// dependent inserts go as one atomic statement, one round trip.
	insertInWith bool
	// unavailable reports whether err means the database cannot be used
	// right now (locked, unreachable, disk full) rather than a bug.
	unavailable func(error) bool
	// unstorableText reports whether the database refused a text value
	// (nil: it stores any bytes, as SQLite does).
	unstorableText func(error) bool
}

var sqliteDialect = dialect{
	name:  "sqlite",
	goose: goose.DialectSQLite3,
	uniqueViolation: func(err error) (string, bool) {
		var e *sqlite.Error
		if !errors.As(err, &e) || e.Code() != sqlite3.SQLITE_CONSTRAINT_UNIQUE {
			return "", false
		}
		// SQLite names an expression index ("index 'users_username_key'")
		// and a column index by its column ("users.email").
		msg := e.Error()
		switch {
		case strings.Contains(msg, "users_username_key"):
			return "username", true
		case strings.Contains(msg, "users.email"), strings.Contains(msg, "users_email_key"):
			return "email", true
		}
		return "", true
	},
	unavailable: func(err error) bool {
		var e *sqlite.Error
		if !errors.As(err, &e) {
			return false
		}
		switch e.Code() & 0xff { // the primary result code
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR,
			sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY:
			return true
		}
		return false
	},
}

// classify wraps a database error with what was being done, turning a
// unique violation into the auth conflict it means and an outage into
// auth.ErrUnavailable so that transports answer 503, not 500.
func (d dialect) classify(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, err)
	}
	if column, ok := d.uniqueViolation(err); ok {
		switch column {
		case "username":
			return auth.ErrUsernameTaken
		case "email":
			return auth.ErrEmailTaken
		}
	}
	if d.unstorableText != nil && d.unstorableText(err) {
		return fmt.Errorf("%s: %w: %w", op, auth.ErrUnstorableText, err)
	}
	if d.unavailable(err) {
		return fmt.Errorf("%s: %w: %w", op, auth.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
