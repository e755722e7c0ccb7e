package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// errPasskeyUnknown answers a passkey this server has no record of: never
// added here, removed since, or made for another site on the same host.
var errPasskeyUnknown = &Error{Code: CodeInvalidCredentials,
	Message: "This passkey is not registered here. Log in with your password, then add the passkey on your account page."}

// errPasskeyRefused answers a passkey whose answer does not verify: a
// wrong signature, challenge, origin, or no user verification.
var errPasskeyRefused = &Error{Code: CodeInvalidCredentials,
	Message: "Your passkey's answer could not be verified. Please try again."}

// BeginPasskeyLogin starts a login with a passkey: a challenge any of this
// site's passkeys may answer, the account not asked for (the passkey
// names it). It is no login attempt and takes nothing from the per-IP
// budget of logins: the login page asks for one on every view, for the
// browser's autofill, and showing a form is not an attempt. LoginWithPasskey
// is the attempt, and it needs a ceremony of its own each time.
//
// A ceremony is a row, though, written for anyone who asks: the same
// budget, in a bucket of its own ("ceremony:IP"), bounds how many one
// client can make before the purge clears them.
func (s *Service) BeginPasskeyLogin(ctx context.Context, c Client) (*PasskeyOptions, error) {
	if s.rp == nil {
		return nil, ErrPasskeysOff
	}
	if c.IP != "" {
		ok, wait, err := s.limiter.Allow(ctx, "ceremony:"+c.IP, s.now())
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, tooManyAttempts(wait)
		}
	}
	assertion, session, err := s.rp.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, fmt.Errorf("begin passkey login: %w", err)
	}
	return s.beginCeremony(ctx, CeremonyLogin, "", "", session, assertion)
}

// LoginWithPasskey checks the browser's answer to a BeginPasskeyLogin
// ceremony (response is the PublicKeyCredential as JSON) and opens a
// browser session, as a password login does. A passkey login is a
// complete login: no second step follows it.
func (s *Service) LoginWithPasskey(ctx context.Context, ceremony string, response []byte, remember bool, c Client) (*BrowserSession, error) {
	u, err := s.usePasskey(ctx, ceremony, response, c)
	if err != nil {
		return nil, err
	}
	return s.StartBrowserSession(ctx, u, remember, c, LoginPasskey)
}

// usePasskey verifies a passkey login and returns its user. The account
// passes the checks every login does: a disabled account is refused, and
// one whose address must be proven first (RequireVerifiedEmail), as after
// the right password, only its owner learns why.
func (s *Service) usePasskey(ctx context.Context, raw string, response []byte, c Client) (_ *User, err error) {
	defer func() { s.meter.Login(err) }()
	if s.rp == nil {
		return nil, ErrPasskeysOff
	}
	if err := s.allowIP(ctx, c); err != nil {
		return nil, err
	}
	cer, err := s.takeCeremony(ctx, raw, CeremonyLogin, "")
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", errUnreadableAnswer, err)
	}
	var (
		pk        *Passkey
		u         *User
		lookupErr error
	)
	// The passkey names its account twice: by its credential id, which
	// finds the stored passkey, and by its user handle, which must be
	// that passkey's owner.
	owner := func(rawID, userHandle []byte) (webauthn.User, error) {
		p, owner, err := s.store.PasskeyByCredentialID(ctx, rawID)
		if err == nil && owner.ID != userIDFromHandle(userHandle) {
			err = ErrNotFound
		}
		if err != nil {
			lookupErr = err
			return nil, err
		}
		pk, u = p, owner
		return webauthnUser{u: owner, creds: []webauthn.Credential{p.Credential}}, nil
	}
	cred, err := s.rp.ValidateDiscoverableLogin(owner, cer.Session, parsed)
	switch {
	case lookupErr != nil && !errors.Is(lookupErr, ErrNotFound):
		return nil, lookupErr
	case pk == nil:
		return nil, s.passkeyFailed(ctx, nil, c, ReasonInvalidCredentials, errPasskeyUnknown)
	case err != nil:
		return nil, s.passkeyFailed(ctx, u, c, ReasonInvalidCredentials, fmt.Errorf("%w (%v)", errPasskeyRefused, err))
	case u.Disabled():
		return nil, s.passkeyFailed(ctx, u, c, ReasonDisabled, &Error{Code: CodeAccountDisabled, Message: "This account has been disabled."})
	case s.opts.RequireVerifiedEmail && u.EmailVerifiedAt == nil:
		return nil, s.passkeyFailed(ctx, u, c, ReasonNotVerified, ErrEmailNotVerified)
	}
	// The signature counter and flags as this login left them: a counter
	// that failed to rise (a cloned authenticator, or one that keeps
	// none) is noted in the credential, not refused, as passkeys synced
	// between devices keep no counter at all.
	pk.Credential = *cred
	if err := s.store.UsePasskey(ctx, pk, s.timestamp()); errors.Is(err, ErrNotFound) {
		return nil, s.passkeyFailed(ctx, nil, c, ReasonInvalidCredentials, errPasskeyUnknown) // removed meanwhile
	} else if err != nil {
		return nil, err
	}
	return u, nil
}

// passkeyFailed records a failed passkey login, against the account when
// the passkey named a known one, and returns answer.
func (s *Service) passkeyFailed(ctx context.Context, u *User, c Client, reason string, answer error) error {
	userID := ""
	if u != nil {
		userID = u.ID
	}
	e := newEvent(EventLoginFailed, s.timestamp(), userID, c).by("").
		with("reason", reason, "method", string(LoginPasskey))
	if err := s.record(ctx, e); err != nil {
		return errors.Join(answer, err)
	}
	return answer
}
