package auth

import (
	"context"
	"strings"
	"time"
)

// FindUser finds a user by id, or by email when who contains an "@": the
// two ways an operator names an account on the command line.
func (s *Service) FindUser(ctx context.Context, who string) (*User, error) {
	who = strings.TrimSpace(who)
	if strings.Contains(who, "@") {
		email, _ := CheckEmail(who)
		return s.store.UserByEmail(ctx, email)
	}
	if !WellFormedID(who) {
		return nil, ErrNotFound
	}
	return s.store.UserByID(ctx, who)
}

// SetDisabled disables (or re-enables) the user named by id or email. A
// disabled user cannot log in, and their sessions are revoked, so tokens
// and cookies issued before stop working on Latchkey's endpoints at once.
func (s *Service) SetDisabled(ctx context.Context, who string, disabled bool) (*User, error) {
	u, err := s.FindUser(ctx, who)
	if err != nil {
		return nil, err
	}
	var at *time.Time
	if disabled {
		now := s.timestamp()
		at = &now
	}
	if err := s.store.SetDisabled(ctx, u.ID, at); err != nil {
		return nil, err
	}
	if at != nil {
		if err := s.store.RevokeUserSessions(ctx, u.ID, "", *at); err != nil {
			return nil, err
		}
	}
	u.DisabledAt = at
	return u, nil
}
