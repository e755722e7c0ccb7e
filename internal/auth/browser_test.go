package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
)

func (e *env) browserLogin(t *testing.T, ident string, remember bool) *auth.BrowserSession {
	t.Helper()
	bs, err := e.svc.LoginBrowser(context.Background(), ident, goodPassword, remember, auth.Client{IP: "192.0.2.5", UserAgent: "Firefox"})
	if err != nil {
		t.Fatalf("browser login: %v", err)
	}
	return bs
}

func (e *env) cookieOK(t *testing.T, token string) error {
	t.Helper()
	_, err := e.svc.AuthorizeCookie(context.Background(), token, auth.Client{})
	return err
}

func TestBrowserLogin(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "alice", "alice@example.com")
	bs := e.browserLogin(t, "alice", true)
	if bs.Token == "" || bs.Session.Kind != auth.SessionBrowser || bs.Session.IdleTimeout != 7*24*time.Hour {
		t.Fatalf("browser session %+v", bs.Session)
	}
	p, err := e.svc.AuthorizeCookie(context.Background(), bs.Token, auth.Client{})
	authtest.NoError(t, err)
	authtest.Equal(t, p.User.ID, u.ID)
	// The database keeps the hash, not the token.
	if _, _, err := e.store.SessionByTokenHash(context.Background(), bs.Token); !errors.Is(err, auth.ErrNotFound) {
		t.Fatal("the raw cookie token is findable in the database")
	}
	// Every login is a new session with a new token (no fixation).
	again := e.browserLogin(t, "alice", true)
	if again.Token == bs.Token || again.Session.ID == bs.Session.ID {
		t.Fatal("a second login reused the session")
	}
	for _, bad := range []string{"", "garbage", bs.Session.ID} {
		if err := e.cookieOK(t, bad); !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("cookie %q: %v", bad, err)
		}
	}
}

func TestBrowserSessionLifetimes(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")

	short := e.browserLogin(t, "alice", false)
	authtest.Equal(t, short.Session.IdleTimeout, auth.ShortIdleTimeout)
	e.clock.Advance(11 * time.Hour)
	authtest.NoError(t, e.cookieOK(t, short.Token)) // seen: the idle clock restarts
	e.clock.Advance(11 * time.Hour)
	authtest.NoError(t, e.cookieOK(t, short.Token))
	e.clock.Advance(12 * time.Hour)
	if err := e.cookieOK(t, short.Token); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("12 h idle without remember-me: %v", err)
	}

	long := e.browserLogin(t, "alice", true)
	for range 5 { // used every 6 days, up to day 29: idle never reached...
		e.clock.Advance(29 * 24 * time.Hour / 5)
		authtest.NoError(t, e.cookieOK(t, long.Token))
	}
	e.clock.Advance(2 * 24 * time.Hour) // ...but day 31 is past the absolute 30 days
	if err := e.cookieOK(t, long.Token); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("past the absolute lifetime: %v", err)
	}
}

// TestIdleTTLUnderTwelveHours: LATCHKEY_SESSION_IDLE_TTL shorter than 12
// hours binds every browser session, remembered or not: a browser session
// idles out at the shorter of 12 hours and the setting.
func TestIdleTTLUnderTwelveHours(t *testing.T) {
	opts := auth.DefaultOptions()
	opts.SessionIdleTTL = time.Minute
	e := newEnv(t, withOptions(opts))
	e.register(t, "alice", "alice@example.com")
	for _, remember := range []bool{false, true} {
		bs := e.browserLogin(t, "alice", remember)
		authtest.Equal(t, bs.Session.IdleTimeout, time.Minute)
		authtest.Equal(t, bs.Session.Remember, remember)
		e.clock.Advance(59 * time.Second)
		authtest.NoError(t, e.cookieOK(t, bs.Token))

		idle := e.browserLogin(t, "alice", remember)
		e.clock.Advance(75 * time.Second)
		if err := e.cookieOK(t, idle.Token); !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("remember me %v, 75 s idle with a 1 min idle TTL: %v", remember, err)
		}
	}
}

// TestShortIdleTTLCountsFromTheLastUse: with a 1-minute idle TTL, a
// session used every 30 seconds never idles out. Writing last_seen_at only
// once a minute would let it: the use at 30 s would go unrecorded, and at
// 65 s the session would look 65 s idle.
func TestShortIdleTTLCountsFromTheLastUse(t *testing.T) {
	opts := auth.DefaultOptions()
	opts.SessionIdleTTL = time.Minute
	e := newEnv(t, withOptions(opts))
	e.register(t, "alice", "alice@example.com")
	bs := e.browserLogin(t, "alice", true)
	for i := range 6 {
		e.clock.Advance(30 * time.Second)
		if err := e.cookieOK(t, bs.Token); err != nil {
			t.Fatalf("used every 30 s, at %d s: %v", 30*(i+1), err)
		}
	}
	e.clock.Advance(61 * time.Second)
	if err := e.cookieOK(t, bs.Token); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("61 s after its last use: %v", err)
	}
}

// TestLastSeenWrittenAtMostOncePerMinute: a page view reads; it writes
// last_seen_at only when the stored value is a minute old.
func TestLastSeenWrittenAtMostOncePerMinute(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")
	bs := e.browserLogin(t, "alice", true)
	ctx := context.Background()
	seen := func() time.Time {
		ss, _, err := e.store.SessionByTokenHash(ctx, auth.HashToken(bs.Token))
		authtest.NoError(t, err)
		return ss.LastSeenAt
	}
	start := seen()
	e.clock.Advance(30 * time.Second)
	authtest.NoError(t, e.cookieOK(t, bs.Token))
	if !seen().Equal(start) {
		t.Fatal("last_seen_at written twice within a minute")
	}
	e.clock.Advance(31 * time.Second)
	authtest.NoError(t, e.cookieOK(t, bs.Token))
	if !seen().Equal(e.clock.Now()) {
		t.Fatalf("last_seen_at %v, want %v", seen(), e.clock.Now())
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")
	bs := e.browserLogin(t, "alice", true)
	other := e.browserLogin(t, "alice", true)
	authtest.NoError(t, e.svc.Logout(context.Background(), bs.Token, auth.Client{}))
	if err := e.cookieOK(t, bs.Token); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("replayed logged-out cookie: %v", err)
	}
	authtest.NoError(t, e.cookieOK(t, other.Token))
	authtest.NoError(t, e.svc.Logout(context.Background(), bs.Token, auth.Client{})) // twice: fine
	authtest.NoError(t, e.svc.Logout(context.Background(), "unknown", auth.Client{}))
}

// TestPasswordChangeRenewsBrowserCookie: the current browser session stays
// but its old cookie value stops working; other sessions end.
func TestPasswordChangeRenewsBrowserCookie(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")
	bs, other := e.browserLogin(t, "alice", true), e.browserLogin(t, "alice", true)
	api := e.login(t, "alice")
	ctx := context.Background()
	p, err := e.svc.AuthorizeCookie(ctx, bs.Token, auth.Client{})
	authtest.NoError(t, err)
	fresh, err := e.svc.ChangePassword(ctx, p, goodPassword, "a brand new passphrase")
	authtest.NoError(t, err)
	if fresh == "" || fresh == bs.Token {
		t.Fatalf("no new cookie token: %q", fresh)
	}
	p2, err := e.svc.AuthorizeCookie(ctx, fresh, auth.Client{})
	authtest.NoError(t, err)
	authtest.Equal(t, p2.Session.ID, bs.Session.ID)
	for name, err := range map[string]error{
		"old cookie value": e.cookieOK(t, bs.Token),
		"other browser":    e.cookieOK(t, other.Token),
		"api session":      e.authorized(t, api.AccessToken),
	} {
		if !errors.Is(err, auth.ErrInvalidToken) {
			t.Errorf("%s after a password change: %v", name, err)
		}
	}
}

// TestAccessTokenCannotUseBrowserSession and vice versa: a cookie token
// never works as a refresh token.
func TestCookieIsNotARefreshToken(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")
	bs := e.browserLogin(t, "alice", true)
	_, err := e.svc.RefreshGrant(context.Background(), bs.Token, auth.Client{})
	authtest.Code(t, err, auth.CodeInvalidGrant)
	api := e.login(t, "alice")
	if err := e.cookieOK(t, api.RefreshToken); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("refresh token as a cookie: %v", err)
	}
}
