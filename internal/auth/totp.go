package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Two-step verification (DESIGN.md, "Second factor and passkeys"): TOTP
// as RFC 6238 defines it and every authenticator app implements it (SHA-1,
// six digits, 30 seconds), with one step of clock drift either way, and
// ten single-use recovery codes for a lost phone.

const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
	// totpSkew is how many steps either side of now a code may be from:
	// a phone's clock a little off, or a code typed as it changed.
	totpSkew = 1
	// RecoveryCodeCount codes come with two-step verification, each of
	// recoveryCodeBytes random bytes: 80 bits, 16 base32 characters.
	RecoveryCodeCount = 10
	recoveryCodeBytes = 10
)

// ErrMFAOn is the answer to enrolling in two-step verification when it is
// already on: turn it off first.
var ErrMFAOn = &Error{Code: CodeConflict, Message: "Two-step verification is already on; turn it off first to set it up again."}

// ErrMFAOff is the answer to what needs two-step verification on.
var ErrMFAOff = &Error{Code: CodeConflict, Message: "Two-step verification is not on for this account."}

// ErrCodeUsed is the store's answer to a change that spends a second
// factor already spent: a code replayed, a recovery code used before.
var ErrCodeUsed = errors.New("second factor already used")

// TOTPEnrolment is a secret waiting for its first code: what an
// authenticator app needs, as text and as the otpauth:// URL its QR code
// holds.
type TOTPEnrolment struct {
	Secret string
	URL    string
}

// SecondFactor is what a person typed as their second step: a code from
// their app or a recovery code. Either field may be empty.
type SecondFactor struct {
	Code         string
	RecoveryCode string
}

// given reports whether anything was typed.
func (f SecondFactor) given() bool {
	return strings.TrimSpace(f.Code) != "" || strings.TrimSpace(f.RecoveryCode) != ""
}

// BeginTOTP starts enrolment: after the password, a new secret is stored
// (not yet on) and returned for the app. Starting again replaces it.
func (s *Service) BeginTOTP(ctx context.Context, p *Principal, currentPassword string) (*TOTPEnrolment, error) {
	if p.User.MFAEnabled() {
		return nil, ErrMFAOn
	}
	if err := s.requirePassword(ctx, p.User, currentPassword, "to set up two-step verification"); err != nil {
		return nil, err
	}
	b := make([]byte, 20) // 160 bits, as RFC 4226 recommends
	rand.Read(b)          // never fails (crypto/rand panics rather than return short)
	en, err := s.enrolment(p.User, b)
	if err != nil {
		return nil, err
	}
	stored, err := s.sealSecret(p.User.ID, en.Secret)
	if err != nil {
		return nil, err
	}
	if err := s.apply(ctx, Change{UserID: p.User.ID, At: s.timestamp(), TOTPSecret: stored}); err != nil {
		return nil, err
	}
	return en, nil
}

// enrolment is what an app needs for secret: the secret in base32 and
// the otpauth:// URL, labelled with the site and u's address.
func (s *Service) enrolment(u *User, secret []byte) (*TOTPEnrolment, error) {
	issuer := s.opts.TOTPIssuer
	if issuer == "" {
		issuer = "Latchkey"
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: issuer, AccountName: u.Email, Period: totpPeriod,
		Secret: secret, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return nil, fmt.Errorf("totp key: %w", err)
	}
	return &TOTPEnrolment{Secret: key.Secret(), URL: key.URL()}, nil
}

// PendingTOTP returns the enrolment waiting for its first code, for a
// page shown again (after a wrong code); ErrNotFound for none.
func (s *Service) PendingTOTP(ctx context.Context, p *Principal) (*TOTPEnrolment, error) {
	if p.User.MFAEnabled() {
		return nil, ErrMFAOn
	}
	secret, _, err := s.totpSecret(ctx, p.User.ID)
	if err != nil {
		return nil, err
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return nil, fmt.Errorf("totp secret: %w", err)
	}
	return s.enrolment(p.User, raw)
}

// ConfirmTOTP turns two-step verification on with a current code from the
// app, proving it holds the secret, and returns the recovery codes: the
// only time they are shown.
func (s *Service) ConfirmTOTP(ctx context.Context, p *Principal, code string) ([]string, error) {
	if p.User.MFAEnabled() {
		return nil, ErrMFAOn
	}
	if strings.TrimSpace(code) == "" {
		return nil, fieldError("code", "required", "Enter the six-digit code your app shows.")
	}
	secret, last, err := s.totpSecret(ctx, p.User.ID)
	if errors.Is(err, ErrNotFound) {
		return nil, &Error{Code: CodeConflict, Message: "Start setting up two-step verification first: no secret is waiting for a code."}
	}
	if err != nil {
		return nil, err
	}
	now := s.timestamp()
	step, ok := matchTOTP(secret, code, now, last)
	if !ok {
		return nil, errWrongCode("code")
	}
	codes, hashes := newRecoveryCodes()
	err = s.apply(ctx, Change{UserID: p.User.ID, At: now, EnableTOTP: true, RecoveryCodes: hashes,
		Factor: &FactorUse{Step: step}, Events: []Event{s.selfEvent(EventMFAEnabled, now, p)}})
	if errors.Is(err, ErrCodeUsed) {
		return nil, errWrongCode("code")
	}
	if err != nil {
		return nil, err
	}
	p.User.MFAEnabledAt = &now
	return codes, nil
}

// NewRecoveryCodes replaces the recovery codes, after the password: the
// old ones stop working.
func (s *Service) NewRecoveryCodes(ctx context.Context, p *Principal, currentPassword string) ([]string, error) {
	if !p.User.MFAEnabled() {
		return nil, ErrMFAOff
	}
	if err := s.requirePassword(ctx, p.User, currentPassword, "to make new recovery codes"); err != nil {
		return nil, err
	}
	codes, hashes := newRecoveryCodes()
	if err := s.apply(ctx, Change{UserID: p.User.ID, At: s.timestamp(), RecoveryCodes: hashes}); err != nil {
		return nil, err
	}
	return codes, nil
}

// RecoveryCodesLeft counts the caller's unused recovery codes.
func (s *Service) RecoveryCodesLeft(ctx context.Context, p *Principal) (int, error) {
	return s.store.RecoveryCodesLeft(ctx, p.User.ID)
}

// DisableTOTP turns two-step verification off, after the password and a
// second factor: a code from the app or, for whoever lost the phone, a
// recovery code.
func (s *Service) DisableTOTP(ctx context.Context, p *Principal, currentPassword string, f SecondFactor) error {
	if !p.User.MFAEnabled() {
		return ErrMFAOff
	}
	var errs []FieldError
	if currentPassword == "" {
		errs = append(errs, FieldError{Field: "current_password", Code: "required", Message: "Enter your current password to turn off two-step verification."})
	}
	if !f.given() {
		errs = append(errs, FieldError{Field: "code", Code: "required", Message: "Enter a code from your app, or a recovery code."})
	}
	if len(errs) > 0 {
		return &Error{Code: CodeInvalid, Message: "Some fields need attention.", Fields: errs}
	}
	if err := s.confirmPassword(ctx, p.User, currentPassword); err != nil {
		return err
	}
	use, ok, a, err := s.checkFactor(ctx, p.User, f)
	if err != nil {
		return err
	}
	if !ok {
		return errWrongCode("code")
	}
	now := s.timestamp()
	err = a.finish(ctx, s.apply(ctx, Change{UserID: p.User.ID, At: now, DisableTOTP: true, Factor: use,
		Events: []Event{s.selfEvent(EventMFADisabled, now, p)}}), "code")
	if err == nil {
		p.User.MFAEnabledAt = nil
	}
	return err
}

// ResetMFA turns two-step verification off for a user who lost both their
// phone and their recovery codes: an operator's action (see FindUser for
// who; a nil actor is the command line).
func (s *Service) ResetMFA(ctx context.Context, actor *Principal, who string) (*User, error) {
	u, err := s.FindUser(ctx, who)
	if err != nil {
		return nil, err
	}
	if !u.MFAEnabled() {
		return nil, ErrMFAOff
	}
	now := s.timestamp()
	if err := s.apply(ctx, Change{UserID: u.ID, At: now, DisableTOTP: true,
		Events: []Event{operatorEvent(EventMFAReset, now, u, actor)}}); err != nil {
		return nil, err
	}
	u.MFAEnabledAt = nil
	return u, nil
}

// requirePassword confirms the caller's password for an action on their
// second factor, which must not be open to whoever finds a session open.
func (s *Service) requirePassword(ctx context.Context, u *User, pw, why string) error {
	if pw == "" {
		return fieldError("current_password", "required", "Enter your current password "+why+".")
	}
	return s.confirmPassword(ctx, u, pw)
}

func fieldError(field, code, message string) *Error {
	return &Error{Code: CodeInvalid, Message: "Some fields need attention.",
		Fields: []FieldError{{Field: field, Code: code, Message: message}}}
}

func errWrongCode(field string) *Error {
	return fieldError(field, "code_incorrect", "That code is not right, or was used already: enter the code your app shows now.")
}

// checkFactor checks a second factor of u and returns what using it
// spends, with the attempt it took from the account's login throttle: a
// wrong factor counts as a wrong password does, since six digits are
// guessed far sooner than a password. The attempt is taken before the
// check, so a throttled account has its codes refused unchecked. ok is
// false for a factor that cannot be right: the attempt then stays as the
// failure. Otherwise the caller gives it back once the factor is spent
// (finish).
func (s *Service) checkFactor(ctx context.Context, u *User, f SecondFactor) (use *FactorUse, ok bool, a attempt, err error) {
	if a, err = s.reserveAttempt(ctx, "user:"+u.ID); err != nil {
		return nil, false, a, err
	}
	if use, ok, err = s.factorUse(ctx, u, f); err != nil {
		return nil, false, a, a.release(ctx, err)
	}
	return use, ok, a, nil
}

// finish ends a checked factor's attempt once the change that spends it
// (err) is written: given back on success, kept as a failure when the
// factor was spent already (a replay), given back with any other error.
func (a attempt) finish(ctx context.Context, err error, field string) error {
	if a.s == nil { // no factor was checked
		return err
	}
	if errors.Is(err, ErrCodeUsed) {
		return errWrongCode(field)
	}
	return a.release(ctx, err)
}

// matchTOTP finds the time step, within the drift allowed around now and
// after last (the last step accepted: its code and earlier ones are
// spent), whose code is code.
func matchTOTP(secret, code string, now time.Time, last int64) (int64, bool) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) != totpDigits.Length() {
		return 0, false
	}
	current := now.Unix() / totpPeriod
	for step := current - totpSkew; step <= current+totpSkew; step++ {
		if step <= last {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totp.ValidateOpts{
			Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1,
		})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// newRecoveryCodes returns RecoveryCodeCount fresh codes, for the user to
// read (grouped in fours), and their hashes, for the store.
func newRecoveryCodes() (codes, hashes []string) {
	for range RecoveryCodeCount {
		b := make([]byte, recoveryCodeBytes)
		rand.Read(b) // never fails (crypto/rand panics rather than return short)
		c := base32.StdEncoding.EncodeToString(b)
		codes = append(codes, c[0:4]+"-"+c[4:8]+"-"+c[8:12]+"-"+c[12:16])
		hashes = append(hashes, HashToken(c))
	}
	return codes, hashes
}

// normalizeRecoveryCode is a recovery code as hashed: upper case, without
// the dashes and spaces people type or copy with it.
func normalizeRecoveryCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// sealedPrefix marks a secret sealed with the master key; one without it
// is stored as the app shows it (no master key configured).
const sealedPrefix = "sealed:"

// sealSecret is a TOTP secret as stored for user id.
func (s *Service) sealSecret(userID, secret string) (string, error) {
	if s.secrets == nil {
		return secret, nil
	}
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(s.secrets.Seal([]byte(secret), "totp:"+userID)), nil
}

// totpSecret reads and, if sealed, opens the account's TOTP secret.
func (s *Service) totpSecret(ctx context.Context, userID string) (string, int64, error) {
	stored, last, err := s.store.TOTPSecret(ctx, userID)
	if err != nil {
		return "", 0, err
	}
	sealed, ok := strings.CutPrefix(stored, sealedPrefix)
	if !ok {
		return stored, last, nil
	}
	if s.secrets == nil {
		return "", 0, errors.New("totp secret: sealed with a master key, but LATCHKEY_MASTER_KEY is not set")
	}
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil {
		return "", 0, fmt.Errorf("totp secret: %w", err)
	}
	plain, err := s.secrets.Open(b, "totp:"+userID)
	if err != nil {
		return "", 0, fmt.Errorf("totp secret: cannot open it with this master key: %w", err)
	}
	return string(plain), last, nil
}
