package auth

import (
	"context"
	"errors"
	"time"
)

// The second step of a login (DESIGN.md, "Login with a second factor"):
// the first step (a password, a sign-in link) proved itself, and the
// account has two-step verification on, so no session starts yet. A
// Challenge waits for the code instead, named by an opaque token that
// grants nothing else: in a hidden form field on the pages, as mfa_token
// at the token endpoint.

const (
	// ChallengeTTL is how long a login waits for its code.
	ChallengeTTL = 5 * time.Minute
	// MaxChallengeFailures wrong codes end the waiting login: start over
	// with the password.
	MaxChallengeFailures = 5
)

// Challenge is a login waiting for its second step, as stored: only the
// token's hash, the session it will open, and how the first step was made.
type Challenge struct {
	ID          string
	TokenHash   string
	UserID      string
	SessionKind SessionKind
	Method      LoginMethod
	Remember    bool // for a browser session: "remember me"
	CreatedAt   time.Time
	ExpiresAt   time.Time
	Failures    int
	UsedAt      *time.Time
}

// SecondStepRequired is the answer to a first step of an account with
// two-step verification on: no session yet, Token names the login waiting
// for its code. It wraps an *Error with CodeMFARequired, for transports
// that look only at the code.
type SecondStepRequired struct {
	Token     string
	ExpiresAt time.Time
}

var errMFARequired = &Error{Code: CodeMFARequired, Message: "Two-step verification is on: send a code from the authenticator app, or a recovery code."}

func (e *SecondStepRequired) Error() string { return errMFARequired.Error() }
func (e *SecondStepRequired) Unwrap() error { return errMFARequired }

// ErrWrongSecondFactor is the answer to a wrong, replayed or used code at
// the second step. The login still waits, for a few more tries.
var ErrWrongSecondFactor = &Error{Code: CodeInvalidGrant,
	Message: "That code is not right, or was used already: enter the code your app shows now, or a recovery code.",
	Fields:  []FieldError{{Field: "otp", Code: "code_incorrect", Message: "That code is not right, or was used already."}}}

// ErrSecondStepOver is the answer to a login whose wait is over: it
// expired, had too many wrong codes, or was completed already.
var ErrSecondStepOver = &Error{Code: CodeInvalidGrant,
	Message: "This login has expired or had too many wrong codes: start again with your password."}

// challenge stores a login of u waiting for its second step and returns
// the answer that names it.
func (s *Service) challenge(ctx context.Context, u *User, kind SessionKind, method LoginMethod, remember bool) error {
	now := s.timestamp()
	raw := NewOpaqueToken()
	ch := &Challenge{ID: newID(), TokenHash: HashToken(raw), UserID: u.ID, SessionKind: kind, Method: method,
		Remember: remember, CreatedAt: now, ExpiresAt: now.Add(ChallengeTTL)}
	if err := s.store.CreateChallenge(ctx, ch); err != nil {
		return err
	}
	return &SecondStepRequired{Token: raw, ExpiresAt: ch.ExpiresAt}
}

// CheckChallenge reports whether a login still waits for its second step
// in a browser, for the page that asks for the code.
func (s *Service) CheckChallenge(ctx context.Context, raw string) error {
	_, _, err := s.liveChallenge(ctx, raw, SessionBrowser)
	return err
}

// CompleteBrowserLogin takes the second step of a browser login and opens
// its session, with "remember me" as the first step asked.
func (s *Service) CompleteBrowserLogin(ctx context.Context, raw string, f SecondFactor, c Client) (*BrowserSession, error) {
	u, ch, factor, err := s.passChallenge(ctx, raw, SessionBrowser, f, c)
	if err != nil {
		return nil, err
	}
	return s.startBrowserSession(ctx, u, ch.Remember, c, ch.Method, factor)
}

// MFAGrant takes the second step of an API login (the token endpoint's
// urn:latchkey:grant-type:mfa-otp) and hands out the token pair.
func (s *Service) MFAGrant(ctx context.Context, raw string, f SecondFactor, c Client) (*Grant, error) {
	u, ch, factor, err := s.passChallenge(ctx, raw, SessionAPI, f, c)
	if err != nil {
		return nil, err
	}
	return s.openAPISession(ctx, u, c, ch.Method, factor)
}

// liveChallenge finds a login waiting for its second step of that kind.
func (s *Service) liveChallenge(ctx context.Context, raw string, kind SessionKind) (*Challenge, *User, error) {
	if raw == "" || len(raw) > 100 {
		return nil, nil, ErrSecondStepOver
	}
	ch, u, err := s.store.ChallengeByHash(ctx, HashToken(raw))
	if errors.Is(err, ErrNotFound) {
		return nil, nil, ErrSecondStepOver
	}
	if err != nil {
		return nil, nil, err
	}
	if ch.SessionKind != kind || ch.UsedAt != nil || !s.timestamp().Before(ch.ExpiresAt) ||
		u.Disabled() || !u.MFAEnabled() {
		return nil, nil, ErrSecondStepOver
	}
	return ch, u, nil
}

// passChallenge checks the second factor for a waiting login and uses the
// login up: the caller opens the session. It returns which factor it was
// ("totp" or "recovery_code"), for the audit event.
//
// Every wrong code counts twice: against the waiting login (five end it)
// and against the account's login throttle, which a fresh password per
// five codes would otherwise escape.
func (s *Service) passChallenge(ctx context.Context, raw string, kind SessionKind, f SecondFactor, c Client) (u *User, ch *Challenge, factor string, err error) {
	defer func() {
		if !errors.Is(err, ErrSecondStepOver) {
			s.meter.Login(err)
		}
	}()
	ch, u, err = s.liveChallenge(ctx, raw, kind)
	if err != nil {
		return nil, nil, "", err
	}
	if !f.given() {
		return nil, nil, "", fieldError("otp", "required", "Enter the code your authenticator app shows, or a recovery code.")
	}
	use, ok, a, err := s.checkFactor(ctx, u, f)
	if ErrorCode(err) == CodeTooManyAttempts {
		return nil, nil, "", s.loginFailed(ctx, u, c, ReasonThrottled, err)
	}
	if err != nil {
		return nil, nil, "", err
	}
	now := s.timestamp()
	if ok {
		err = s.store.UseChallenge(ctx, ch.ID, Change{UserID: u.ID, At: now, Factor: use, ClearFailures: "user:" + u.ID})
		switch {
		case errors.Is(err, ErrNotFound):
			return nil, nil, "", a.release(ctx, ErrSecondStepOver) // a concurrent code won
		case err != nil && !errors.Is(err, ErrCodeUsed):
			return nil, nil, "", a.release(ctx, err)
		case err == nil:
			return u, ch, use.name(), nil
		}
	}
	// A wrong code, or one spent already: the reserved attempt stays as
	// the failure.
	if _, err := s.store.FailChallenge(ctx, ch.ID, now, MaxChallengeFailures); err != nil && !errors.Is(err, ErrNotFound) {
		return nil, nil, "", err
	}
	return nil, nil, "", s.loginFailed(ctx, u, c, ReasonInvalidCredentials, ErrWrongSecondFactor)
}

// factorUse reads f for u: a recovery code (whether it is unused is for
// the store's compare-and-set to tell), or a TOTP code, which must match a
// step after the last one used. ok is false for a code that cannot be
// right.
func (s *Service) factorUse(ctx context.Context, u *User, f SecondFactor) (*FactorUse, bool, error) {
	if rc := recoveryCodeOf(f); rc != "" {
		return &FactorUse{RecoveryCodeHash: HashToken(rc)}, true, nil
	}
	secret, last, err := s.totpSecret(ctx, u.ID)
	if err != nil {
		return nil, false, err
	}
	step, ok := matchTOTP(secret, f.Code, s.timestamp(), last)
	return &FactorUse{Step: step}, ok, nil
}

// recoveryCodeOf is the recovery code f holds, normalized: its own field,
// or a code typed where the app's six digits go (the pages have one
// field for both); "" for none.
func recoveryCodeOf(f SecondFactor) string {
	if rc := normalizeRecoveryCode(f.RecoveryCode); rc != "" {
		return rc
	}
	if c := normalizeRecoveryCode(f.Code); len(c) > totpDigits.Length() {
		return c
	}
	return ""
}

// name is the factor's name in audit events.
func (f *FactorUse) name() string {
	if f.RecoveryCodeHash != "" {
		return "recovery_code"
	}
	return "totp"
}
