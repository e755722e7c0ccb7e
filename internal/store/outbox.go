package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/outbox"
)

var _ outbox.Store = (*Store)(nil)

// emptyData is what a sent or given-up message's data becomes: still JSON,
// with nothing in it (the link's token least of all).
const emptyData = `{}`

// maxReason bounds the failure kept in last_error: a mail server's answer
// is enough to say why, and its length is not ours to choose.
const maxReason = 1000

// dueMail is the condition of a message waiting to be tried at $1; the
// partial index mail_outbox_due holds exactly these rows.
const dueMail = `sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1`

// ClaimMail implements outbox.Store. The selection and the lease are one
// statement: on SQLite the writer's lock keeps any other claim out until
// it commits; on PostgreSQL the selection locks what it picks and skips
// what another claim holds, and a row leased by a claim that committed
// after this one began is re-checked against the condition (no longer
// due) rather than taken twice.
func (s *Store) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, n int) ([]*auth.Mail, error) {
	if n <= 0 {
		return nil, nil
	}
	now = now.UTC().Truncate(time.Microsecond)
	var list []*auth.Mail
	err := s.inTx(ctx, "claim mail", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `
			WITH due AS (
				SELECT id FROM mail_outbox WHERE `+dueMail+`
				ORDER BY next_attempt_at, id LIMIT $3`+s.dialect.skipLocked+`)
			UPDATE mail_outbox SET next_attempt_at = $2, attempts = attempts + 1
			WHERE id IN (SELECT id FROM due)
			RETURNING id, kind, user_id, to_address, data, created_at, attempts`,
			now, now.Add(lease), n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				m          auth.Mail
				kind, data string
				user       sql.NullString // none for a request, resolved when sent
				d          mailData
			)
			if err := rows.Scan(&m.ID, &kind, &user, &m.To, &data, &m.CreatedAt, &m.Attempts); err != nil {
				return err
			}
			m.UserID = user.String
			if err := json.Unmarshal([]byte(data), &d); err != nil {
				return err
			}
			m.Kind, m.CreatedAt = auth.MailKind(kind), m.CreatedAt.UTC()
			m.Username, m.Token, m.Next, m.NewEmail = d.Username, d.Token, d.Next, d.NewEmail
			m.AskedBy = auth.Client{IP: d.IP, UserAgent: d.UserAgent}
			list = append(list, &m)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	// RETURNING promises no order; the leased rows now share one due time,
	// so the oldest first is by age (ids are time-ordered, for a tie).
	slices.SortFunc(list, func(a, b *auth.Mail) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return list, nil
}

// MailSent implements outbox.Store. A message sent twice (a lease that
// ran out during a slow delivery) keeps its first sent_at.
func (s *Store) MailSent(ctx context.Context, id string, at time.Time) error {
	return s.writeMail(ctx, "record mail sent", `
		UPDATE mail_outbox SET sent_at = COALESCE(sent_at, $2), data = '`+emptyData+`' WHERE id = $1`,
		id, at.UTC().Truncate(time.Microsecond))
}

// MailFailed implements outbox.Store. A message already sent (by an
// earlier attempt whose result came late) stays sent.
func (s *Store) MailFailed(ctx context.Context, id string, at time.Time, reason string, retryAt time.Time) error {
	at, reason = at.UTC().Truncate(time.Microsecond), storableReason(reason)
	if retryAt.IsZero() {
		return s.writeMail(ctx, "record mail given up", `
			UPDATE mail_outbox SET failed_at = $2, last_error = $3, data = '`+emptyData+`'
			WHERE id = $1 AND sent_at IS NULL AND failed_at IS NULL`,
			id, at, reason)
	}
	return s.writeMail(ctx, "record mail failed", `
		UPDATE mail_outbox SET last_error = $2, next_attempt_at = $3
		WHERE id = $1 AND sent_at IS NULL AND failed_at IS NULL`,
		id, reason, retryAt.UTC().Truncate(time.Microsecond))
}

// MailDue implements outbox.Store, on the read pool.
func (s *Store) MailDue(ctx context.Context, now time.Time) (bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var due bool
	err := s.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM mail_outbox WHERE `+dueMail+`)`,
		now.UTC().Truncate(time.Microsecond)).Scan(&due)
	if err != nil {
		return false, s.classify(ctx, "look for due mail", err)
	}
	return due, nil
}

// pendingMail is the condition of a message neither sent nor given up:
// the rows of the partial index mail_outbox_due, whatever their due time.
const pendingMail = `sent_at IS NULL AND failed_at IS NULL`

// MailBacklog implements outbox.Store, on the read pool. One statement
// both counts the pending messages and finds the oldest (the count is a
// window over the same rows), and reads only the rows of the partial
// index, which a working sender keeps few.
func (s *Store) MailBacklog(ctx context.Context) (outbox.Backlog, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var b outbox.Backlog
	err := s.queryRow(ctx, `SELECT created_at, COUNT(*) OVER () FROM mail_outbox WHERE `+pendingMail+`
		ORDER BY created_at LIMIT 1`).Scan(&b.Oldest, &b.Pending)
	if errors.Is(err, sql.ErrNoRows) {
		return outbox.Backlog{}, nil
	}
	if err != nil {
		return outbox.Backlog{}, s.classify(ctx, "count pending mail", err)
	}
	b.Oldest = b.Oldest.UTC()
	return b, nil
}

// writeMail runs one write to a message; none changed (the message is gone
// with its user, or purged) is no error: there is nothing left to record.
func (s *Store) writeMail(ctx context.Context, op, query string, args ...any) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.w.ExecContext(ctx, query, args...)
	return s.classify(ctx, op, err)
}

// storableReason is reason as text any database keeps, no longer than
// maxReason bytes: a mail server's answer may carry anything.
func storableReason(reason string) string {
	reason = strings.ToValidUTF8(strings.ReplaceAll(reason, "\x00", ""), "\uFFFD")
	if len(reason) <= maxReason {
		return reason
	}
	cut := maxReason
	for cut > 0 && !utf8.RuneStart(reason[cut]) {
		cut--
	}
	return reason[:cut]
}
