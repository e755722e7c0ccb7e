package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/outbox/outboxtest"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/pgtest"
)

// outboxStore is the store with a second, plain connection to its
// database, through which the suite looks at a message's row.
type outboxStore struct {
	*store.Store
	raw *sql.DB
}

func (s outboxStore) MailRow(ctx context.Context, id string) (outboxtest.Row, error) {
	var (
		r             outboxtest.Row
		sent, failed  sql.NullTime
		nextAttemptAt time.Time
	)
	err := s.raw.QueryRowContext(ctx, `SELECT data, attempts, next_attempt_at, last_error, sent_at, failed_at
		FROM mail_outbox WHERE id = $1`, id).Scan(&r.Data, &r.Attempts, &nextAttemptAt, &r.LastError, &sent, &failed)
	r.NextAttemptAt = nextAttemptAt.UTC()
	if sent.Valid {
		t := sent.Time.UTC()
		r.SentAt = &t
	}
	if failed.Valid {
		t := failed.Time.UTC()
		r.FailedAt = &t
	}
	return r, err
}

// openOutbox opens the database at url (sqlite:PATH or postgres://…)
// twice: as the store, and plainly for MailRow.
func openOutbox(t *testing.T, url string) outboxStore {
	t.Helper()
	driver, dsn := "pgx", url
	if path, ok := strings.CutPrefix(url, "sqlite:"); ok {
		driver, dsn = "sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_time_format=sqlite"
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return outboxStore{Store: openURL(t, url), raw: raw}
}

func sqliteURL(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "latchkey.db") }

func TestOutboxContract(t *testing.T) {
	for name, url := range map[string]func(testing.TB) string{"sqlite": sqliteURL, "postgres": pgtest.URL} {
		t.Run(name, func(t *testing.T) {
			outboxtest.TestStore(t, func(t *testing.T) outboxtest.Store { return openOutbox(t, url(t)) })
		})
	}
}

// TestOutboxConcurrentClaims claims through one handle and through two
// (two instances sharing the database) on each database.
func TestOutboxConcurrentClaims(t *testing.T) {
	for _, tt := range []struct {
		name    string
		url     func(t testing.TB) string
		handles int
	}{
		{"sqlite", sqliteURL, 1},
		{"sqlite/two handles", sqliteURL, 2},
		{"postgres", pgtest.URL, 1},
		{"postgres/two handles", pgtest.URL, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			outboxtest.TestConcurrentClaims(t, func(t *testing.T) (outboxtest.Store, outboxtest.Store) {
				url := tt.url(t)
				a := openOutbox(t, url)
				if tt.handles == 1 {
					return a, a
				}
				return a, openOutbox(t, url)
			})
		})
	}
}
