package outbox_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/mail"
	"github.com/latchkey/latchkey/internal/mail/mailtest"
	"github.com/latchkey/latchkey/internal/outbox"
)

var base, _ = url.Parse("https://auth.example.com")

// asQueued resolves every message to itself: these tests queue messages
// with their accounts (the resolution of requests is auth's, tested there).
func asQueued(_ context.Context, m *auth.Mail) (*auth.Mail, error) { return m, nil }

func smtpPost(t *testing.T, sink *mailtest.Sink) outbox.Deliverer {
	t.Helper()
	tr, err := mail.NewSMTP(sink.URL())
	if err != nil {
		t.Fatal(err)
	}
	return outbox.Post(mail.Composer{BaseURL: base, From: mail.DefaultFrom(base)}, tr, asQueued)
}

// TestPostRendersEveryKind: each message a flow can queue renders and goes
// out through a real SMTP server, its link (if any) on the base URL.
func TestPostRendersEveryKind(t *testing.T) {
	sink := mailtest.NewSink(t)
	d := smtpPost(t, sink)
	kinds := map[auth.MailKind]string{
		auth.MailVerifyEmail:     "/verify-email?token=",
		auth.MailResetPassword:   "/reset-password?token=",
		auth.MailPasswordChanged: "",
		auth.MailConfirmEmail:    "/confirm-email?token=",
		auth.MailEmailChanged:    "/undo-email-change?token=",
		auth.MailLoginLink:       "/login-link/confirm?token=",
	}
	n := 0
	for kind, path := range kinds {
		m := &auth.Mail{ID: "m-" + string(kind), Kind: kind, UserID: "u", To: "alice@example.com", Username: "alice",
			Token: "tok-" + string(kind), NewEmail: "alice.new@example.com", Next: "/account", CreatedAt: time.Now()}
		if err := d.Deliver(context.Background(), m); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		n++
		got := sink.Wait(t, n, 5*time.Second)[n-1]
		if path == "" {
			if strings.Contains(got.Text, "token=") {
				t.Errorf("%s carries a token link:\n%s", kind, got.Text)
			}
			continue
		}
		if link := got.Link(t, strings.TrimSuffix(path, "?token=")); !strings.HasPrefix(link, "https://auth.example.com"+path+"tok-"+string(kind)) {
			t.Errorf("%s: link %q", kind, link)
		}
	}
}

// TestRefusedThenDelivered: an SMTP server that refuses the first two
// attempts gets the message on the third, at the times the backoff says.
func TestRefusedThenDelivered(t *testing.T) {
	sink := mailtest.NewSink(t)
	sink.RefuseNext(2)
	s := openURL(t, testURL(t))
	now := time.Now().UTC().Truncate(time.Microsecond)
	clock := func() time.Time { return now }
	queue(t, s, now, 1)
	log, _ := newLog()
	snd := outbox.New(s, smtpPost(t, sink), log, clock, outbox.Options{})
	ctx := context.Background()
	for attempt, wait := range []time.Duration{0, 30 * time.Second, time.Minute} {
		now = now.Add(wait)
		sent, err := snd.SendDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 1}[attempt == 2]; sent != want {
			t.Fatalf("attempt %d: %d sent, want %d", attempt+1, sent, want)
		}
	}
	if got := sink.Messages(); len(got) != 1 {
		t.Fatalf("%d messages arrived, want 1", len(got))
	}
}

// TestQueuedMailOutlivesTheProcess: mail queued by a process that ended
// before sending it (its store closed, nothing in memory) is delivered by
// the next one.
func TestQueuedMailOutlivesTheProcess(t *testing.T) {
	sink := mailtest.NewSink(t)
	url := testURL(t)
	first := openURL(t, url)
	queue(t, first, time.Now().UTC(), 3)
	first.Close()

	next := openURL(t, url)
	log, _ := newLog()
	stop := run(t, outbox.New(next, smtpPost(t, sink), log, time.Now, outbox.Options{}))
	defer stop()
	sink.Wait(t, 3, 10*time.Second)
}

// TestTwoInstancesSendEachOnce: two servers' senders on one database, over
// real SMTP, deliver every message exactly once.
func TestTwoInstancesSendEachOnce(t *testing.T) {
	sink := mailtest.NewSink(t)
	url := testURL(t)
	a, b := openURL(t, url), openURL(t, url)
	queued := queue(t, a, time.Now().UTC(), 30)
	log, _ := newLog()
	stopA := run(t, outbox.New(a, smtpPost(t, sink), log, time.Now, outbox.Options{Poll: 20 * time.Millisecond}))
	stopB := run(t, outbox.New(b, smtpPost(t, sink), log, time.Now, outbox.Options{Poll: 20 * time.Millisecond}))
	got := sink.Wait(t, len(queued), 20*time.Second)
	time.Sleep(200 * time.Millisecond) // room for a second copy to arrive
	stopA()
	stopB()
	seen := map[string]int{}
	for _, m := range sink.Messages() {
		seen[m.Link(t, "/verify-email")]++
	}
	if len(seen) != len(queued) || len(sink.Messages()) != len(queued) {
		t.Fatalf("%d messages for %d distinct links (of %d queued; first wait saw %d)", len(sink.Messages()), len(seen), len(queued), len(got))
	}
}

// TestRequestWithoutRecipient: a request that resolves to no account is
// done at once, not retried, and the log does not call it sent.
func TestRequestWithoutRecipient(t *testing.T) {
	sink := mailtest.NewSink(t)
	tr, err := mail.NewSMTP(sink.URL())
	if err != nil {
		t.Fatal(err)
	}
	nobody := func(context.Context, *auth.Mail) (*auth.Mail, error) { return nil, nil }
	d := outbox.Post(mail.Composer{BaseURL: base, From: mail.DefaultFrom(base)}, tr, nobody)
	if err := d.Deliver(context.Background(), &auth.Mail{ID: "m", Kind: auth.MailResetPassword, To: "nobody@example.com"}); err != outbox.ErrNoRecipient {
		t.Fatalf("Deliver: %v, want ErrNoRecipient", err)
	}

	s := openURL(t, testURL(t))
	now := time.Now().UTC().Truncate(time.Microsecond)
	queue(t, s, now, 1)
	log, logs := newLog()
	results := newTally()
	snd := outbox.New(s, d, log, func() time.Time { return now }, outbox.Options{Attempted: results.add})
	sent, err := snd.SendDue(context.Background())
	if err != nil || sent != 0 {
		t.Fatalf("SendDue: %d sent, %v", sent, err)
	}
	if due(t, s, now.Add(time.Hour)) {
		t.Fatal("a request without a recipient is due again")
	}
	if l := logs.String(); !strings.Contains(l, "dropped") || strings.Contains(l, "mail sent") {
		t.Fatalf("log:\n%s", l)
	}
	if n := len(sink.Messages()); n != 0 {
		t.Fatalf("%d messages went out", n)
	}
	if got, want := results.String(), "sent=0 dropped=1 failed=0 given_up=0"; got != want {
		t.Fatalf("results %s, want %s", got, want)
	}
}
