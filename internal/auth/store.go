package auth

import (
	"context"
	"time"
)

// Store persists accounts, their sessions and their failed logins. SQLite
// and PostgreSQL implement it in package store; authtest holds the
// contract suite both must pass.
//
// Uniqueness of usernames (case-insensitively) and emails is the store's job
// and must be enforced by the database itself, so that concurrent
// registrations cannot both succeed: CreateUser returns ErrUsernameTaken or
// ErrEmailTaken on a conflict. Lookups return ErrNotFound for a missing row.
// A store that cannot reach its database returns an error wrapping
// ErrUnavailable.
type Store interface {
	// CreateUser inserts u, and queues letters (a verification link) and
	// records events in the same transaction; u.ID and the timestamps are
	// set by the caller.
	CreateUser(ctx context.Context, u *User, letters []Letter, events ...Event) error
	UserByID(ctx context.Context, id string) (*User, error)
	// UserByEmail looks up an email already lower-cased.
	UserByEmail(ctx context.Context, email string) (*User, error)
	// UserByUsername compares case-insensitively.
	UserByUsername(ctx context.Context, username string) (*User, error)
	// IdentityTaken reports, in one look-up, whether an account has the
	// username (case-insensitively) and whether one has the email (already
	// lower-cased).
	IdentityTaken(ctx context.Context, username, email string) (usernameTaken, emailTaken bool, err error)
	// SetPasswordHash replaces a hash with an upgraded one of the same
	// password: not an event, so not a Change.
	SetPasswordHash(ctx context.Context, userID, hash string, at time.Time) error
	// ListUsers returns the users q selects, newest first (by created_at,
	// then id), each with when it was last seen. It is for operators and
	// admins, not for every request: a match is a scan of the table in
	// that order.
	ListUsers(ctx context.Context, q UserQuery) ([]*UserOverview, error)

	// DeleteUser deletes the user and, by cascade, everything they own
	// (their sessions here and their posts in package blog), and records
	// events, in one transaction; ErrLastAdmin, deleting nothing, for the
	// last active admin.
	DeleteUser(ctx context.Context, userID string, events ...Event) error

	// CreateSession inserts a session and, for API sessions, its first
	// refresh token (rt may be nil), and records events, atomically.
	CreateSession(ctx context.Context, s *Session, rt *RefreshToken, events ...Event) error
	// SessionWithUser returns a session and its user in one look-up: the
	// check behind every authenticated request.
	SessionWithUser(ctx context.Context, sessionID string) (*Session, *User, error)
	// SessionByTokenHash returns a browser session, by the hash of its
	// cookie token, and its user.
	SessionByTokenHash(ctx context.Context, hash string) (*Session, *User, error)
	// TouchSession sets a session's last_seen_at.
	TouchSession(ctx context.Context, sessionID string, at time.Time) error
	// SetSessionTokenHash gives a browser session a new cookie token.
	SetSessionTokenHash(ctx context.Context, sessionID, hash string) error
	// RefreshTokenByHash returns a refresh token with its session and user.
	RefreshTokenByHash(ctx context.Context, hash string) (*RefreshToken, *Session, *User, error)
	// RotateRefreshToken marks the token oldID used at `at` only if it is
	// still unused (a compare-and-set), inserts next and, if touch, notes
	// the session as seen, all in one transaction. It returns false,
	// changing nothing, when another use won the race.
	RotateRefreshToken(ctx context.Context, oldID string, at time.Time, next *RefreshToken, touch bool) (bool, error)
	// ListSessions returns the user's sessions that are neither revoked nor
	// expired at now, newest first.
	ListSessions(ctx context.Context, userID string, now time.Time) ([]*Session, error)
	// RevokeSession revokes one session (of that user) if not yet revoked,
	// and records events; ErrNotFound, writing nothing, when the user has
	// no such session, and nothing either when it was revoked already.
	RevokeSession(ctx context.Context, userID, sessionID string, at time.Time, events ...Event) error
	// RevokeUserSessions revokes every session of the user but exceptID,
	// and records events, in one transaction.
	RevokeUserSessions(ctx context.Context, userID, exceptID string, at time.Time, events ...Event) error

	// The account throttle's attempts live in the database so that every
	// instance counts the same ones; key names an account ("user:ID") or
	// an identifier that matched none.
	//
	// ReserveLoginAttempt is the throttle's one atomic step, taken before
	// a password is checked: it counts key's attempts since a time (its
	// failures and the attempts still being checked) and, if there are
	// fewer than limit, records one more at `at` and returns its id with
	// ok true. Otherwise it records nothing and returns the oldest attempt
	// counted, from which the wait is told. However many run at once, from
	// however many instances, no more than limit are granted: reading the
	// count and writing a failure after the hash would let simultaneous
	// guesses all see room. A reservation stays, as a failure, until
	// released or cleared.
	ReserveLoginAttempt(ctx context.Context, key string, at, since time.Time, limit int) (id int64, ok bool, oldest time.Time, err error)
	// ReleaseLoginAttempt deletes one reservation that turned out not to
	// be a failure.
	ReleaseLoginAttempt(ctx context.Context, id int64) error
	// LoginFailures counts key's attempts since a time, as
	// ReserveLoginAttempt does, and returns the oldest of them.
	LoginFailures(ctx context.Context, key string, since time.Time) (count int, oldest time.Time, err error)
	// ClearLoginFailures forgets all of key's attempts, after a success.
	ClearLoginFailures(ctx context.Context, key string) error

	// ApplyChange writes c, all of it or nothing, in one transaction;
	// ErrLastAdmin, writing nothing, if it would demote or disable the
	// last active admin.
	ApplyChange(ctx context.Context, c Change) error
	// OneTimeTokenByHash returns a one-time token, used or not, and its
	// user; ErrNotFound for none.
	OneTimeTokenByHash(ctx context.Context, hash string) (*OneTimeToken, *User, error)
	// UseToken marks the token used and applies c, in one transaction, if
	// the token is still good at c.At: unused, unexpired, its user not
	// disabled and still at the token's address (the pending one for
	// TokenConfirmEmail; any for TokenUndoEmailChange). The caller checks
	// the same first, to say what is wrong; this check is the one that
	// holds against a concurrent use or change. ErrNotFound when it fails.
	UseToken(ctx context.Context, tokenID string, c Change) error
	// RequestMail records a request for mail under key (a kind of message
	// and an address), unless key had one within the last minute or
	// perHour within the last hour: then it writes nothing and returns
	// false. Otherwise it queues l's mail in the same transaction and, if
	// l has a token, ends the user's unused tokens of its kind and stores
	// it. A request that must not tell whether an address has an account
	// queues its mail without a user or token (see ResolveMail), so that
	// every address costs the same.
	// events are recorded with the mail, and only if it is queued.
	RequestMail(ctx context.Context, key string, at time.Time, perHour int, l Letter, events ...Event) (bool, error)

	// TOTPSecret returns the account's stored TOTP secret (on or still
	// being enrolled) and the last time step accepted; ErrNotFound for
	// none.
	TOTPSecret(ctx context.Context, userID string) (secret string, lastStep int64, err error)
	// RecoveryCodesLeft counts the account's unused recovery codes.
	RecoveryCodesLeft(ctx context.Context, userID string) (int, error)
	// CreateChallenge stores a login waiting for its second step.
	CreateChallenge(ctx context.Context, ch *Challenge) error
	// ChallengeByHash returns a challenge, live or not, and its user;
	// ErrNotFound for none.
	ChallengeByHash(ctx context.Context, hash string) (*Challenge, *User, error)
	// FailChallenge counts one wrong code against a live challenge and
	// returns the count; at limit the challenge is used up. ErrNotFound
	// when it is used or expired at `at`.
	FailChallenge(ctx context.Context, id string, at time.Time, limit int) (int, error)
	// UseChallenge marks the challenge used and applies c, in one
	// transaction, if it is still live at c.At (unused, unexpired);
	// ErrNotFound, writing nothing, when it is not.
	UseChallenge(ctx context.Context, id string, c Change) error

	// RecordEvents writes events that record no other change (a failed
	// login), in one transaction.
	RecordEvents(ctx context.Context, events ...Event) error
	// ListEvents returns the audit events q selects, newest first (by At,
	// then ID).
	ListEvents(ctx context.Context, q EventQuery) ([]*Event, error)

	// Purge deletes what can no longer matter at now: sessions that have
	// expired or been revoked, with their refresh tokens; refresh tokens
	// that have expired (a used one is kept until then, so that reuse is
	// still recognised); attempts of any key older than failuresBefore;
	// expired one-time tokens, requests for mail older than an hour (the
	// longest any limit looks back), mail older than a week, audit events
	// older than eventsBefore, expired passkey ceremonies;
	// and whatever the store keeps for itself that has gone stale. It
	// deletes in bounded batches, each a short transaction of its own, and
	// may run on several instances at once. It returns the rows deleted.
	Purge(ctx context.Context, now, failuresBefore, eventsBefore time.Time) (int64, error)

	// Ping reports whether the database is reachable.
	Ping(ctx context.Context) error

	PasskeyStore
}

// ErrUsernameTaken and ErrEmailTaken are the conflicts CreateUser reports.
var (
	ErrUsernameTaken = &Error{
		Code:    CodeUsernameTaken,
		Message: "That username is taken.",
		Fields:  []FieldError{{Field: "username", Code: string(CodeUsernameTaken), Message: "This username is already taken; choose another."}},
	}
	ErrEmailTaken = &Error{
		Code:    CodeEmailTaken,
		Message: "An account with that email already exists.",
		Fields:  []FieldError{{Field: "email", Code: string(CodeEmailTaken), Message: "An account with this email already exists; log in instead."}},
	}
)

// UserQuery selects users for an operator or admin: those whose username
// or e-mail holds Match (ignoring case; at their start with Prefix), after
// a cursor, at most Limit (> 0). An empty Match selects everyone; ID, when
// set, selects only the user with that id (an admin's page of one user
// shows the same last seen as the list).
type UserQuery struct {
	ID     string
	Match  string
	Prefix bool
	After  *PageCursor
	Limit  int
}

// UserOverview is a user as an admin lists them: the account and when any
// of its sessions was last used (nil: never logged in).
type UserOverview struct {
	User
	LastSeenAt *time.Time
}

// ErrLastAdmin is the store's answer to a change that would leave no
// active admin: demoting, disabling or deleting the last one. The store
// checks it inside the change's transaction, so two admins demoting each
// other at once cannot both succeed.
var ErrLastAdmin = &Error{Code: CodeLastAdmin,
	Message: "This is the last active admin: make another user an admin first."}

// Change is what a flow writes to an account at once. Zero fields change
// nothing. Writing it in one transaction means that, e.g., a password reset
// cannot set the password and leave the sessions it must end.
type Change struct {
	UserID string
	At     time.Time
	// Username, PasswordHash and Role, when set, replace the user's.
	Username     string
	PasswordHash string
	Role         Role
	// Disable disables the account at At; Enable enables it again.
	Disable, Enable bool
	// Email, when set, becomes the user's address (ErrEmailTaken if
	// another account has it meanwhile).
	Email string
	// VerifyEmail marks the (new) address as proven at At.
	VerifyEmail bool
	// PendingEmail, when set, is the address waiting for confirmation;
	// ClearPending removes it.
	PendingEmail string
	ClearPending bool
	// RevokeSessions ends every session of the user but KeepSession.
	RevokeSessions bool
	KeepSession    string
	// ClearFailures forgets the account's failed logins (this key).
	ClearFailures string
	// EndTokens ends the user's unused one-time tokens of these kinds.
	EndTokens []TokenKind
	// Letters are queued: their tokens stored, their mail in the outbox.
	Letters []Letter
	// Events are recorded in the audit log.
	Events []Event

	// TOTPSecret, when set, is stored as the account's TOTP secret, not
	// yet on (ErrMFAOn if it is on already).
	TOTPSecret string
	// EnableTOTP turns the stored secret on at At (ErrMFAOn if it is on
	// already); DisableTOTP forgets the secret and the recovery codes.
	EnableTOTP, DisableTOTP bool
	// RecoveryCodes, when set, replace the account's recovery codes
	// (their hashes).
	RecoveryCodes []string
	// Factor is a second factor this change spends; if it was spent
	// already (a replayed code, a used recovery code), the change writes
	// nothing and fails with ErrCodeUsed.
	Factor *FactorUse
}

// FactorUse is a second factor spent: a TOTP code's time step, or a
// recovery code (its hash).
type FactorUse struct {
	// Step, when > 0, becomes the last accepted time step, if it is later
	// than the one stored.
	Step int64
	// RecoveryCodeHash, when set, is marked used, if it is unused.
	RecoveryCodeHash string
}
