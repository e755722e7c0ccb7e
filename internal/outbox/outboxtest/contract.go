// Package outboxtest is the contract suite every outbox.Store must pass,
// run against SQLite and PostgreSQL by package store's tests.
package outboxtest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/outbox"
)

// Store is what the suite needs: the outbox, the accounts whose mail it
// holds (a message is queued with the change that causes it, and goes with
// its user), and a look at a message's row as stored, for what the
// interface does not show (that a sent message's token is gone).
type Store interface {
	outbox.Store
	CreateUser(ctx context.Context, u *auth.User, letters []auth.Letter, events ...auth.Event) error
	DeleteUser(ctx context.Context, userID string, events ...auth.Event) error
	MailRow(ctx context.Context, id string) (Row, error)
}

// Row is a message's row in mail_outbox, as the database has it.
type Row struct {
	Data          string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	SentAt        *time.Time
	FailedAt      *time.Time
}

// TestStore runs the contract every outbox.Store must satisfy. open returns
// a fresh, migrated, empty store for each call.
func TestStore(t *testing.T, open func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"ClaimDueOldestFirst", testClaimDueOldestFirst},
		{"Lease", testLease},
		{"Sent", testSent},
		{"FailedAndRetried", testFailedAndRetried},
		{"GivenUp", testGivenUp},
		{"UnstorableReason", testUnstorableReason},
		{"Due", testDue},
		{"UserDeleted", testUserDeleted},
		{"Backlog", testBacklog},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)

const lease = 2 * time.Minute

// queue stores u (with a fresh name) and a message to it for each time in
// created (due at once, as every flow queues them), returning the messages.
func queue(t *testing.T, s Store, name string, created ...time.Time) (*auth.User, []*auth.Mail) {
	t.Helper()
	u := authtest.NewUser(name, name+"@example.com", t0)
	var (
		letters []auth.Letter
		mail    []*auth.Mail
	)
	for i, at := range created {
		m := &auth.Mail{
			ID: uuid.Must(uuid.NewV7()).String(), Kind: auth.MailResetPassword, UserID: u.ID, To: u.Email,
			Username: u.Username, Token: fmt.Sprintf("token-%s-%d", name, i), Next: "/account", NewEmail: "new@example.com",
			CreatedAt: at,
		}
		letters, mail = append(letters, auth.Letter{Mail: m}), append(mail, m)
	}
	authtest.NoError(t, s.CreateUser(context.Background(), u, letters))
	return u, mail
}

func claim(t *testing.T, s Store, now time.Time, n int) []*auth.Mail {
	t.Helper()
	got, err := s.ClaimMail(context.Background(), now, lease, n)
	authtest.NoError(t, err)
	return got
}

func ids(ms []*auth.Mail) string {
	var b []string
	for _, m := range ms {
		b = append(b, m.ID)
	}
	return strings.Join(b, ",")
}

func row(t *testing.T, s Store, id string) Row {
	t.Helper()
	r, err := s.MailRow(context.Background(), id)
	authtest.NoError(t, err)
	return r
}

func due(t *testing.T, s Store, now time.Time) bool {
	t.Helper()
	d, err := s.MailDue(context.Background(), now)
	authtest.NoError(t, err)
	return d
}

func testClaimDueOldestFirst(t *testing.T, s Store) {
	_, m := queue(t, s, "ann", t0.Add(-3*time.Minute), t0.Add(-time.Minute), t0.Add(-2*time.Minute), t0.Add(time.Second))
	if got := claim(t, s, t0, 0); len(got) != 0 {
		t.Fatalf("a claim of none took %d", len(got))
	}
	got := claim(t, s, t0, 2)
	authtest.Equal(t, ids(got), ids([]*auth.Mail{m[0], m[2]}))
	// Everything the template needs comes back, and the count of attempts
	// includes this one.
	want := *m[0]
	want.Attempts = 1
	authtest.Equal(t, *got[0], want)
	// The third is due, the fourth not until a second from now.
	authtest.Equal(t, ids(claim(t, s, t0, 10)), m[1].ID)
	authtest.Equal(t, len(claim(t, s, t0, 10)), 0)
	authtest.Equal(t, ids(claim(t, s, t0.Add(time.Second), 10)), m[3].ID)
}

func testLease(t *testing.T, s Store) {
	_, m := queue(t, s, "ben", t0)
	authtest.Equal(t, ids(claim(t, s, t0, 10)), m[0].ID)
	r := row(t, s, m[0].ID)
	authtest.Equal(t, r.Attempts, 1)
	authtest.Equal(t, r.NextAttemptAt, t0.Add(lease))
	// No other sender takes it while the lease lasts...
	authtest.Equal(t, len(claim(t, s, t0.Add(lease-time.Microsecond), 10)), 0)
	authtest.Equal(t, due(t, s, t0.Add(lease-time.Microsecond)), false)
	// ...and once it has run out (the sender died), the next one does.
	got := claim(t, s, t0.Add(lease), 10)
	authtest.Equal(t, ids(got), m[0].ID)
	authtest.Equal(t, got[0].Attempts, 2)
	authtest.Equal(t, got[0].Token, m[0].Token)
}

func testSent(t *testing.T, s Store) {
	ctx := context.Background()
	_, m := queue(t, s, "cat", t0, t0)
	claim(t, s, t0, 10)
	at := t0.Add(time.Second)
	authtest.NoError(t, s.MailSent(ctx, m[0].ID, at))
	r := row(t, s, m[0].ID)
	if r.SentAt == nil || !r.SentAt.Equal(at) || r.FailedAt != nil {
		t.Fatalf("sent %v, failed %v; want sent at %v", r.SentAt, r.FailedAt, at)
	}
	if strings.Contains(r.Data, m[0].Token) || strings.Contains(r.Data, "username") {
		t.Fatalf("a sent message keeps its data: %q", r.Data)
	}
	// A late failure of an earlier attempt does not undo the sending.
	authtest.NoError(t, s.MailFailed(ctx, m[0].ID, at, "late", time.Time{}))
	authtest.NoError(t, s.MailFailed(ctx, m[0].ID, at, "late", at))
	if r := row(t, s, m[0].ID); r.FailedAt != nil || r.SentAt == nil {
		t.Fatalf("after a late failure: sent %v, failed %v", r.SentAt, r.FailedAt)
	}
	// The other message, never recorded, comes back after its lease; the
	// sent one never does.
	authtest.Equal(t, ids(claim(t, s, t0.Add(24*time.Hour), 10)), m[1].ID)
	if row(t, s, m[1].ID).Data == r.Data {
		t.Fatal("the unsent message lost its data too")
	}
}

func testFailedAndRetried(t *testing.T, s Store) {
	ctx := context.Background()
	_, m := queue(t, s, "dan", t0)
	claim(t, s, t0, 10)
	retry := t0.Add(30 * time.Second)
	authtest.NoError(t, s.MailFailed(ctx, m[0].ID, t0, "421 4.3.0 try again later", retry))
	r := row(t, s, m[0].ID)
	authtest.Equal(t, r.LastError, "421 4.3.0 try again later")
	authtest.Equal(t, r.NextAttemptAt, retry)
	if r.FailedAt != nil || r.SentAt != nil {
		t.Fatalf("a retry is neither sent nor given up: %+v", r)
	}
	// Not before its time, even though the lease would have allowed it.
	authtest.Equal(t, due(t, s, retry.Add(-time.Microsecond)), false)
	authtest.Equal(t, len(claim(t, s, retry.Add(-time.Microsecond), 10)), 0)
	authtest.Equal(t, due(t, s, retry), true)
	got := claim(t, s, retry, 10)
	authtest.Equal(t, ids(got), m[0].ID)
	authtest.Equal(t, got[0].Attempts, 2)
	authtest.Equal(t, got[0].Token, m[0].Token)
}

func testGivenUp(t *testing.T, s Store) {
	ctx := context.Background()
	_, m := queue(t, s, "eve", t0)
	claim(t, s, t0, 10)
	authtest.NoError(t, s.MailFailed(ctx, m[0].ID, t0, "550 5.1.1 no such user", time.Time{}))
	r := row(t, s, m[0].ID)
	if r.FailedAt == nil || !r.FailedAt.Equal(t0) || r.SentAt != nil {
		t.Fatalf("given up: failed %v, sent %v; want failed at %v", r.FailedAt, r.SentAt, t0)
	}
	authtest.Equal(t, r.LastError, "550 5.1.1 no such user")
	if strings.Contains(r.Data, m[0].Token) {
		t.Fatalf("a message given up keeps its token: %q", r.Data)
	}
	far := t0.Add(365 * 24 * time.Hour)
	authtest.Equal(t, due(t, s, far), false)
	authtest.Equal(t, len(claim(t, s, far, 10)), 0)
}

// testUnstorableReason: the reason is a mail server's answer, any bytes of
// any length; recording it must not fail (PostgreSQL refuses NUL and
// invalid UTF-8 in text).
func testUnstorableReason(t *testing.T, s Store) {
	_, m := queue(t, s, "fay", t0)
	claim(t, s, t0, 10)
	reason := "554 \x00\xff" + strings.Repeat("é", 5000)
	authtest.NoError(t, s.MailFailed(context.Background(), m[0].ID, t0, reason, t0.Add(time.Minute)))
	r := row(t, s, m[0].ID)
	if !utf8.ValidString(r.LastError) || strings.ContainsRune(r.LastError, 0) || !strings.HasPrefix(r.LastError, "554 ") || len(r.LastError) > 1000 {
		t.Fatalf("last_error %q (%d bytes)", r.LastError[:min(len(r.LastError), 20)], len(r.LastError))
	}
}

func testDue(t *testing.T, s Store) {
	authtest.Equal(t, due(t, s, t0), false)
	_, m := queue(t, s, "gus", t0)
	authtest.Equal(t, due(t, s, t0.Add(-time.Microsecond)), false)
	authtest.Equal(t, due(t, s, t0), true)
	claim(t, s, t0, 10)
	authtest.Equal(t, due(t, s, t0), false)
	authtest.NoError(t, s.MailSent(context.Background(), m[0].ID, t0))
	authtest.Equal(t, due(t, s, t0.Add(lease)), false)
}

// testUserDeleted: a deleted account's unsent mail goes with it, and a
// result recorded for it afterwards is no error.
func testUserDeleted(t *testing.T, s Store) {
	ctx := context.Background()
	u, m := queue(t, s, "hal", t0, t0)
	other, keep := queue(t, s, "ida", t0)
	claim(t, s, t0, 1) // one in flight when the account goes
	authtest.NoError(t, s.DeleteUser(ctx, u.ID))
	authtest.NoError(t, s.MailSent(ctx, m[0].ID, t0))
	authtest.NoError(t, s.MailFailed(ctx, m[1].ID, t0, "x", t0.Add(time.Minute)))
	authtest.NoError(t, s.MailFailed(ctx, m[1].ID, t0, "x", time.Time{}))
	authtest.Equal(t, ids(claim(t, s, t0.Add(lease), 10)), keep[0].ID)
	authtest.NoError(t, s.DeleteUser(ctx, other.ID))
	authtest.Equal(t, due(t, s, t0.Add(lease)), false)
	authtest.Equal(t, len(claim(t, s, t0.Add(2*lease), 10)), 0)
}

// TestConcurrentClaims claims one outbox from four goroutines at once, as
// senders on several instances would: no message may go to two of them.
// open returns two handles on one fresh, migrated database (or the same
// store twice); the claimers alternate between them.
func TestConcurrentClaims(t *testing.T, open func(t *testing.T) (Store, Store)) {
	const (
		messages = 60
		claimers = 4
		batch    = 3
	)
	a, b := open(t)
	created := make([]time.Time, messages)
	for i := range created {
		created[i] = t0.Add(time.Duration(i) * time.Millisecond)
	}
	_, m := queue(t, a, "joe", created...)
	var (
		mu     sync.Mutex
		got    = map[string]int{}
		wg     sync.WaitGroup
		start  = make(chan struct{})
		errs   = make(chan error, claimers)
		stores = [2]Store{a, b}
	)
	for i := range claimers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for {
				ms, err := stores[i%2].ClaimMail(context.Background(), t0.Add(time.Second), lease, batch)
				if err != nil {
					errs <- err
					return
				}
				if len(ms) == 0 {
					return
				}
				mu.Lock()
				for _, m := range ms {
					got[m.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("claim: %v", err)
	}
	// A claimer stops at its first empty claim, which may come while the
	// others hold the rest; they take it, so in the end every message went
	// out once.
	for _, msg := range m {
		if got[msg.ID] != 1 {
			t.Errorf("message %s claimed %d times, want once", msg.ID, got[msg.ID])
		}
	}
	authtest.Equal(t, len(got), messages)
	authtest.Equal(t, len(claim(t, a, t0.Add(time.Second), messages)), 0)
}

// testBacklog: what is pending is every message neither sent nor given
// up, leased or waiting for a retry alike, and the oldest is by when it
// was queued, not when it is due.
func testBacklog(t *testing.T, s Store) {
	ctx := context.Background()
	backlog := func() outbox.Backlog {
		t.Helper()
		b, err := s.MailBacklog(ctx)
		authtest.NoError(t, err)
		return b
	}
	authtest.Equal(t, backlog(), outbox.Backlog{})
	_, m := queue(t, s, "jan", t0.Add(-time.Minute), t0.Add(-3*time.Minute), t0.Add(time.Second), t0.Add(-2*time.Minute))
	authtest.Equal(t, backlog(), outbox.Backlog{Pending: 4, Oldest: t0.Add(-3 * time.Minute)})

	claim(t, s, t0, 10) // leased: still pending
	authtest.Equal(t, backlog(), outbox.Backlog{Pending: 4, Oldest: t0.Add(-3 * time.Minute)})
	authtest.NoError(t, s.MailSent(ctx, m[1].ID, t0))
	authtest.NoError(t, s.MailFailed(ctx, m[3].ID, t0, "421 try later", t0.Add(time.Hour)))
	authtest.Equal(t, backlog(), outbox.Backlog{Pending: 3, Oldest: t0.Add(-2 * time.Minute)})
	authtest.NoError(t, s.MailFailed(ctx, m[3].ID, t0, "550 no such user", time.Time{}))
	authtest.NoError(t, s.MailSent(ctx, m[0].ID, t0))
	authtest.Equal(t, backlog(), outbox.Backlog{Pending: 1, Oldest: t0.Add(time.Second)})
	authtest.NoError(t, s.MailSent(ctx, m[2].ID, t0))
	authtest.Equal(t, backlog(), outbox.Backlog{})
}
