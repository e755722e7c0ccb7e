package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/password"
	"golang.org/x/text/unicode/norm"
)

// Authenticate checks a password login. identifier is the email or the
// username (an "@" means email).
//
// An unknown account and a wrong password give the same error, and an
// unknown account still pays for one hash, so neither the answer nor its
// timing tells whether an account exists. Throttling is keyed on the account
// when it exists (so alternating email and username gains nothing) and on
// the identifier otherwise (so throttling does not reveal existence either).
func (s *Service) Authenticate(ctx context.Context, identifier, pw string, c Client) (_ *User, err error) {
	defer func() { s.meter.Login(err) }()
	if err := s.allowIP(ctx, c); err != nil {
		return nil, err
	}
	ident := normalizeIdentifier(identifier)
	var errs []FieldError
	switch {
	case ident == "":
		errs = append(errs, FieldError{Field: "identifier", Code: "required", Message: "Enter your email or username."})
	case !PlainText(identifier, false):
		// No account's name or address holds one, so nothing is looked up.
		errs = append(errs, FieldError{Field: "identifier", Code: "identifier_characters",
			Message: "Remove the control or invalid characters from your email or username."})
	}
	if pw == "" {
		errs = append(errs, FieldError{Field: "password", Code: "required", Message: "Enter your password."})
	}
	if len(errs) > 0 {
		return nil, &Error{Code: CodeInvalid, Message: "Some fields need attention.", Fields: errs}
	}
	// No stored password can be this long, so the answer is known without
	// hashing a megabyte.
	if len(pw) > MaxPasswordLength*4 {
		return nil, errInvalidCredentials
	}

	u, err := s.lookup(ctx, ident)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	key := "ident:" + ident
	if u != nil {
		key = "user:" + u.ID
	}
	a, err := s.reserveAttempt(ctx, key)
	if ErrorCode(err) == CodeTooManyAttempts {
		return nil, s.loginFailed(ctx, u, c, ReasonThrottled, err)
	}
	if err != nil {
		return nil, err
	}

	if u == nil {
		if err := s.hasher.VerifyDummy(ctx, pw); err != nil {
			return nil, a.release(ctx, hashError(err))
		}
		// The reserved attempt stays as the failure.
		return nil, s.loginFailed(ctx, nil, c, ReasonInvalidCredentials, errInvalidCredentials)
	}
	ok, rehash, err := s.hasher.Verify(ctx, pw, u.PasswordHash)
	if err != nil {
		return nil, a.release(ctx, hashError(err))
	}
	if !ok {
		return nil, s.loginFailed(ctx, u, c, ReasonInvalidCredentials, errInvalidCredentials)
	}
	if u.Disabled() {
		// The right password: not a failure, but no success to clear the
		// failures either.
		return nil, s.loginFailed(ctx, u, c, ReasonDisabled,
			a.release(ctx, &Error{Code: CodeAccountDisabled, Message: "This account has been disabled."}))
	}
	if s.opts.RequireVerifiedEmail && u.EmailVerifiedAt == nil {
		// The right password again: not a failure. Only the owner learns
		// this, so it reveals nothing a guesser could use.
		return nil, s.loginFailed(ctx, u, c, ReasonNotVerified, a.release(ctx, ErrEmailNotVerified))
	}
	if u.MFAEnabled() {
		// The right password is half a login: the failures are forgotten
		// after the second step, or each password would buy five more
		// guesses at the code.
		if err := a.release(ctx, nil); err != nil {
			return nil, err
		}
	} else if err := a.succeeded(ctx); err != nil {
		return nil, err
	}
	if rehash {
		if err := s.rehash(ctx, u, pw); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// loginFailed records a failed login, against the account when there is
// one, and returns answer. The identifier typed is not recorded: people
// type their password into it often enough.
func (s *Service) loginFailed(ctx context.Context, u *User, c Client, reason string, answer error) error {
	userID := ""
	if u != nil {
		userID = u.ID
	}
	e := newEvent(EventLoginFailed, s.timestamp(), userID, c).by("").with("reason", reason)
	if err := s.record(ctx, e); err != nil {
		return errors.Join(answer, err)
	}
	return answer
}

func normalizeIdentifier(s string) string {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "@") {
		return strings.ToLower(s)
	}
	// NFKC can itself make a leading or trailing space ("˜" is a space and
	// a combining tilde), so trim again after it.
	return FoldUsername(strings.TrimSpace(norm.NFKC.String(s)))
}

func (s *Service) lookup(ctx context.Context, ident string) (*User, error) {
	if strings.Contains(ident, "@") {
		return s.store.UserByEmail(ctx, ident)
	}
	return s.store.UserByUsername(ctx, ident)
}

// rehash upgrades a hash made with older parameters or by another stack. A
// full hashing pool only postpones the upgrade to the next login: failing a
// correct login for it would be worse.
func (s *Service) rehash(ctx context.Context, u *User, pw string) error {
	hash, err := s.hasher.Hash(ctx, pw)
	if errors.Is(err, password.ErrBusy) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("rehash: %w", err)
	}
	now := s.timestamp()
	if err := s.store.SetPasswordHash(ctx, u.ID, hash, now); err != nil {
		return fmt.Errorf("rehash: %w", err)
	}
	u.PasswordHash, u.UpdatedAt = hash, now
	return nil
}

// BusyRetryAfter is what a busy answer asks clients to wait.
const BusyRetryAfter = time.Second

// hashError turns a full hashing pool into the busy answer transports show
// as 503 with Retry-After.
func hashError(err error) error {
	if errors.Is(err, password.ErrBusy) {
		return &Error{Code: CodeBusy, Message: "The server is busy; retry in a moment.", RetryAfter: BusyRetryAfter}
	}
	return err
}
