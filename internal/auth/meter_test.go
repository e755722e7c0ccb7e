package auth_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
)

// meter records what the flows tell their Meter, as "flow result".
type meter struct {
	mu   sync.Mutex
	seen []string
}

func (m *meter) add(flow string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := "ok"
	if err != nil {
		r = string(auth.ErrorCode(err))
	}
	m.seen = append(m.seen, flow+" "+r)
}

func (m *meter) Login(err error)        { m.add("login", err) }
func (m *meter) Registration(err error) { m.add("registration", err) }
func (m *meter) Refresh(err error)      { m.add("refresh", err) }
func (m *meter) RefreshReused()         { m.add("reused", nil) }

func (m *meter) take() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := strings.Join(m.seen, ", ")
	m.seen = nil
	return s
}

// TestMeterCountsOutcomes: each flow tells the meter its outcome once,
// with the error it answered, and a refresh token used again after the
// grace is told apart from an ordinary refused refresh.
func TestMeterCountsOutcomes(t *testing.T) {
	e := newEnv(t)
	m := &meter{}
	svc := auth.NewService(auth.Deps{Store: e.store, Hasher: e.hasher, Tokens: e.tokens, Now: e.clock.Now, Meter: m}, auth.DefaultOptions())
	ctx := context.Background()
	reg := auth.Registration{Username: "alice", Email: "alice@example.com", Password: goodPassword}

	_, err := svc.Register(ctx, reg, auth.Client{})
	authtest.NoError(t, err)
	_, err = svc.Register(ctx, reg, auth.Client{})
	authtest.Code(t, err, auth.CodeUsernameTaken)
	_, err = svc.Register(ctx, auth.Registration{Username: "b", Email: "nope", Password: "x"}, auth.Client{})
	authtest.Code(t, err, auth.CodeInvalid)
	authtest.Equal(t, m.take(), "registration ok, registration username_taken, registration validation_failed")

	g, err := svc.PasswordGrant(ctx, "alice", goodPassword, auth.Client{})
	authtest.NoError(t, err)
	_, err = svc.PasswordGrant(ctx, "alice", "wrong password", auth.Client{})
	authtest.Code(t, err, auth.CodeInvalidCredentials)
	_, err = svc.Authenticate(ctx, "nobody", goodPassword, auth.Client{})
	authtest.Code(t, err, auth.CodeInvalidCredentials)
	authtest.Equal(t, m.take(), "login ok, login invalid_credentials, login invalid_credentials")

	e.clock.Advance(time.Minute)
	_, err = svc.RefreshGrant(ctx, g.RefreshToken, auth.Client{})
	authtest.NoError(t, err)
	_, err = svc.RefreshGrant(ctx, g.RefreshToken, auth.Client{}) // within the grace: refused only
	authtest.Code(t, err, auth.CodeInvalidGrant)
	authtest.Equal(t, m.take(), "refresh ok, refresh invalid_grant")

	e.clock.Advance(auth.RefreshReuseGrace + time.Second)
	_, err = svc.RefreshGrant(ctx, g.RefreshToken, auth.Client{})
	authtest.Code(t, err, auth.CodeInvalidGrant)
	authtest.Equal(t, m.take(), "reused ok, refresh invalid_grant")
}

// TestMeterCountsLinkLogins: a sign-in link is a login too, counted with
// its outcome.
func TestMeterCountsLinkLogins(t *testing.T) {
	e := newEnv(t)
	m := &meter{}
	svc := auth.NewService(auth.Deps{Store: e.store, Hasher: e.hasher, Tokens: e.tokens, Now: e.clock.Now, Meter: m}, auth.DefaultOptions())
	ctx := context.Background()
	e.register(t, "alice", "alice@example.com")
	if _, err := svc.LoginLinkGrant(ctx, "no-such-link", auth.Client{}); err == nil {
		t.Fatal("a made-up link logged in")
	}
	authtest.NoError(t, svc.RequestLoginLink(ctx, "alice@example.com", "/", auth.Client{}))
	link := e.deliver(t)[auth.MailLoginLink]
	_, err := svc.LoginLinkGrant(ctx, link, auth.Client{})
	authtest.NoError(t, err)
	authtest.Equal(t, m.take(), "login invalid_token, login ok")
}
