package auth

import "time"

// MailKind names a message; the templates that render it are package
// mail's, under the same names.
type MailKind string

// The messages the flows send.
const (
	MailVerifyEmail     MailKind = "verify_email"
	MailResetPassword   MailKind = "reset_password"
	MailPasswordChanged MailKind = "password_changed"
	MailConfirmEmail    MailKind = "confirm_email"
	MailEmailChanged    MailKind = "email_changed"
	MailLoginLink       MailKind = "login_link"
)

// Mail is a message in the outbox: written in the transaction of the change
// that causes it, and delivered later by the sender, so that no request
// waits for (or reveals anything through) a mail server. Token is the raw
// one-time token its link carries, kept only until the message is sent.
type Mail struct {
	ID        string
	Kind      MailKind
	UserID    string
	To        string
	Username  string
	Token     string // for the link; "" for a notice
	Next      string // sign-in link: where to go after
	NewEmail  string // email_changed: the address the account moved to
	CreatedAt time.Time
	Attempts  int // delivery attempts so far, counting the current one
	// AskedBy is who asked for a message queued without its account, for
	// the audit event written when the sender finds the account.
	AskedBy Client
}

// Letter is a message and the one-time token its link carries, stored
// together (Token may be nil for a notice).
type Letter struct {
	Token *OneTimeToken
	Mail  *Mail
}

// letter returns a message of kind to u at address, with a fresh one-time
// token of tokenKind for its link.
func letter(kind MailKind, tokenKind TokenKind, u *User, address string, now time.Time) Letter {
	raw, t := newOneTimeToken(tokenKind, u, address, now)
	return Letter{Token: t, Mail: notice(kind, u, address, now, raw)}
}

// notice returns a message of kind to u at address; raw is its link's
// token, "" for none.
func notice(kind MailKind, u *User, address string, now time.Time, raw string) *Mail {
	return &Mail{ID: newID(), Kind: kind, UserID: u.ID, To: address, Username: u.Username, Token: raw, CreatedAt: now}
}

// LinkTTL is how long the link in a message of this kind stays valid, for
// the message to say; zero for a notice without one.
func (k MailKind) LinkTTL() time.Duration {
	switch k {
	case MailVerifyEmail:
		return TokenVerifyEmail.TTL()
	case MailResetPassword:
		return TokenResetPassword.TTL()
	case MailConfirmEmail:
		return TokenConfirmEmail.TTL()
	case MailEmailChanged:
		return TokenUndoEmailChange.TTL()
	case MailLoginLink:
		return TokenLoginLink.TTL()
	}
	return 0
}
