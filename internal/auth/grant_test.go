package auth_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
)

func (e *env) login(t *testing.T, ident string) *auth.Grant {
	t.Helper()
	g, err := e.svc.PasswordGrant(context.Background(), ident, goodPassword, auth.Client{IP: "192.0.2.9", UserAgent: "cli/1"})
	if err != nil {
		t.Fatalf("password grant: %v", err)
	}
	return g
}

func (e *env) authorized(t *testing.T, accessToken string) error {
	t.Helper()
	_, err := e.svc.AuthorizeAccessToken(context.Background(), accessToken, auth.Client{})
	return err
}

func TestPasswordGrant(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "alice", "alice@example.com")
	g := e.login(t, "alice")
	if g.AccessToken == "" || g.RefreshToken == "" || g.ExpiresIn != 15*time.Minute {
		t.Fatalf("grant %+v", g)
	}
	if g.Session.Kind != auth.SessionAPI || g.Session.IP != "192.0.2.9" || g.Session.UserAgent != "cli/1" {
		t.Fatalf("session %+v", g.Session)
	}
	p, err := e.svc.AuthorizeAccessToken(context.Background(), g.AccessToken, auth.Client{})
	authtest.NoError(t, err)
	if p.User.ID != u.ID || p.Session.ID != g.Session.ID {
		t.Fatalf("principal %+v", p)
	}
	// Only the refresh token's hash is stored.
	if _, _, _, err := e.store.RefreshTokenByHash(context.Background(), g.RefreshToken); !errors.Is(err, auth.ErrNotFound) {
		t.Fatal("the raw refresh token is findable in the database")
	}
	_, err = e.svc.PasswordGrant(context.Background(), "alice", "wrong password", auth.Client{})
	authtest.Code(t, err, auth.CodeInvalidCredentials)
}

// TestGrantCarriesTheRole checks that every account role reaches the
// access token: the roles are the domain's, the token spells them for
// other services, and a role token did not know would be refused.
func TestGrantCarriesTheRole(t *testing.T) {
	e := newEnv(t)
	for _, role := range []auth.Role{auth.RoleUser, auth.RoleAdmin} {
		t.Run(string(role), func(t *testing.T) {
			name := "a" + string(role)
			_, err := e.svc.Register(context.Background(), auth.Registration{Username: name, Email: name + "@example.com", Password: goodPassword, Role: role}, auth.Client{})
			authtest.NoError(t, err)
			g := e.login(t, name)
			c, err := e.tokens.Verify(g.AccessToken)
			authtest.NoError(t, err)
			authtest.Equal(t, c.Role, string(role))
			authtest.Equal(t, c.UserID, g.User.ID)
			authtest.Equal(t, c.SessionID, g.Session.ID)
			authtest.NoError(t, e.authorized(t, g.AccessToken))
		})
	}
}

func TestRefreshRotates(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")
	g := e.login(t, "alice")
	ctx := context.Background()

	e.clock.Advance(time.Minute)
	g2, err := e.svc.RefreshGrant(ctx, g.RefreshToken, auth.Client{})
	authtest.NoError(t, err)
	if g2.RefreshToken == g.RefreshToken || g2.AccessToken == g.AccessToken || g2.Session.ID != g.Session.ID {
		t.Fatalf("refresh did not rotate: %+v", g2)
	}
	authtest.NoError(t, e.authorized(t, g2.AccessToken))

	// Within the grace window a replay only fails; the session lives on.
	e.clock.Advance(5 * time.Second)
	_, err = e.svc.RefreshGrant(ctx, g.RefreshToken, auth.Client{})
	authtest.Code(t, err, auth.CodeInvalidGrant)
	authtest.NoError(t, e.authorized(t, g2.AccessToken))

	g3, err := e.svc.RefreshGrant(ctx, g2.RefreshToken, auth.Client{})
	authtest.NoError(t, err)

	// After it, a replay is taken as theft: the whole session ends,
	// including the newest tokens.
	e.clock.Advance(auth.RefreshReuseGrace + time.Second)
	_, err = e.svc.RefreshGrant(ctx, g.RefreshToken, auth.Client{})
	authtest.Code(t, err, auth.CodeInvalidGrant)
	_, err = e.svc.RefreshGrant(ctx, g3.RefreshToken, auth.Client{})
	authtest.Code(t, err, auth.CodeInvalidGrant)
	if err := e.authorized(t, g3.AccessToken); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("access token of a family-revoked session: %v", err)
	}
}

// TestRefreshBudget attacks the per-session refresh budget: a client that
// rotates its session as fast as it can gets 429 for every refresh within
// a second of the last, and those refusals cost it nothing: the token
// stays good, so once the second has passed it refreshes as usual.
func TestRefreshBudget(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")
	g := e.login(t, "alice")
	ctx := context.Background()

	for _, wait := range []time.Duration{0, 500 * time.Millisecond, 499 * time.Millisecond} {
		e.clock.Advance(wait)
		_, err := e.svc.RefreshGrant(ctx, g.RefreshToken, auth.Client{})
		ae := authtest.Code(t, err, auth.CodeTooManyAttempts)
		authtest.Equal(t, ae.RetryAfter, time.Second)
	}
	e.clock.Advance(time.Millisecond)
	g2, err := e.svc.RefreshGrant(ctx, g.RefreshToken, auth.Client{})
	authtest.NoError(t, err)
	// The new token has a budget of its own, counted from its rotation.
	_, err = e.svc.RefreshGrant(ctx, g2.RefreshToken, auth.Client{})
	authtest.Code(t, err, auth.CodeTooManyAttempts)
	e.clock.Advance(auth.RefreshMinInterval)
	_, err = e.svc.RefreshGrant(ctx, g2.RefreshToken, auth.Client{})
	authtest.NoError(t, err)
}

func TestRefreshUnknownAndMissing(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.RefreshGrant(context.Background(), "not-a-token", auth.Client{})
	authtest.Code(t, err, auth.CodeInvalidGrant)
	_, err = e.svc.RefreshGrant(context.Background(), "", auth.Client{})
	authtest.Code(t, err, auth.CodeInvalid)
}

// TestConcurrentRefresh: of 10 simultaneous uses of one refresh token,
// exactly one gets new tokens, and the session survives (they are all
// within the grace window).
func TestConcurrentRefresh(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")
	g := e.login(t, "alice")
	e.clock.Advance(auth.RefreshMinInterval)
	var (
		wg      sync.WaitGroup
		wins    atomic.Int32
		winner  atomic.Pointer[auth.Grant]
		invalid atomic.Int32
	)
	start := make(chan struct{})
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			g2, err := e.svc.RefreshGrant(context.Background(), g.RefreshToken, auth.Client{})
			switch {
			case err == nil:
				wins.Add(1)
				winner.Store(g2)
			case auth.ErrorCode(err) == auth.CodeInvalidGrant:
				invalid.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if wins.Load() != 1 || invalid.Load() != 9 {
		t.Fatalf("%d wins, %d invalid_grant; want 1 and 9", wins.Load(), invalid.Load())
	}
	e.clock.Advance(auth.RefreshMinInterval)
	_, err := e.svc.RefreshGrant(context.Background(), winner.Load().RefreshToken, auth.Client{})
	authtest.NoError(t, err)
}

// TestRefreshNeverOutlivesTheSession: refresh tokens and access tokens
// stop at the session's absolute end, however often they are refreshed.
func TestRefreshNeverOutlivesTheSession(t *testing.T) {
	opts := auth.DefaultOptions()
	opts.SessionAbsoluteTTL = time.Hour
	e := newEnv(t, withOptions(opts))
	e.register(t, "alice", "alice@example.com")
	g := e.login(t, "alice")
	ctx := context.Background()
	for range 5 {
		e.clock.Advance(11 * time.Minute)
		next, err := e.svc.RefreshGrant(ctx, g.RefreshToken, auth.Client{})
		authtest.NoError(t, err)
		g = next
	}
	// 55 minutes in: the access token is cut to the session's last 5.
	authtest.Equal(t, g.ExpiresIn, 5*time.Minute)
	e.clock.Advance(6 * time.Minute)
	_, err := e.svc.RefreshGrant(ctx, g.RefreshToken, auth.Client{})
	authtest.Code(t, err, auth.CodeInvalidGrant)
}

func TestDisabledUserLosesTokens(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")
	g := e.login(t, "alice")
	_, err := e.svc.SetDisabled(context.Background(), nil, "alice@example.com", true)
	authtest.NoError(t, err)
	if err := e.authorized(t, g.AccessToken); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("disabled user's access token: %v", err)
	}
	_, err = e.svc.RefreshGrant(context.Background(), g.RefreshToken, auth.Client{})
	authtest.Code(t, err, auth.CodeInvalidGrant)
	// Re-enabling does not bring old sessions back.
	_, err = e.svc.SetDisabled(context.Background(), nil, "alice@example.com", false)
	authtest.NoError(t, err)
	if err := e.authorized(t, g.AccessToken); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("re-enabled user's old access token: %v", err)
	}
}

func TestRevoke(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")
	ctx := context.Background()

	byRefresh := e.login(t, "alice")
	authtest.NoError(t, e.svc.Revoke(ctx, byRefresh.RefreshToken, auth.Client{}))
	if err := e.authorized(t, byRefresh.AccessToken); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("after revoking the refresh token: %v", err)
	}

	byAccess := e.login(t, "alice")
	authtest.NoError(t, e.svc.Revoke(ctx, byAccess.AccessToken, auth.Client{}))
	_, err := e.svc.RefreshGrant(ctx, byAccess.RefreshToken, auth.Client{})
	authtest.Code(t, err, auth.CodeInvalidGrant)

	for _, tok := range []string{"unknown", "a.b.c", byRefresh.RefreshToken} {
		authtest.NoError(t, e.svc.Revoke(ctx, tok, auth.Client{}))
	}
	authtest.Code(t, e.svc.Revoke(ctx, "", auth.Client{}), auth.CodeInvalid)
}
