package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// RefreshReuseGrace is how long after a refresh token's rotation a second
// use of it only fails, instead of revoking the session: a client that
// retried a request whose answer it lost is not an attacker.
const RefreshReuseGrace = 10 * time.Second

// RefreshMinInterval is a session's refresh budget: a refresh token younger
// than this is refused (429, the token stays good). A real client refreshes
// when its 15-minute access token runs out; one that rotates a session
// faster than once a second is abusing it, and each rotation writes a row.
// The age is the token's own, kept in the database, so the budget holds
// across instances without a counter of its own.
const RefreshMinInterval = time.Second

// Grant is what the token endpoint hands out.
type Grant struct {
	AccessToken  string
	ExpiresIn    time.Duration
	RefreshToken string
	User         *User
	Session      *Session
}

// ErrInvalidGrant is the token endpoint's answer to a refresh token that is
// unknown, used, expired, or of a revoked session or disabled user, and
// (as RFC 6749 §5.2 wants) to wrong credentials.
var ErrInvalidGrant = &Error{Code: CodeInvalidGrant, Message: "The refresh token is invalid, expired or revoked."}

// PasswordGrant logs in with a password and opens an API session.
func (s *Service) PasswordGrant(ctx context.Context, identifier, pw string, c Client) (*Grant, error) {
	u, err := s.Authenticate(ctx, identifier, pw, c)
	if err != nil {
		return nil, err
	}
	if u.MFAEnabled() {
		return nil, s.challenge(ctx, u, SessionAPI, LoginPassword, false)
	}
	return s.openAPISession(ctx, u, c, LoginPassword, "")
}

// openAPISession opens an API session for u and hands out its first pair;
// factor is the second step's, "" for none.
func (s *Service) openAPISession(ctx context.Context, u *User, c Client, method LoginMethod, factor string) (*Grant, error) {
	now := s.timestamp()
	ss := &Session{
		ID:         newID(),
		UserID:     u.ID,
		Kind:       SessionAPI,
		CreatedAt:  now,
		LastSeenAt: now,
		ExpiresAt:  now.Add(s.opts.SessionAbsoluteTTL),
		UserAgent:  storedUserAgent(c.UserAgent),
		IP:         c.IP,
	}
	raw, rt := s.newRefreshToken(ss, now)
	if err := s.store.CreateSession(ctx, ss, rt, s.loginEvent(ss, c, method, factor)); err != nil {
		return nil, err
	}
	return s.grant(u, ss, raw)
}

// RefreshGrant exchanges a refresh token for a new pair. The old token is
// used up by a compare-and-set in the database, so of concurrent uses
// exactly one wins. A token presented again after RefreshReuseGrace is
// taken as stolen: the whole session is revoked.
func (s *Service) RefreshGrant(ctx context.Context, raw string, c Client) (_ *Grant, err error) {
	defer func() { s.meter.Refresh(err) }()
	if raw == "" {
		return nil, &Error{Code: CodeInvalid, Message: "The refresh_token parameter is missing.",
			Fields: []FieldError{{Field: "refresh_token", Code: "required", Message: "Send the refresh token."}}}
	}
	rt, ss, u, err := s.store.RefreshTokenByHash(ctx, HashToken(raw))
	if errors.Is(err, ErrNotFound) {
		return nil, ErrInvalidGrant
	}
	if err != nil {
		return nil, err
	}
	now := s.timestamp()
	if rt.UsedAt != nil {
		if now.Sub(*rt.UsedAt) > RefreshReuseGrace {
			s.meter.RefreshReused()
			// Whoever presents it may be the thief or the owner: anonymous.
			reuse := newEvent(EventTokenReuseDetected, now, ss.UserID, c).by("").in(ss.ID)
			if err := s.store.RevokeSession(ctx, ss.UserID, ss.ID, now, reuse); err != nil && !errors.Is(err, ErrNotFound) {
				return nil, err
			}
		}
		return nil, ErrInvalidGrant
	}
	if !ss.Active(now) || u.Disabled() || !now.Before(rt.ExpiresAt) {
		return nil, ErrInvalidGrant
	}
	if now.Sub(rt.CreatedAt) < RefreshMinInterval {
		return nil, errRefreshTooSoon
	}
	next, nextRT := s.newRefreshToken(ss, now)
	// last_seen_at is written at most once per TouchInterval, as for
	// cookies: a refresh is a use, not a reason for a second row write.
	touch := now.Sub(ss.LastSeenAt) >= touchInterval(ss)
	won, err := s.store.RotateRefreshToken(ctx, rt.ID, now, nextRT, touch)
	if err != nil {
		return nil, err
	}
	if !won {
		return nil, ErrInvalidGrant // a concurrent use won, a moment ago
	}
	return s.grant(u, ss, next)
}

// errRefreshTooSoon is the answer to a refresh over the session's budget;
// the wait left is under RefreshMinInterval, a second in Retry-After's
// whole seconds.
var errRefreshTooSoon = &Error{Code: CodeTooManyAttempts, RetryAfter: RefreshMinInterval,
	Message: "This session was refreshed less than a second ago; keep using the tokens it got, or retry in a second."}

// Revoke ends the session behind a refresh or an access token (RFC 7009).
// An unknown, invalid or already revoked token is not an error: the
// endpoint answers the same either way, so it reveals nothing.
func (s *Service) Revoke(ctx context.Context, token string, c Client) error {
	if token == "" {
		return &Error{Code: CodeInvalid, Message: "The token parameter is missing.",
			Fields: []FieldError{{Field: "token", Code: "required", Message: "Send the token to revoke."}}}
	}
	if strings.Count(token, ".") == 2 && s.tokens != nil {
		claims, err := s.verifyAccessToken(token)
		if err != nil {
			return nil
		}
		return s.logout(ctx, claims.UserID, claims.SessionID, c)
	}
	_, ss, _, err := s.store.RefreshTokenByHash(ctx, HashToken(token))
	if err != nil {
		return ignoreNotFound(err)
	}
	return s.logout(ctx, ss.UserID, ss.ID, c)
}

func ignoreNotFound(err error) error {
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

func (s *Service) grant(u *User, ss *Session, refresh string) (*Grant, error) {
	if s.tokens == nil {
		return nil, errors.New("grant: no access token issuer configured")
	}
	at, exp, err := s.tokens.Issue(u.ID, ss.ID, string(u.Role), ss.ExpiresAt)
	if err != nil {
		return nil, fmt.Errorf("issue access token: %w", err)
	}
	// exp has whole seconds (JWT NumericDate); round the lifetime up so a
	// 15-minute token reads as 900 s, not 899. The time it counts from is
	// read after the issuer read its own: counted from before, the
	// lifetime could come out a second longer than the token has.
	expiresIn := (exp.Sub(s.timestamp()) + time.Second - 1).Truncate(time.Second)
	return &Grant{AccessToken: at, ExpiresIn: expiresIn, RefreshToken: refresh, User: u, Session: ss}, nil
}

// newRefreshToken returns a fresh opaque token and the row that stores its
// hash. It never outlives the session.
func (s *Service) newRefreshToken(ss *Session, now time.Time) (string, *RefreshToken) {
	raw := NewOpaqueToken()
	exp := now.Add(s.opts.RefreshTokenTTL)
	if exp.After(ss.ExpiresAt) {
		exp = ss.ExpiresAt
	}
	return raw, &RefreshToken{ID: newID(), SessionID: ss.ID, TokenHash: HashToken(raw), CreatedAt: now, ExpiresAt: exp}
}

// NewOpaqueToken returns 32 random bytes, base64url-encoded: a refresh
// token or a session cookie.
func NewOpaqueToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand panics rather than return short)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is the form an opaque token is stored and looked up in. A
// plain SHA-256 suffices: the token has 256 bits of entropy, nothing to
// brute-force.
func HashToken(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// storedUserAgent is a User-Agent as a session keeps it: valid text
// (CleanHeader), cut to 512 bytes at a character boundary.
func storedUserAgent(ua string) string {
	ua = CleanHeader(ua)
	if len(ua) <= 512 {
		return ua
	}
	return strings.ToValidUTF8(ua[:512], "")
}
