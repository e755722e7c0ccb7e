package auth

import "time"

// TokenKind names what a one-time token, sent by e-mail, is for.
type TokenKind string

// The one-time token kinds (DESIGN.md, "Account e-mails").
const (
	TokenVerifyEmail     TokenKind = "verify_email"
	TokenResetPassword   TokenKind = "reset_password"
	TokenConfirmEmail    TokenKind = "confirm_email"
	TokenUndoEmailChange TokenKind = "undo_email_change"
	TokenLoginLink       TokenKind = "login_link"
)

// TTL is how long a link of this kind stays valid: long enough to reach an
// inbox and be read, short where the link grants a login or a password.
func (k TokenKind) TTL() time.Duration {
	switch k {
	case TokenResetPassword:
		return 30 * time.Minute
	case TokenLoginLink:
		return 10 * time.Minute
	case TokenUndoEmailChange:
		return 7 * 24 * time.Hour
	}
	return 24 * time.Hour // verification and confirmation of an address
}

// OneTimeToken is a link's token as stored: only its SHA-256. It is bound to
// its user and to the address it was sent to; if that is no longer the
// user's address (for a confirmation, the pending one), the token is dead.
type OneTimeToken struct {
	ID        string
	Kind      TokenKind
	UserID    string
	Email     string
	TokenHash string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// newOneTimeToken returns a fresh raw token and its row, for u at address.
func newOneTimeToken(kind TokenKind, u *User, address string, now time.Time) (string, *OneTimeToken) {
	raw := NewOpaqueToken()
	return raw, &OneTimeToken{
		ID: newID(), Kind: kind, UserID: u.ID, Email: address, TokenHash: HashToken(raw),
		CreatedAt: now, ExpiresAt: now.Add(kind.TTL()),
	}
}
