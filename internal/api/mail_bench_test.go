package api_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

// A request for mail must not tell who has an account (DESIGN.md,
// "Requests for mail"): the same status, headers and body for a known
// address, an unknown one, a disabled account's and an address asked for a
// moment ago, and no measurable difference in time. The test checks the
// answers; the benchmark measures the times, side by side in one run.

// askReset posts a password-reset request for email.
func (s *testServer) askReset(t testing.TB, email string) response {
	t.Helper()
	return s.post(t, "/api/password-reset", "application/json", `{"email":"`+email+`"}`)
}

// queued claims the mail waiting in the outbox and completes it as the
// sender would, so that a test sees what a request will deliver (a
// request for an address without an account delivers nothing) and the
// next claim starts empty.
func (s *testServer) queued(t testing.TB) []*auth.Mail {
	t.Helper()
	ctx := context.Background()
	list, err := s.store.ClaimMail(ctx, time.Now(), time.Hour, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []*auth.Mail
	for _, m := range list {
		m, err := s.svc.ResolveMail(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		if m != nil {
			out = append(out, m)
		}
	}
	return out
}

// withoutDate is a copy of h without Date, which tells the time and
// nothing about the account.
func withoutDate(h http.Header) http.Header {
	h = h.Clone()
	h.Del("Date")
	return h
}

func TestPasswordResetAnswersAlike(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	s.register(t, "bob")
	if _, err := s.svc.SetDisabled(context.Background(), nil, "bob@example.com", true); err != nil {
		t.Fatal(err)
	}
	s.queued(t) // the verification mail of both registrations

	known := s.askReset(t, "alice@example.com")
	if known.status != http.StatusAccepted {
		t.Fatalf("known address: %d %s", known.status, known.body)
	}
	if m := s.queued(t); len(m) != 1 || m[0].To != "alice@example.com" || m[0].Kind != auth.MailResetPassword {
		t.Fatalf("a known address queued %+v, want one reset mail to alice", m)
	}

	for _, c := range []struct{ name, email string }{
		{"unknown", "nobody@example.com"},
		{"disabled", "bob@example.com"},
		{"repeated within the minute", "alice@example.com"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := s.askReset(t, c.email)
			if got.status != known.status || got.body != known.body {
				t.Errorf("answer %d %q, a known address's %d %q", got.status, got.body, known.status, known.body)
			}
			if h, want := withoutDate(got.header), withoutDate(known.header); !maps.EqualFunc(h, want, slices.Equal) {
				t.Errorf("headers %v, a known address's %v", h, want)
			}
			if m := s.queued(t); len(m) != 0 {
				t.Errorf("%d messages will be delivered, the first to %s", len(m), m[0].To)
			}
		})
	}

	// A malformed address is refused: that says something about the
	// address, nothing about any account.
	if res := s.askReset(t, "not an address"); res.status != http.StatusUnprocessableEntity {
		t.Errorf("malformed address: %d %s", res.status, res.body)
	}
}

// BenchmarkPasswordResetRequest measures POST /api/password-reset for an
// address with an account, one without and a disabled account's, over the
// API's real HTTP server on the test database; DESIGN.md wants no
// measurable difference between them:
//
//	go test -run '^$' -bench PasswordResetRequest -benchtime 2s -count 3 ./internal/api/
//
// Every request names an address not asked for before: the per-address
// limit drops a repeat within the minute before it queues anything, which
// would make "known" as cheap as "unknown" without saying anything about
// a first request. So the accounts are made before the timer runs, as many
// as the run needs, each asked for once.
func BenchmarkPasswordResetRequest(b *testing.B) {
	s := newServer(b, serverOptions{})
	ctx := context.Background()
	accounts := 0
	// account makes a fresh account and returns its address.
	account := func(disabled bool) string {
		accounts++
		name := fmt.Sprintf("user%d", accounts)
		s.register(b, name)
		if disabled {
			if _, err := s.svc.SetDisabled(ctx, nil, name+"@example.com", true); err != nil {
				b.Fatal(err)
			}
		}
		return name + "@example.com"
	}
	unknown := 0
	for _, c := range []struct {
		name    string
		address func() string
	}{
		{"known", func() string { return account(false) }},
		{"unknown", func() string { unknown++; return fmt.Sprintf("nobody%d@example.com", unknown) }},
		{"disabled", func() string { return account(true) }},
	} {
		var addresses []string // made for this case, and not asked for yet
		b.Run(c.name, func(b *testing.B) {
			for len(addresses) < b.N {
				addresses = append(addresses, c.address())
			}
			b.ResetTimer()
			for i := range b.N {
				if res := s.askReset(b, addresses[i]); res.status != http.StatusAccepted {
					b.Fatalf("%s: %d %s", addresses[i], res.status, res.body)
				}
			}
			b.StopTimer()
			addresses = addresses[b.N:]
		})
	}
}
