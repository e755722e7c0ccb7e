package auth

import (
	"context"
	"fmt"
)

// Registration is what a new account is made from. Role is empty for
// sign-ups (a plain user); the command line sets RoleAdmin. Verified is
// for accounts an operator creates: they vouch for the address, so no link
// is sent to prove it.
type Registration struct {
	Username string
	Email    string
	Password string
	Role     Role
	Verified bool
}

// Register creates an account after checking every identity rule, reporting
// all violations together. The database's unique indexes have the last word
// on conflicts, so concurrent registrations of one name give exactly one
// account.
func (s *Service) Register(ctx context.Context, r Registration, c Client) (_ *User, err error) {
	defer func() { s.meter.Registration(err) }()
	if err := s.allowIP(ctx, c); err != nil {
		return nil, err
	}
	username, email, errs := s.checkRegistration(r)
	if len(errs) > 0 {
		return nil, &Error{Code: CodeInvalid, Message: "Some fields need attention.", Fields: errs}
	}
	role := r.Role
	if role == "" {
		role = RoleUser
	}
	if role != RoleUser && role != RoleAdmin {
		return nil, fmt.Errorf("register: unknown role %q", role)
	}

	// A cheap look-up first spares a hash for a name that is already taken;
	// it is only a courtesy, CreateUser decides.
	if err := s.checkTaken(ctx, username, email); err != nil {
		return nil, err
	}

	hash, err := s.hasher.Hash(ctx, r.Password)
	if err != nil {
		return nil, hashError(err)
	}
	now := s.timestamp()
	u := &User{
		ID:           newID(),
		Username:     username,
		Email:        email,
		PasswordHash: hash,
		Role:         role,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	registered := newEvent(EventUserRegistered, now, u.ID, c).with("username", username, "email", email)
	if r.Verified {
		u.EmailVerifiedAt = &now
		if err := s.store.CreateUser(ctx, u, nil, registered); err != nil {
			return nil, err
		}
		return u, nil
	}
	// The verification link is queued with the account, in one
	// transaction: no account without its link, no link without its
	// account.
	l := letter(MailVerifyEmail, TokenVerifyEmail, u, email, now)
	sent := newEvent(EventVerificationSent, now, u.ID, c).with("email", email)
	if err := s.store.CreateUser(ctx, u, []Letter{l}, registered, sent); err != nil {
		return nil, err
	}
	s.mailQueued(l)
	return u, nil
}

// CheckRegistration reports every identity rule r breaks, without hashing
// or touching the database: forms use it to show all problems at once.
func (s *Service) CheckRegistration(r Registration) []FieldError {
	_, _, errs := s.checkRegistration(r)
	return errs
}

func (s *Service) checkRegistration(r Registration) (username, email string, errs []FieldError) {
	username, errs = CheckUsername(r.Username)
	email, emailErrs := CheckEmail(r.Email)
	errs = append(errs, emailErrs...)
	errs = append(errs, s.rules.CheckPassword(r.Password, username, email)...)
	return username, email, errs
}

// checkTaken reports a taken username and a taken email together.
func (s *Service) checkTaken(ctx context.Context, username, email string) error {
	byName, byEmail, err := s.store.IdentityTaken(ctx, username, email)
	if err != nil {
		return err
	}
	var taken []*Error
	if byName {
		taken = append(taken, ErrUsernameTaken)
	}
	if byEmail {
		taken = append(taken, ErrEmailTaken)
	}
	switch len(taken) {
	case 0:
		return nil
	case 1:
		return taken[0]
	}
	return &Error{
		Code:    CodeUsernameTaken,
		Message: "That username and that email are taken.",
		Fields:  append(append([]FieldError(nil), ErrUsernameTaken.Fields...), ErrEmailTaken.Fields...),
	}
}
