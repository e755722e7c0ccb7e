package auth

import (
	"context"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
)

// Passkeys (DESIGN.md, "Second factor and passkeys"): WebAuthn credentials
// that are discoverable (the authenticator keeps the account, so the login
// page asks for nothing first) and verify their user (a PIN, a fingerprint),
// so a passkey login is a complete login, two factors in one: something
// held and something known or been. The relying party is the base URL's
// host, so a passkey works for that host only, and changing the host
// orphans every passkey made for the old one.
//
// A ceremony (adding a passkey, or a login with one) has two steps: the
// server hands out a challenge, the browser's authenticator signs it. What
// the first step must remember for the second lives in the database, so
// that the two may reach different instances; the browser holds only a
// random handle to it, which grants nothing without the signature.

// Passkey is a WebAuthn credential of a user's.
type Passkey struct {
	ID     string
	UserID string
	// Credential is the credential as the WebAuthn library keeps it: its
	// id, public key, signature counter, flags, transports and AAGUID.
	Credential webauthn.Credential
	Name       string // the user's name for it ("Phone", "YubiKey")
	CreatedAt  time.Time
	LastUsedAt *time.Time // nil until it is first used to log in
}

// CeremonyKind says which ceremony a PasskeyCeremony is the first half of.
type CeremonyKind string

// The ceremony kinds.
const (
	CeremonyRegister CeremonyKind = "register" // adding a passkey to an account
	CeremonyLogin    CeremonyKind = "login"    // logging in with one
)

// CeremonyTTL is how long a ceremony waits for its second step: long
// enough to find the security key or unlock the phone, short enough that a
// forgotten tab's challenge is soon worth nothing.
const CeremonyTTL = 5 * time.Minute

// MaxPasskeys bounds the passkeys of one account: every one is listed on
// /account and offered to the authenticator to exclude when adding
// another, and nobody needs more.
const MaxPasskeys = 20

// MaxPasskeyName is the longest name a passkey may have, in characters.
const MaxPasskeyName = 64

// PasskeyCeremony is a ceremony in progress as the database keeps it: the
// WebAuthn session data (the challenge among it) under the SHA-256 of the
// handle the browser holds. It is used once: taking it deletes it.
type PasskeyCeremony struct {
	ID        string
	TokenHash string
	UserID    string // whose passkey is being added; "" for a login, whose user is not known yet
	Kind      CeremonyKind
	Session   webauthn.SessionData
	Name      string // what the passkey being added is to be called; "" for a login
	CreatedAt time.Time
	ExpiresAt time.Time
}

// PasskeyStore is the part of Store that keeps passkeys and their
// ceremonies.
type PasskeyStore interface {
	// CreatePasskeyCeremony stores the first half of a ceremony.
	CreatePasskeyCeremony(ctx context.Context, c *PasskeyCeremony) error
	// TakePasskeyCeremony deletes and returns the ceremony whose handle
	// hashes to hash, if it is of that kind, belongs to userID ("" for a
	// login) and has not expired at now. Deleting it is the
	// compare-and-set that makes it single use: of two concurrent takes,
	// one gets it. ErrNotFound, deleting nothing, otherwise.
	TakePasskeyCeremony(ctx context.Context, hash string, kind CeremonyKind, userID string, now time.Time) (*PasskeyCeremony, error)
	// CreatePasskey stores a new passkey and records events, in one
	// transaction; ErrPasskeyTaken if its credential is stored already.
	CreatePasskey(ctx context.Context, p *Passkey, events ...Event) error
	// ListPasskeys returns the user's passkeys, oldest first.
	ListPasskeys(ctx context.Context, userID string) ([]*Passkey, error)
	// PasskeyByCredentialID returns the passkey with that credential id,
	// and its user; ErrNotFound for none.
	PasskeyByCredentialID(ctx context.Context, credentialID []byte) (*Passkey, *User, error)
	// UsePasskey stores p's credential as a login left it (its signature
	// counter, its flags) and notes it used at `at`; ErrNotFound when it
	// is gone.
	UsePasskey(ctx context.Context, p *Passkey, at time.Time) error
	// RenamePasskey renames one of the user's passkeys; ErrNotFound when
	// the user has no such passkey.
	RenamePasskey(ctx context.Context, userID, passkeyID, name string) error
	// DeletePasskey deletes one of the user's passkeys and records events,
	// in one transaction; ErrNotFound, writing nothing, when the user has
	// no such passkey.
	DeletePasskey(ctx context.Context, userID, passkeyID string, events ...Event) error
}

// ErrPasskeyTaken is the store's answer to a credential stored already:
// an authenticator asked to make a second passkey for one account where
// it holds one (the browser is told which to exclude, and this holds
// should it not listen).
var ErrPasskeyTaken = &Error{Code: CodeInvalid, Message: "This passkey is registered already."}
