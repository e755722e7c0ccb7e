// Package auth is Latchkey's application core: users, the identity rules,
// registration and authentication, and the Store interface the databases
// implement. It imports no HTTP and no SQL, so every rule here can be tested
// with a plain function call and holds the same behind every transport.
package auth

import (
	"context"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"
	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/seal"
)

// Role says what a user may do beyond their own resources.
type Role string

// The roles. An admin may edit and delete anyone's posts and manage users.
const (
	RoleUser  Role = "user"
	RoleAdmin Role = "admin"
)

// User is an account. PasswordHash is a PHC string; it never leaves the
// server, so it has no JSON name and transports map User to their own types.
type User struct {
	ID           string
	Username     string // as typed (after NFKC), for display
	Email        string // lower-case
	PasswordHash string
	Role         Role
	CreatedAt    time.Time
	UpdatedAt    time.Time
	DisabledAt   *time.Time // nil while the account is active
	// EmailVerifiedAt is when the address was proven (a link in a mail to
	// it was used); nil until then.
	EmailVerifiedAt *time.Time
	// PendingEmail is an address the user asked to move to, waiting for
	// the link sent to it; "" for none.
	PendingEmail string
	// MFAEnabledAt is when two-step verification (TOTP) was turned on;
	// nil while it is off.
	MFAEnabledAt *time.Time
}

// MFAEnabled reports whether a login must also give a code.
func (u *User) MFAEnabled() bool { return u.MFAEnabledAt != nil }

// Disabled reports whether the account has been disabled by an operator.
func (u *User) Disabled() bool { return u.DisabledAt != nil }

// Client describes where an attempt comes from, for throttling and for the
// session rows later flows create.
type Client struct {
	IP        string // the client address as the transport determined it
	UserAgent string
}

// Hasher is the part of password.Hasher the flows use. It is an interface
// only so that the flows can be written against the behaviour, not the pool.
type Hasher interface {
	Hash(ctx context.Context, password string) (string, error)
	Verify(ctx context.Context, password, encoded string) (ok, rehash bool, err error)
	VerifyDummy(ctx context.Context, password string) error
}

var _ Hasher = (*password.Hasher)(nil)

// Options are the policy settings the flows need.
type Options struct {
	PasswordMinLength  int           // at least 8; see Rules
	RefreshTokenTTL    time.Duration // a refresh token's lifetime
	SessionAbsoluteTTL time.Duration // a session ends this long after login
	SessionIdleTTL     time.Duration // a browser session unused this long ends
	// LoginLinks turns on passwordless sign-in links by e-mail
	// (LATCHKEY_LOGIN_LINKS).
	LoginLinks bool
	// RequireVerifiedEmail refuses logins and writes to accounts whose
	// address is not proven (LATCHKEY_REQUIRE_VERIFIED_EMAIL).
	RequireVerifiedEmail bool
	// AuditRetention is how long audit events are kept
	// (LATCHKEY_AUDIT_RETENTION).
	AuditRetention time.Duration
	// IntrospectionClients are the resource servers that may ask about
	// tokens (LATCHKEY_INTROSPECTION_CLIENTS); none: nobody may.
	IntrospectionClients []IntrospectionClient
	// TOTPIssuer names the site in authenticator apps (the base URL's
	// host); "" for "Latchkey".
	TOTPIssuer string
	// BaseURL is the server's public URL (LATCHKEY_BASE_URL): its host is
	// the passkeys' relying party, its origin the only one they answer.
	// nil, or a host that is an IP address: no passkeys (see PasskeysOn).
	BaseURL *url.URL
}

// DefaultOptions are the defaults of DESIGN.md.
func DefaultOptions() Options {
	return Options{
		PasswordMinLength:  MinPasswordFloor,
		RefreshTokenTTL:    7 * 24 * time.Hour,
		SessionAbsoluteTTL: 30 * 24 * time.Hour,
		SessionIdleTTL:     7 * 24 * time.Hour,
		LoginLinks:         true,
		AuditRetention:     90 * 24 * time.Hour,
	}
}

// Deps are the collaborators of a Service.
type Deps struct {
	Store   Store
	Hasher  Hasher
	Limiter Limiter      // nil: no per-IP limit
	Tokens  AccessTokens // nil: the token flows are unavailable
	Now     func() time.Time
	// MailQueued, if set, is called when a flow has queued mail, so that
	// the sender delivers it at once rather than at its next look.
	MailQueued func()
	// Meter, if set, counts the outcomes of the flows: the metrics.
	Meter Meter
	// Secrets, if set, seals TOTP secrets at rest (the master key).
	Secrets *seal.Box
}

// Meter counts the outcomes of the flows for the server's metrics. Each
// method but RefreshReused is told the error its flow returns (nil for a
// success) at the one place the outcome is known. It must be quick and
// safe for concurrent use.
type Meter interface {
	Login(err error)        // a login: a password checked (Authenticate), a sign-in link or a passkey used
	Registration(err error) // a registration (Register)
	Refresh(err error)      // a refresh token grant (RefreshGrant)
	RefreshReused()         // a refresh token used again: its session revoked
}

type noMeter struct{}

func (noMeter) Login(error)        {}
func (noMeter) Registration(error) {}
func (noMeter) Refresh(error)      {}
func (noMeter) RefreshReused()     {}

// Service runs the account flows over a Store. Its methods are safe for
// concurrent use.
type Service struct {
	store   Store
	hasher  Hasher
	limiter Limiter
	tokens  AccessTokens
	opts    Options
	rules   Rules
	now     func() time.Time
	queued  func() // Deps.MailQueued
	meter   Meter
	secrets *seal.Box
	// introspectors are Options.IntrospectionClients as digests, which
	// is all IntrospectionClient compares.
	introspectors []clientDigest
	// rp is the passkeys' relying party, from Options.BaseURL; nil when
	// passkeys cannot work there.
	rp *webauthn.WebAuthn
}

// NewService returns a Service.
func NewService(d Deps, opts Options) *Service {
	if d.Limiter == nil {
		d.Limiter = noLimit{}
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.MailQueued == nil {
		d.MailQueued = func() {}
	}
	if d.Meter == nil {
		d.Meter = noMeter{}
	}
	introspectors := digestClients(opts.IntrospectionClients)
	opts.IntrospectionClients = nil     // the digests are kept instead of the secrets
	rp, _ := relyingParty(opts.BaseURL) // an error means no passkeys, which PasskeysOn tells
	return &Service{
		store:   d.Store,
		hasher:  d.Hasher,
		limiter: d.Limiter,
		tokens:  d.Tokens,
		opts:    opts,
		rules:   Rules{PasswordMinLength: opts.PasswordMinLength},
		now:     d.Now,
		queued:  d.MailQueued,
		meter:   d.Meter,
		secrets: d.Secrets,

		introspectors: introspectors,
		rp:            rp,
	}
}

// timestamp is the service clock in the precision both databases keep, so a
// time read back compares equal to the time written.
func (s *Service) timestamp() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}

// WellFormedID reports whether id could be one of ours (a UUID in its
// canonical text form). A path id that is not is simply not found, without
// a trip to the database, where odd bytes (NUL, invalid UTF-8) could
// otherwise surface as errors rather than as "no such row".
func WellFormedID(id string) bool {
	if len(id) != 36 {
		return false
	}
	_, err := uuid.Parse(id)
	return err == nil
}
