package outbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/outbox"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/pgtest"
	"github.com/latchkey/latchkey/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// testURL names a fresh database on the backend LATCHKEY_TEST_STORE picks,
// so that two handles can be opened on it (two instances).
func testURL(t *testing.T) string {
	t.Helper()
	if os.Getenv(storetest.BackendEnv) == "postgres" {
		return pgtest.URL(t)
	}
	return "sqlite:" + filepath.Join(t.TempDir(), "latchkey.db")
}

func openURL(t *testing.T, url string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// queue stores a new user and n messages to them, created (and due) now,
// through the path the flows take.
func queue(t *testing.T, s *store.Store, now time.Time, n int) []*auth.Mail {
	t.Helper()
	name := "u" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	u := authtest.NewUser(name, name+"@example.com", now)
	var (
		letters []auth.Letter
		mail    []*auth.Mail
	)
	for i := range n {
		m := &auth.Mail{ID: uuid.Must(uuid.NewV7()).String(), Kind: auth.MailVerifyEmail, UserID: u.ID, To: u.Email,
			Username: u.Username, Token: fmt.Sprintf("secret-token-%s-%d", name, i), CreatedAt: now}
		letters, mail = append(letters, auth.Letter{Mail: m}), append(mail, m)
	}
	authtest.NoError(t, s.CreateUser(context.Background(), u, letters))
	return mail
}

// recorder is a Deliverer that keeps what it delivered. Its first fail
// calls fail; with hold set, each call waits for release (or its ctx).
type recorder struct {
	mu      sync.Mutex
	fail    int
	calls   int
	sent    map[string]int
	last    *auth.Mail
	hold    bool
	started chan string
	release chan struct{}
	ctxErr  error // the delivery ctx's error when a held call was released
}

func newRecorder() *recorder {
	return &recorder{sent: map[string]int{}, started: make(chan string, 100), release: make(chan struct{})}
}

func (r *recorder) Deliver(ctx context.Context, m *auth.Mail) error {
	r.mu.Lock()
	r.calls++
	failing := r.calls <= r.fail
	hold := r.hold
	r.mu.Unlock()
	r.started <- m.ID
	if hold {
		select {
		case <-r.release:
		case <-ctx.Done():
			return ctx.Err()
		}
		r.mu.Lock()
		r.ctxErr = ctx.Err()
		r.mu.Unlock()
	}
	if failing {
		return errors.New("421 4.7.0 try again later")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent[m.ID]++
	r.last = m
	return nil
}

func (r *recorder) count() (calls, delivered int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls, len(r.sent)
}

// tally counts the results a sender reports through Options.Attempted.
type tally struct {
	mu sync.Mutex
	n  map[outbox.Result]int
}

func newTally() *tally { return &tally{n: map[outbox.Result]int{}} }

func (c *tally) add(r outbox.Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[r]++
}

// String is the counts in a fixed order, for comparing in one line.
func (c *tally) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fmt.Sprintf("sent=%d dropped=%d failed=%d given_up=%d",
		c.n[outbox.ResultSent], c.n[outbox.ResultDropped], c.n[outbox.ResultFailed], c.n[outbox.ResultGivenUp])
}

// logBuffer collects a sender's log, for the tests to search.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newLog() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// eventually waits, up to a deadline generous enough for a loaded machine,
// for cond; the tests assert what happens, not how fast.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// run starts s.Run and returns a function that stops it and waits for it
// to return.
func run(t *testing.T, s *outbox.Sender) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after its context ended")
		}
	}
	t.Cleanup(stop)
	return stop
}

func due(t *testing.T, s outbox.Store, now time.Time) bool {
	t.Helper()
	d, err := s.MailDue(context.Background(), now)
	authtest.NoError(t, err)
	return d
}

func TestRunDeliversQueuedMail(t *testing.T) {
	st := openURL(t, testURL(t))
	clock := authtest.NewClock()
	d := newRecorder()
	log, logs := newLog()
	run(t, outbox.New(st, d, log, clock.Now, outbox.Options{}))
	m := queue(t, st, clock.Now(), 1)[0]
	// No Wake: the default poll alone picks it up.
	eventually(t, "the message is delivered", func() bool { _, n := d.count(); return n == 1 })
	d.mu.Lock()
	got := *d.last
	d.mu.Unlock()
	m.Attempts = 1
	authtest.Equal(t, got, *m)
	eventually(t, "it is recorded sent", func() bool { return !due(t, st, clock.Now().Add(24*time.Hour)) })
	if l := logs.String(); !strings.Contains(l, "mail sent") || strings.Contains(l, m.Token) {
		t.Fatalf("log %q: want the message sent, never its token", l)
	}
}

func TestRetriedThenGivenUp(t *testing.T) {
	ctx := context.Background()
	st := openURL(t, testURL(t))
	clock := authtest.NewClock()
	d := newRecorder()
	d.fail = 1000
	log, logs := newLog()
	results := newTally()
	s := outbox.New(st, d, log, clock.Now, outbox.Options{Attempted: results.add})
	m := queue(t, st, clock.Now(), 1)[0]
	for k := 1; k <= outbox.MaxAttempts; k++ {
		sent, err := s.SendDue(ctx)
		authtest.NoError(t, err)
		authtest.Equal(t, sent, 0)
		calls, _ := d.count()
		authtest.Equal(t, calls, k)
		wait, ok := outbox.RetryAfter(k)
		if !ok {
			break
		}
		// Not again before the wait is over...
		clock.Advance(wait - time.Microsecond)
		_, err = s.SendDue(ctx)
		authtest.NoError(t, err)
		calls, _ = d.count()
		authtest.Equal(t, calls, k)
		// ...and then it is.
		clock.Advance(time.Microsecond)
	}
	clock.Advance(365 * 24 * time.Hour)
	_, err := s.SendDue(ctx)
	authtest.NoError(t, err)
	calls, _ := d.count()
	authtest.Equal(t, calls, outbox.MaxAttempts)
	authtest.Equal(t, due(t, st, clock.Now()), false)
	l := logs.String()
	if strings.Count(l, "will retry") != outbox.MaxAttempts-1 || strings.Count(l, "giving up") != 1 || strings.Contains(l, m.Token) {
		t.Fatalf("log %q: want %d retries, one give-up, and never the token", l, outbox.MaxAttempts-1)
	}
	if !strings.Contains(l, "level=ERROR") || !strings.Contains(l, "421 4.7.0") || !strings.Contains(l, "attempt=8") {
		t.Fatalf("log %q: the give-up is an error with its attempt and cause", l)
	}
	authtest.Equal(t, results.String(), fmt.Sprintf("sent=0 dropped=0 failed=%d given_up=1", outbox.MaxAttempts-1))
}

func TestRetrySucceeds(t *testing.T) {
	ctx := context.Background()
	st := openURL(t, testURL(t))
	clock := authtest.NewClock()
	d := newRecorder()
	d.fail = 2
	log, _ := newLog()
	results := newTally()
	s := outbox.New(st, d, log, clock.Now, outbox.Options{Attempted: results.add})
	m := queue(t, st, clock.Now(), 1)[0]
	for k := 1; k <= 2; k++ {
		sent, err := s.SendDue(ctx)
		authtest.NoError(t, err)
		authtest.Equal(t, sent, 0)
		wait, _ := outbox.RetryAfter(k)
		clock.Advance(wait)
	}
	sent, err := s.SendDue(ctx)
	authtest.NoError(t, err)
	authtest.Equal(t, sent, 1)
	authtest.Equal(t, d.sent[m.ID], 1)
	authtest.Equal(t, d.last.Attempts, 3)
	clock.Advance(24 * time.Hour)
	authtest.Equal(t, due(t, st, clock.Now()), false)
	authtest.Equal(t, results.String(), "sent=1 dropped=0 failed=2 given_up=0")
}

// TestSendTimeoutBoundsDelivery: a delivery that would hang (a mail server
// that never answers) ends at SendTimeout and counts as a failed attempt.
func TestSendTimeoutBoundsDelivery(t *testing.T) {
	ctx := context.Background()
	st := openURL(t, testURL(t))
	clock := authtest.NewClock()
	d := newRecorder()
	d.hold = true // never released: only the timeout ends it
	log, _ := newLog()
	s := outbox.New(st, d, log, clock.Now, outbox.Options{SendTimeout: 20 * time.Millisecond})
	queue(t, st, clock.Now(), 1)
	sent, err := s.SendDue(ctx)
	authtest.NoError(t, err)
	authtest.Equal(t, sent, 0)
	wait, _ := outbox.RetryAfter(1)
	authtest.Equal(t, due(t, st, clock.Now().Add(wait-time.Microsecond)), false)
	authtest.Equal(t, due(t, st, clock.Now().Add(wait)), true)
}

// countingStore tells when the sender has looked for due mail.
type countingStore struct {
	outbox.Store
	looked chan struct{}
}

func (c countingStore) MailDue(ctx context.Context, now time.Time) (bool, error) {
	due, err := c.Store.MailDue(ctx, now)
	select {
	case c.looked <- struct{}{}:
	default:
	}
	return due, err
}

// TestWake: with a poll of an hour, only Wake can explain a delivery after
// the first look.
func TestWake(t *testing.T) {
	st := openURL(t, testURL(t))
	clock := authtest.NewClock()
	d := newRecorder()
	log, _ := newLog()
	cs := countingStore{Store: st, looked: make(chan struct{}, 1)}
	s := outbox.New(cs, d, log, clock.Now, outbox.Options{Poll: time.Hour})
	run(t, s)
	<-cs.looked // Run's first look, at start, found nothing
	queue(t, st, clock.Now(), 1)
	s.Wake()
	eventually(t, "the woken sender delivers", func() bool { _, n := d.count(); return n == 1 })
}

// TestTwoSenders: two instances on one database, each with its own handle
// and sender, deliver each of 50 messages once. The clock stands still,
// so no lease runs out: a second delivery could only come from a second
// claim.
func TestTwoSenders(t *testing.T) {
	url := testURL(t)
	a, b := openURL(t, url), openURL(t, url)
	clock := authtest.NewClock()
	d := newRecorder()
	log, _ := newLog()
	o := outbox.Options{Poll: 5 * time.Millisecond, Batch: 3}
	stopA := run(t, outbox.New(a, d, log, clock.Now, o))
	stopB := run(t, outbox.New(b, d, log, clock.Now, o))
	mail := queue(t, a, clock.Now(), 50)
	eventually(t, "all are delivered and recorded", func() bool {
		_, n := d.count()
		return n == len(mail) && !due(t, a, clock.Now())
	})
	stopA()
	stopB()
	calls, _ := d.count()
	authtest.Equal(t, calls, len(mail))
	for _, m := range mail {
		authtest.Equal(t, d.sent[m.ID], 1)
	}
}

// TestShutdown: a delivery in flight when Run's context ends finishes (its
// context is not the cancelled one) and is recorded; a message not yet
// claimed stays for the next sender.
func TestShutdown(t *testing.T) {
	ctx := context.Background()
	st := openURL(t, testURL(t))
	clock := authtest.NewClock()
	d := newRecorder()
	d.hold = true
	log, _ := newLog()
	mail := queue(t, st, clock.Now(), 2)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		outbox.New(st, d, log, clock.Now, outbox.Options{Poll: 5 * time.Millisecond, Batch: 1}).Run(runCtx)
	}()
	authtest.Equal(t, <-d.started, mail[0].ID)
	cancel()
	// Give Run time to notice: it must wait for the delivery.
	time.Sleep(20 * time.Millisecond)
	select {
	case <-stopped:
		t.Fatal("Run returned with a delivery in flight")
	default:
	}
	close(d.release)
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its delivery ended")
	}
	authtest.NoError(t, d.ctxErr)
	calls, _ := d.count()
	authtest.Equal(t, calls, 1)
	authtest.Equal(t, d.sent[mail[0].ID], 1)

	next := newRecorder()
	sent, err := outbox.New(st, next, log, clock.Now, outbox.Options{}).SendDue(ctx)
	authtest.NoError(t, err)
	authtest.Equal(t, sent, 1)
	authtest.Equal(t, next.sent[mail[1].ID], 1)
}

// failingStore fails its first n looks and claims, as a database that is
// briefly away would.
type failingStore struct {
	outbox.Store
	mu sync.Mutex
	n  int
}

func (f *failingStore) failing() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n--
	return f.n >= 0
}

func (f *failingStore) MailDue(ctx context.Context, now time.Time) (bool, error) {
	if f.failing() {
		return false, fmt.Errorf("look for due mail: %w", auth.ErrUnavailable)
	}
	return f.Store.MailDue(ctx, now)
}

func (f *failingStore) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, n int) ([]*auth.Mail, error) {
	if f.failing() {
		return nil, fmt.Errorf("claim mail: %w", auth.ErrUnavailable)
	}
	return f.Store.ClaimMail(ctx, now, lease, n)
}

// TestStoreErrorsDoNotStopRun: a store that fails for a while is logged
// once, and the loop goes on and delivers when it answers again.
func TestStoreErrorsDoNotStopRun(t *testing.T) {
	st := openURL(t, testURL(t))
	clock := authtest.NewClock()
	d := newRecorder()
	log, logs := newLog()
	queue(t, st, clock.Now(), 1)
	run(t, outbox.New(&failingStore{Store: st, n: 5}, d, log, clock.Now, outbox.Options{Poll: 5 * time.Millisecond}))
	eventually(t, "the message is delivered", func() bool { _, n := d.count(); return n == 1 })
	eventually(t, "the end of the outage is logged", func() bool { return strings.Contains(logs.String(), "outbox answers again") })
	l := logs.String()
	if strings.Count(l, "cannot be read or written") != 1 {
		t.Fatalf("log %q: want the outage logged once", l)
	}
}

// TestClaimedTooOften: a message claimed more often than MaxAttempts
// without a result (every sender that took it died) is given up without
// another try.
func TestClaimedTooOften(t *testing.T) {
	ctx := context.Background()
	st := openURL(t, testURL(t))
	clock := authtest.NewClock()
	d := newRecorder()
	log, _ := newLog()
	queue(t, st, clock.Now(), 1)
	const lease = time.Minute
	for range outbox.MaxAttempts {
		ms, err := st.ClaimMail(ctx, clock.Now(), lease, 1)
		authtest.NoError(t, err)
		authtest.Equal(t, len(ms), 1)
		clock.Advance(lease)
	}
	results := newTally()
	sent, err := outbox.New(st, d, log, clock.Now, outbox.Options{Attempted: results.add}).SendDue(ctx)
	authtest.NoError(t, err)
	authtest.Equal(t, sent, 0)
	calls, _ := d.count()
	authtest.Equal(t, calls, 0)
	authtest.Equal(t, due(t, st, clock.Now().Add(24*time.Hour)), false)
	authtest.Equal(t, results.String(), "sent=0 dropped=0 failed=0 given_up=1")
}
