package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

// Options tune a Sender; the zero value is the defaults.
type Options struct {
	// Poll is how often to look for due mail; default 500ms, so that a
	// message is picked up within a second (DESIGN.md) even when it was
	// queued by another instance, whose Wake this one never hears.
	Poll time.Duration
	// Lease is how long a claimed message is kept from other senders;
	// default 2m. It must exceed SendTimeout, or a slow delivery could
	// still be running when another sender takes the message again: a
	// Lease not longer than SendTimeout is raised to twice SendTimeout.
	Lease time.Duration
	// SendTimeout bounds one delivery; default 30s.
	SendTimeout time.Duration
	// Batch is how many messages one pass claims, and delivers at once;
	// default 10.
	Batch int
	// Attempted, if set, is told the result of every attempt, for the
	// server's metrics. It is called from the delivering goroutines, so it
	// must be safe for concurrent use, and quick.
	Attempted func(Result)
}

// Result is what became of one attempt to deliver a message.
type Result string

// The results of an attempt.
const (
	ResultSent    Result = "sent"     // the mail server (or the mail directory) took it
	ResultDropped Result = "dropped"  // a request for mail with no account to send it to
	ResultFailed  Result = "failed"   // not delivered; it will be tried again
	ResultGivenUp Result = "given_up" // not delivered, and never will be
)

// Sender is the outbox's background sender: Run it once per process.
type Sender struct {
	st   Store
	d    Deliverer
	log  *slog.Logger
	now  func() time.Time
	o    Options
	wake chan struct{}
}

// New returns a sender that claims from st and delivers through d, on the
// clock now.
func New(st Store, d Deliverer, log *slog.Logger, now func() time.Time, o Options) *Sender {
	if o.Poll <= 0 {
		o.Poll = 500 * time.Millisecond
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = 30 * time.Second
	}
	if o.Lease <= 0 {
		o.Lease = 2 * time.Minute
	}
	if o.Lease <= o.SendTimeout {
		o.Lease = 2 * o.SendTimeout
	}
	if o.Batch <= 0 {
		o.Batch = 10
	}
	if o.Attempted == nil {
		o.Attempted = func(Result) {}
	}
	return &Sender{st: st, d: d, log: log, now: now, o: o, wake: make(chan struct{}, 1)}
}

// Wake nudges a running sender to look for due mail now rather than at its
// next poll: a flow that has just queued a message calls it, so that the
// mail goes at once. It never blocks; nudges while one is pending merge.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run sends due mail until ctx ends: at once, then at every poll or Wake.
// When ctx ends it claims nothing more; the deliveries in flight finish
// (each within SendTimeout) and are recorded before Run returns, and
// whatever was not claimed stays in the outbox for the next start. A store
// that fails is logged (once, until it answers again) and tried again at
// the next poll.
func (s *Sender) Run(ctx context.Context) {
	t := time.NewTicker(s.o.Poll)
	defer t.Stop()
	failing := false
	for {
		err := s.drain(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && !failing:
			s.log.Error("the mail outbox cannot be read or written; retrying at every poll", "err", err)
			failing = true
		case err == nil && failing:
			s.log.Info("the mail outbox answers again")
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// drain sends passes while mail is due and each pass fills its batch, so
// that a backlog goes at the speed of delivery, not of one batch a poll.
// An idle outbox costs one read.
func (s *Sender) drain(ctx context.Context) error {
	due, err := s.st.MailDue(ctx, s.timestamp())
	if err != nil || !due {
		return err
	}
	for ctx.Err() == nil {
		claimed, _, err := s.pass(ctx)
		if err != nil || claimed < s.o.Batch {
			return err
		}
	}
	return nil
}

// SendDue makes one pass: it claims up to a batch of due messages,
// delivers them and records each result. It returns how many were
// delivered, and the store's errors: a claim that failed, or a result
// that could not be recorded (that message is tried again once its lease
// ends, and may then arrive twice). Run makes such passes; tests call
// it to drive the sender step by step.
func (s *Sender) SendDue(ctx context.Context) (sent int, err error) {
	_, sent, err = s.pass(ctx)
	return sent, err
}

func (s *Sender) pass(ctx context.Context) (claimed, sent int, err error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	msgs, err := s.st.ClaimMail(ctx, s.timestamp(), s.o.Lease, s.o.Batch)
	if err != nil {
		return 0, 0, fmt.Errorf("claim mail: %w", err)
	}
	// From here on the messages are ours for a lease: deliver and record
	// them even if ctx ends meanwhile (shutdown), each delivery bounded by
	// SendTimeout, so that none is left half done. They go at once, not
	// one after another, so that the whole batch ends within one
	// SendTimeout, inside the lease.
	ctx = context.WithoutCancel(ctx)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, m := range msgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.send(ctx, m)
			mu.Lock()
			defer mu.Unlock()
			if ok {
				sent++
			}
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	return len(msgs), sent, errors.Join(errs...)
}

// send delivers one claimed message and records the result. ok reports a
// delivery; err, a result the store could not record.
func (s *Sender) send(ctx context.Context, m *auth.Mail) (ok bool, err error) {
	log := s.log.With("id", m.ID, "kind", string(m.Kind), "attempt", m.Attempts)
	if m.Attempts > MaxAttempts {
		// Claimed more often than it was tried: senders died delivering
		// it (a message that crashes the process would otherwise be
		// retried for ever).
		log.Error("giving up on a message claimed too often without a result")
		s.o.Attempted(ResultGivenUp)
		return false, s.record(log, s.st.MailFailed(ctx, m.ID, s.timestamp(),
			fmt.Sprintf("claimed %d times without a recorded result", m.Attempts), time.Time{}))
	}
	dctx, cancel := context.WithTimeout(ctx, s.o.SendTimeout)
	derr := s.d.Deliver(dctx, m)
	cancel()
	now := s.timestamp()
	if derr == nil || errors.Is(derr, ErrNoRecipient) {
		if derr == nil {
			log.Info("mail sent")
			s.o.Attempted(ResultSent)
		} else {
			// An ordinary outcome (a reset asked for an address without an
			// account), told apart so that the log does not say "sent".
			log.Info("mail request dropped: no account to send it to")
			s.o.Attempted(ResultDropped)
		}
		return derr == nil, s.record(log, s.st.MailSent(ctx, m.ID, now))
	}
	wait, retry := RetryAfter(m.Attempts)
	if !retry {
		log.Error("mail not delivered; giving up", "err", derr)
		s.o.Attempted(ResultGivenUp)
		return false, s.record(log, s.st.MailFailed(ctx, m.ID, now, derr.Error(), time.Time{}))
	}
	log.Warn("mail not delivered; will retry", "err", derr, "retry_in", wait)
	s.o.Attempted(ResultFailed)
	return false, s.record(log, s.st.MailFailed(ctx, m.ID, now, derr.Error(), now.Add(wait)))
}

// record logs a result the store could not keep, and passes its error on.
func (s *Sender) record(log *slog.Logger, err error) error {
	if err != nil {
		log.Error("cannot record the result; the message may be tried again after its lease", "err", err)
		return fmt.Errorf("record mail result: %w", err)
	}
	return nil
}

// timestamp is the clock in the precision both databases keep, in UTC, as
// the flows write it: SQLite compares times as text.
func (s *Sender) timestamp() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}
