package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// The flows of this file are an operator's, behind `latchkey user …`: they
// name a user the way a person types one, and are not reachable over HTTP.

// FindUser finds a user by id, by email when who contains an "@", or else
// by username (in any case): the three ways an operator names an account
// on the command line. A username cannot be mistaken for an id, as an id
// is longer than any username may be.
func (s *Service) FindUser(ctx context.Context, who string) (*User, error) {
	who = strings.TrimSpace(who)
	switch {
	case strings.Contains(who, "@"):
		email, _ := CheckEmail(who)
		return s.store.UserByEmail(ctx, email)
	case WellFormedID(who):
		return s.store.UserByID(ctx, who)
	case who == "":
		return nil, ErrNotFound
	}
	return s.store.UserByUsername(ctx, who)
}

// ListUsers returns at most limit users, newest first, whose username or
// email contains filter, in any case.
func (s *Service) ListUsers(ctx context.Context, filter string, limit int) ([]*User, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list users: limit %d: want at least 1", limit)
	}
	return s.store.ListUsers(ctx, strings.TrimSpace(filter), limit)
}

// SetRole gives the user named by who the role. Running servers see it on
// the user's next request: every request reads the user with its session.
func (s *Service) SetRole(ctx context.Context, who string, role Role) (*User, error) {
	if role != RoleAdmin && role != RoleUser {
		return nil, fmt.Errorf("role %q: want %s or %s", role, RoleAdmin, RoleUser)
	}
	u, err := s.FindUser(ctx, who)
	if err != nil {
		return nil, err
	}
	if err := s.store.SetRole(ctx, u.ID, role); err != nil {
		return nil, err
	}
	u.Role = role
	return u, nil
}

// DeleteUser deletes the user with the id and, with them, everything
// they own (see Store.DeleteUser). The caller has asked for confirmation.
func (s *Service) DeleteUser(ctx context.Context, id string) error {
	return s.store.DeleteUser(ctx, id)
}

// ErrMailLimited is SendPasswordReset's answer when the limit on requests
// for mail (one a minute and MailPerHour an hour per address) has
// dropped the request.
var ErrMailLimited = errors.New("a message of this kind was asked for this address too recently; try again later")

// SendPasswordReset queues a password reset link for the user named by
// who, as a request on the "forgot password" page would, without the
// per-IP budget (there is no client). Unlike the page it says what
// happened: ErrNotFound, an *Error with CodeAccountDisabled (a disabled
// account gets no link), or ErrMailLimited. The outbox's sender delivers
// the message; queued, it survives until a server runs.
func (s *Service) SendPasswordReset(ctx context.Context, who string) (*User, error) {
	u, err := s.FindUser(ctx, who)
	if err != nil {
		return nil, err
	}
	if u.DisabledAt != nil {
		return nil, &Error{Code: CodeAccountDisabled, Message: "The account is disabled: enable it first."}
	}
	queued, err := s.requestMail(ctx, MailResetPassword, u.Email, Letter{Mail: s.request(MailResetPassword, u.Email, "")})
	if err != nil {
		return nil, err
	}
	if !queued {
		return nil, ErrMailLimited
	}
	return u, nil
}
