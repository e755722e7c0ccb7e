package auth

import (
	"context"
	"time"
)

// SetDisabled disables (or re-enables) the user named by id, email or
// username (see FindUser). A
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
