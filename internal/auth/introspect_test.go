package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
)

func (e *env) introspect(t *testing.T, tok string) *auth.Introspection {
	t.Helper()
	in, err := e.svc.Introspect(context.Background(), tok)
	authtest.NoError(t, err)
	return in
}

func inactive(t *testing.T, what string, in *auth.Introspection) {
	t.Helper()
	if *in != (auth.Introspection{}) {
		t.Errorf("%s: %+v, want inactive and nothing else", what, in)
	}
}

func TestIntrospectActive(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "Alice", "alice@example.com")
	g := e.login(t, "alice")
	issued := e.clock.Now().UTC()

	at := e.introspect(t, g.AccessToken)
	want := auth.Introspection{Active: true, TokenType: auth.TokenTypeBearer, UserID: u.ID, Username: "Alice", Role: auth.RoleUser,
		SessionID: g.Session.ID, Issuer: "http://latchkey.test", Audience: "http://latchkey.test",
		IssuedAt: issued.Truncate(time.Second), ExpiresAt: issued.Add(15 * time.Minute).Truncate(time.Second)}
	if *at != want {
		t.Errorf("access token:\n got %+v\nwant %+v", at, &want)
	}

	rt := e.introspect(t, g.RefreshToken)
	want.TokenType = auth.TokenTypeNotApplicable
	want.IssuedAt, want.ExpiresAt = issued.Truncate(time.Microsecond), issued.Add(7*24*time.Hour).Truncate(time.Microsecond)
	if *rt != want {
		t.Errorf("refresh token:\n got %+v\nwant %+v", rt, &want)
	}
}

// TestIntrospectInactive: every token that Latchkey's own endpoints would
// refuse is inactive, with nothing else said about it.
func TestIntrospectInactive(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// spoil does something to alice's fresh grant and returns the token
		// to ask about.
		spoil func(t *testing.T, e *env, g *auth.Grant) string
	}{
		{"unknown refresh token", func(*testing.T, *env, *auth.Grant) string { return auth.NewOpaqueToken() }},
		{"malformed JWT", func(*testing.T, *env, *auth.Grant) string { return "a.b.c" }},
		{"access token with a flipped signature", func(_ *testing.T, _ *env, g *auth.Grant) string {
			b := []byte(g.AccessToken)
			b[len(b)-3] ^= 1
			return string(b)
		}},
		{"expired access token", func(_ *testing.T, e *env, g *auth.Grant) string {
			e.clock.Advance(15 * time.Minute)
			return g.AccessToken
		}},
		{"expired refresh token", func(_ *testing.T, e *env, g *auth.Grant) string {
			e.clock.Advance(7 * 24 * time.Hour)
			return g.RefreshToken
		}},
		{"access token of a revoked session", func(t *testing.T, e *env, g *auth.Grant) string {
			authtest.NoError(t, e.svc.Revoke(ctx, g.RefreshToken, auth.Client{}))
			return g.AccessToken
		}},
		{"refresh token of a revoked session", func(t *testing.T, e *env, g *auth.Grant) string {
			authtest.NoError(t, e.svc.Revoke(ctx, g.AccessToken, auth.Client{}))
			return g.RefreshToken
		}},
		{"access token of a disabled user", func(t *testing.T, e *env, g *auth.Grant) string {
			_, err := e.svc.SetDisabled(ctx, nil, "alice", true)
			authtest.NoError(t, err)
			return g.AccessToken
		}},
		{"refresh token of a disabled user", func(t *testing.T, e *env, g *auth.Grant) string {
			_, err := e.svc.SetDisabled(ctx, nil, "alice", true)
			authtest.NoError(t, err)
			return g.RefreshToken
		}},
		{"used refresh token", func(t *testing.T, e *env, g *auth.Grant) string {
			e.clock.Advance(auth.RefreshMinInterval)
			_, err := e.svc.RefreshGrant(ctx, g.RefreshToken, auth.Client{})
			authtest.NoError(t, err)
			return g.RefreshToken
		}},
		{"access token of an expired session", func(_ *testing.T, e *env, g *auth.Grant) string {
			e.clock.Advance(30 * 24 * time.Hour)
			return g.AccessToken
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.register(t, "alice", "alice@example.com")
			inactive(t, tt.name, e.introspect(t, tt.spoil(t, e, e.login(t, "alice"))))
		})
	}
}

// TestIntrospectOnlyReads: asking about a used refresh token, well after
// the grace window, is not a reuse: the session lives on.
func TestIntrospectOnlyReads(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")
	g := e.login(t, "alice")
	e.clock.Advance(auth.RefreshMinInterval)
	g2, err := e.svc.RefreshGrant(context.Background(), g.RefreshToken, auth.Client{})
	authtest.NoError(t, err)
	e.clock.Advance(auth.RefreshReuseGrace + time.Second)
	inactive(t, "used refresh token", e.introspect(t, g.RefreshToken))
	authtest.NoError(t, e.authorized(t, g2.AccessToken))
	if !e.introspect(t, g2.RefreshToken).Active {
		t.Error("the session's current refresh token went inactive")
	}
}

// TestIntrospectSeesTheRoleNow: a role changed after the token was issued
// is reported as it is now, as Latchkey's own endpoints apply it.
func TestIntrospectSeesTheRoleNow(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")
	g := e.login(t, "alice")
	_, err := e.svc.SetRole(context.Background(), nil, "alice", auth.RoleAdmin)
	authtest.NoError(t, err)
	authtest.Equal(t, e.introspect(t, g.AccessToken).Role, auth.RoleAdmin)
	authtest.Equal(t, e.introspect(t, g.RefreshToken).Role, auth.RoleAdmin)
}

func TestIntrospectWithoutToken(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.Introspect(context.Background(), "")
	authtest.Code(t, err, auth.CodeInvalid)
}

func TestIntrospectionClient(t *testing.T) {
	opts := auth.DefaultOptions()
	opts.IntrospectionClients = []auth.IntrospectionClient{
		{Name: "billing", Secret: "billing-secret-0123456789"},
		{Name: "search", Secret: "search-secret-0123456789"},
	}
	e := newEnv(t, withOptions(opts))
	tests := []struct {
		name, secret string
		want         bool
	}{
		{"billing", "billing-secret-0123456789", true},
		{"search", "search-secret-0123456789", true},
		{"billing", "search-secret-0123456789", false}, // another client's secret
		{"search", "billing-secret-0123456789", false},
		{"billing", "billing-secret-012345678", false}, // a prefix
		{"billing", "billing-secret-01234567890", false},
		{"billing", "", false},
		{"", "billing-secret-0123456789", false},
		{"Billing", "billing-secret-0123456789", false},
		{"unknown", "billing-secret-0123456789", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got := e.svc.IntrospectionClient(tt.name, tt.secret); got != tt.want {
			t.Errorf("IntrospectionClient(%q, %q) = %v, want %v", tt.name, tt.secret, got, tt.want)
		}
	}

	none := newEnv(t)
	for _, c := range []struct{ name, secret string }{{"", ""}, {"billing", "billing-secret-0123456789"}} {
		if none.svc.IntrospectionClient(c.name, c.secret) {
			t.Errorf("with no clients configured, %q was let in", c.name)
		}
	}
}
