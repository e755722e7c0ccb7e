package auth

import "time"

// SessionKind says how a session's holder proves it: a cookie or tokens.
type SessionKind string

// The session kinds.
const (
	SessionBrowser SessionKind = "browser"
	SessionAPI     SessionKind = "api"
)

// Session is one login on one device. The raw cookie token of a browser
// session is never stored, only its SHA-256 in TokenHash.
type Session struct {
	ID         string
	UserID     string
	TokenHash  string // browser sessions only
	Kind       SessionKind
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // the absolute end
	// IdleTimeout ends a browser session unused for that long (0: never,
	// for API sessions, whose refresh tokens expire instead).
	IdleTimeout time.Duration
	// Remember is "remember me" on a browser session: the browser keeps
	// the cookie (Max-Age) rather than forgetting it when it closes. It is
	// stored because the idle timeout cannot tell the two kinds apart (with
	// Options.SessionIdleTTL under 12 hours both idle out alike), and a
	// password change renews the cookie in the form it had.
	Remember  bool
	UserAgent string
	IP        string
	RevokedAt *time.Time
}

// Active reports whether the session can still be used at now.
func (s *Session) Active(now time.Time) bool {
	if s.IdleTimeout > 0 && now.Sub(s.LastSeenAt) >= s.IdleTimeout {
		return false
	}
	return s.RevokedAt == nil && now.Before(s.ExpiresAt)
}

// RefreshToken is one link of a session's rotation chain; only the SHA-256
// of the opaque token is stored.
type RefreshToken struct {
	ID        string
	SessionID string
	TokenHash string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}
