// Package outbox delivers the account e-mails that the flows queue in the
// database (DESIGN.md, "Account e-mails", Delivery).
//
// Why an outbox rather than sending from the request: a request never
// waits for a mail server, so an answer's status and timing cannot tell
// whether an address has an account (the request for an unknown address
// queues nothing and answers as fast); a slow or broken mail server costs
// no request anything; and a message is written in the transaction of the
// change that causes it, so a crash between the two loses neither, and a
// message queued is delivered once the process is back.
//
// A Sender polls the outbox, leases the messages that are due, delivers
// them and records each result, retrying failures with backoff (see
// RetryAfter). Several instances may run a Sender on one database: a
// lease keeps each message to one sender at a time. The guarantee is
// at-least-once, not exactly-once: a sender that dies after the mail
// server accepted a message and before recording it sent leaves it to be
// sent again once its lease ends.
package outbox

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

// Store is the outbox as the sender sees it; package store implements it,
// and outboxtest holds the contract suite it passes on both databases.
//
// A message that is gone (deleted with its user, or purged) is no error to
// MailSent and MailFailed: there is nothing left to record.
type Store interface {
	// ClaimMail leases up to n messages due at now (not sent, not given
	// up, next_attempt_at <= now), oldest due first: their next_attempt_at
	// moves to now+lease and attempts goes up by one, in one statement, so
	// that no other sender (another instance) takes them while this one
	// delivers. On PostgreSQL the selection skips rows another transaction
	// holds (FOR UPDATE SKIP LOCKED). It returns the messages, oldest
	// first, with Attempts counting this attempt.
	ClaimMail(ctx context.Context, now time.Time, lease time.Duration, n int) ([]*auth.Mail, error)
	// MailSent marks a message sent at `at` and empties its data (the
	// link's token goes with it).
	MailSent(ctx context.Context, id string, at time.Time) error
	// MailFailed records a failed attempt and why; the message is tried
	// again at retryAt, or, when retryAt is the zero time, given up
	// (failed_at = at, data emptied).
	MailFailed(ctx context.Context, id string, at time.Time, reason string, retryAt time.Time) error
	// MailDue reports whether any message is due at now: a read, so that
	// an idle sender polling twice a second never takes SQLite's write
	// lock.
	MailDue(ctx context.Context, now time.Time) (bool, error)
	// MailBacklog counts the messages neither sent nor given up, and
	// tells when the oldest of them was queued: a read, for the server's
	// metrics, so that mail piling up behind a broken mail server shows
	// before anyone complains of a missing link.
	MailBacklog(ctx context.Context) (Backlog, error)
}

// Backlog is the mail waiting in the outbox: Pending messages neither
// sent nor given up, the oldest queued at Oldest (the zero time when none
// is pending).
type Backlog struct {
	Pending int
	Oldest  time.Time
}

// Deliverer renders and sends one message: package mail's composer and
// transport, behind the interface so that the sender needs neither and its
// tests can record. A Sender calls Deliver for up to Options.Batch messages
// at once, so it must be safe for concurrent use. ctx bounds the delivery
// (Options.SendTimeout).
type Deliverer interface {
	Deliver(ctx context.Context, m *auth.Mail) error
}

// MaxAttempts is how many times a message is tried before it is given up:
// with RetryAfter's waits, 8 attempts over about an hour, more than the
// 5 attempts over 30 minutes DESIGN.md asks for, so that a mail server
// down for a restart or a short outage loses nothing.
const MaxAttempts = 8

// firstRetry is the wait after the first failed attempt; each later wait
// doubles it.
const firstRetry = 30 * time.Second

// RetryAfter returns how long to wait, after failed attempt k (1-based),
// before trying again: 30s, then doubling (1m, 2m, 4m, 8m, 16m, 32m), so
// that a mail server that is briefly down is retried soon and one that is
// down for long is not hammered. ok is false when k was the last attempt
// (MaxAttempts) and the message is to be given up.
func RetryAfter(k int) (wait time.Duration, ok bool) {
	if k >= MaxAttempts {
		return 0, false
	}
	return firstRetry << max(k-1, 0), true
}
