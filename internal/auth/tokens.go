package auth

import "time"

// AccessClaims are what an access token asserts: who (UserID, Role), in
// which session (SessionID, the sessions row's id, as GET /api/sessions
// lists it), and until when.
type AccessClaims struct {
	ID        string // the token's jti
	UserID    string // sub
	SessionID string // sid
	Role      Role
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// AccessTokens issues and verifies signed access tokens. Package token
// implements it; the flows only need these two operations, so they stay
// free of JOSE.
type AccessTokens interface {
	// Issue signs a token for u in session sessionID. The token expires
	// after the configured lifetime, but never after notAfter (the
	// session's absolute end).
	Issue(u *User, sessionID string, notAfter time.Time) (token string, expiresAt time.Time, err error)
	// Verify checks a token's signature, algorithm, type, key id, issuer,
	// audience and expiry, and returns its claims; any failure is
	// ErrInvalidToken (possibly wrapped with the reason, for logs).
	Verify(token string) (*AccessClaims, error)
}

// ErrInvalidToken is the answer to an access or refresh token that is
// malformed, forged, expired, revoked or of a disabled user. The reason is
// deliberately not told to the client.
var ErrInvalidToken = &Error{Code: CodeInvalidToken, Message: "The token is invalid, expired or revoked."}
