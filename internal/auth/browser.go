package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Browser session lifetimes besides Options: without "remember me" the
// cookie lasts as long as the browser and the session idles out in 12 hours,
// or sooner when Options.SessionIdleTTL is shorter.
const (
	ShortIdleTimeout = 12 * time.Hour
	// TouchInterval bounds how often a session's last_seen_at is written: a
	// page view is a read, not a write per request. A session with a short
	// idle timeout is written more often (see touchInterval).
	TouchInterval = time.Minute
)

// BrowserSession is a logged-in browser: the session and the raw cookie
// token, which exists only here and in the cookie (the database keeps its
// SHA-256).
type BrowserSession struct {
	Session *Session
	User    *User
	Token   string
}

// LoginBrowser checks a password login and opens a new browser session:
// every login gets a new token, so a token planted before login (session
// fixation) is worth nothing.
func (s *Service) LoginBrowser(ctx context.Context, identifier, pw string, remember bool, c Client) (*BrowserSession, error) {
	u, err := s.Authenticate(ctx, identifier, pw, c)
	if err != nil {
		return nil, err
	}
	if u.MFAEnabled() {
		return nil, s.challenge(ctx, u, SessionBrowser, LoginPassword, remember)
	}
	return s.StartBrowserSession(ctx, u, remember, c, LoginPassword)
}

// StartBrowserSession opens a browser session for u, e.g. right after
// registration through the pages. "Remember me" idles out after
// Options.SessionIdleTTL; without it, after the shorter of that and
// ShortIdleTimeout: a browser session is the short-lived kind, never one
// that outlives the idle limit the operator set.
func (s *Service) StartBrowserSession(ctx context.Context, u *User, remember bool, c Client, method LoginMethod) (*BrowserSession, error) {
	return s.startBrowserSession(ctx, u, remember, c, method, "")
}

// startBrowserSession is StartBrowserSession after a second step with
// factor ("" for none).
func (s *Service) startBrowserSession(ctx context.Context, u *User, remember bool, c Client, method LoginMethod, factor string) (*BrowserSession, error) {
	now := s.timestamp()
	idle := s.opts.SessionIdleTTL
	if !remember {
		idle = min(idle, ShortIdleTimeout)
	}
	raw := NewOpaqueToken()
	ss := &Session{
		ID:          newID(),
		UserID:      u.ID,
		TokenHash:   HashToken(raw),
		Kind:        SessionBrowser,
		CreatedAt:   now,
		LastSeenAt:  now,
		ExpiresAt:   now.Add(s.opts.SessionAbsoluteTTL),
		IdleTimeout: idle,
		Remember:    remember,
		UserAgent:   storedUserAgent(c.UserAgent),
		IP:          c.IP,
	}
	if err := s.store.CreateSession(ctx, ss, nil, s.loginEvent(ss, c, method, factor)); err != nil {
		return nil, err
	}
	return &BrowserSession{Session: ss, User: u, Token: raw}, nil
}

// AuthorizeCookie checks a session cookie's token. It notes the session as
// seen at most once per TouchInterval.
func (s *Service) AuthorizeCookie(ctx context.Context, raw string, c Client) (*Principal, error) {
	if raw == "" {
		return nil, ErrInvalidToken
	}
	ss, u, err := s.store.SessionByTokenHash(ctx, HashToken(raw))
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: unknown session cookie", ErrInvalidToken)
	}
	if err != nil {
		return nil, err
	}
	if ss.Kind != SessionBrowser {
		return nil, fmt.Errorf("%w: not a browser session", ErrInvalidToken)
	}
	if err := s.checkSession(ss, u, ss.UserID); err != nil {
		return nil, err
	}
	if now := s.timestamp(); now.Sub(ss.LastSeenAt) >= touchInterval(ss) {
		if err := s.store.TouchSession(ctx, ss.ID, now); err != nil {
			return nil, err
		}
		ss.LastSeenAt = now
	}
	return &Principal{User: u, Session: ss, Client: c}, nil
}

// touchInterval is how stale ss's last_seen_at may be before a use writes
// it: TouchInterval, or a tenth of a short idle timeout. An unrecorded use
// brings the idle end that much closer, so a session idles out between 90
// and 100 % of its timeout after its last use, never a minute early.
func touchInterval(ss *Session) time.Duration {
	if ss.IdleTimeout > 0 {
		return min(TouchInterval, ss.IdleTimeout/10)
	}
	return TouchInterval
}

// Logout ends the session a cookie belongs to. An unknown or already ended
// session is not an error: the cookie is cleared either way.
func (s *Service) Logout(ctx context.Context, raw string, c Client) error {
	if raw == "" {
		return nil
	}
	ss, _, err := s.store.SessionByTokenHash(ctx, HashToken(raw))
	if err != nil {
		return ignoreNotFound(err)
	}
	return s.logout(ctx, ss.UserID, ss.ID, c)
}

// logout ends a session at its user's (or its token holder's) wish.
func (s *Service) logout(ctx context.Context, userID, sessionID string, c Client) error {
	now := s.timestamp()
	return ignoreNotFound(s.store.RevokeSession(ctx, userID, sessionID, now,
		newEvent(EventLogout, now, userID, c).in(sessionID)))
}

// LoginMethod is how a login proved who it was, in its audit event.
type LoginMethod string

// The login methods.
const (
	LoginPassword     LoginMethod = "password"
	LoginLink         LoginMethod = "login_link"
	LoginRegistration LoginMethod = "registration"
	LoginPasskey      LoginMethod = "passkey"
)

// loginEvent records the opening of session ss, after a second step with
// factor when it is not "".
func (s *Service) loginEvent(ss *Session, c Client, method LoginMethod, factor string) Event {
	e := newEvent(EventLoginSucceeded, ss.CreatedAt, ss.UserID, c).in(ss.ID).
		with("method", string(method), "session_kind", string(ss.Kind))
	if factor != "" {
		e = e.with("second_factor", factor)
	}
	return e
}

// renewBrowserToken gives a browser session a new cookie token, so that a
// copy of the old one (taken before a password change) stops working.
func (s *Service) renewBrowserToken(ctx context.Context, ss *Session) (string, error) {
	raw := NewOpaqueToken()
	if err := s.store.SetSessionTokenHash(ctx, ss.ID, HashToken(raw)); err != nil {
		return "", err
	}
	ss.TokenHash = HashToken(raw)
	return raw, nil
}
