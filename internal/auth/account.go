package auth

import (
	"context"
	"errors"
	"time"
)

// PublicUser returns a user as anyone may see it. A malformed id is simply
// not found.
func (s *Service) PublicUser(ctx context.Context, id string) (*User, error) {
	if !WellFormedID(id) {
		return nil, ErrNotFound
	}
	return s.store.UserByID(ctx, id)
}

// ProfileChange is a PATCH of the caller's profile; nil leaves a field as
// it is. Changing the email needs the current password, because the email
// is how an account is recovered.
type ProfileChange struct {
	Username        *string
	Email           *string
	CurrentPassword string
}

// UpdateProfile changes the caller's username at once. A new email does
// not replace the address: it waits as the pending address until the link
// mailed to it is used (DESIGN.md, "Changing the e-mail address"), and the
// old address gets a notice with a link that undoes the change. Changing
// only the casing of one's own username is not a conflict.
func (s *Service) UpdateProfile(ctx context.Context, p *Principal, ch ProfileChange) (*User, error) {
	u := *p.User
	var errs []FieldError
	if ch.Username != nil {
		name, ferrs := CheckUsername(*ch.Username)
		errs = append(errs, ferrs...)
		u.Username = name
	}
	newEmail := ""
	if ch.Email != nil {
		email, ferrs := CheckEmail(*ch.Email)
		errs = append(errs, ferrs...)
		if len(ferrs) == 0 && email != p.User.Email {
			newEmail = email
		}
	}
	if newEmail != "" && ch.CurrentPassword == "" {
		errs = append(errs, FieldError{Field: "current_password", Code: "required",
			Message: "Enter your current password to change your email."})
	}
	if len(errs) > 0 {
		return nil, &Error{Code: CodeInvalid, Message: "Some fields need attention.", Fields: errs}
	}
	if newEmail != "" {
		if _, taken, err := s.store.IdentityTaken(ctx, "", newEmail); err != nil {
			return nil, err
		} else if taken {
			return nil, ErrEmailTaken
		}
		if err := s.confirmPassword(ctx, p.User, ch.CurrentPassword); err != nil {
			return nil, err
		}
	}
	if u.Username == p.User.Username && newEmail == "" {
		return p.User, nil
	}
	now := s.timestamp()
	c := Change{UserID: u.ID, At: now}
	if u.Username != p.User.Username {
		c.Username = u.Username
		c.Events = append(c.Events, s.selfEvent(EventUserUpdated, now, p).
			with("old_username", p.User.Username, "new_username", u.Username))
	}
	if newEmail != "" {
		// At most one change waits: a new one replaces the earlier, whose
		// link dies. Undo links stay: each undoes to the address it names.
		c.PendingEmail, c.EndTokens = newEmail, []TokenKind{TokenConfirmEmail}
		confirm := letter(MailConfirmEmail, TokenConfirmEmail, &u, newEmail, now)
		undo := letter(MailEmailChanged, TokenUndoEmailChange, &u, u.Email, now)
		undo.Mail.NewEmail = newEmail
		c.Letters = []Letter{confirm, undo}
		c.Events = append(c.Events, s.selfEvent(EventEmailChangeRequested, now, p).with("new_email", newEmail))
		u.PendingEmail = newEmail
	}
	if err := s.apply(ctx, c); err != nil {
		return nil, err
	}
	u.UpdatedAt = now
	return &u, nil
}

// ChangePassword sets a new password and revokes every other session of
// the user; the current one stays. Outstanding reset links die, and a
// notice tells the address that the password changed (so that an owner
// whose session was stolen learns of it). A browser session gets a new
// cookie token, returned as newCookie (empty for API sessions, which keep
// their refresh token).
func (s *Service) ChangePassword(ctx context.Context, p *Principal, current, next string) (newCookie string, err error) {
	var errs []FieldError
	if current == "" {
		errs = append(errs, FieldError{Field: "current_password", Code: "required", Message: "Enter your current password."})
	}
	errs = append(errs, s.newPasswordErrors(p.User, next)...)
	if len(errs) > 0 {
		return "", &Error{Code: CodeInvalid, Message: "Some fields need attention.", Fields: errs}
	}
	if err := s.confirmPassword(ctx, p.User, current); err != nil {
		return "", err
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return "", hashError(err)
	}
	now := s.timestamp()
	err = s.apply(ctx, Change{
		UserID: p.User.ID, At: now, PasswordHash: hash,
		RevokeSessions: true, KeepSession: p.Session.ID,
		EndTokens: []TokenKind{TokenResetPassword},
		Letters:   []Letter{{Mail: notice(MailPasswordChanged, p.User, p.User.Email, now, "")}},
		Events:    []Event{s.selfEvent(EventPasswordChanged, now, p)},
	})
	if err != nil {
		return "", err
	}
	if p.Session.Kind == SessionBrowser {
		return s.renewBrowserToken(ctx, p.Session)
	}
	return "", nil
}

// DeleteAccount deletes the caller, their sessions and posts, after
// confirming the password.
func (s *Service) DeleteAccount(ctx context.Context, p *Principal, current string) error {
	if current == "" {
		return &Error{Code: CodeInvalid, Message: "Some fields need attention.", Fields: []FieldError{
			{Field: "current_password", Code: "required", Message: "Enter your current password to delete your account."}}}
	}
	if err := s.confirmPassword(ctx, p.User, current); err != nil {
		return err
	}
	return s.store.DeleteUser(ctx, p.User.ID, s.selfEvent(EventUserDeleted, s.timestamp(), p).
		with("username", p.User.Username, "email", p.User.Email))
}

// selfEvent is an event the caller of p causes on their own account.
func (s *Service) selfEvent(t EventType, at time.Time, p *Principal) Event {
	return newEvent(t, at, p.User.ID, p.Client).in(p.Session.ID)
}

// confirmPassword checks the caller's current password. Failures count
// toward the account's throttle, so a stolen token cannot be used to
// guess the password at leisure.
func (s *Service) confirmPassword(ctx context.Context, u *User, pw string) error {
	a, err := s.reserveAttempt(ctx, "user:"+u.ID)
	if err != nil {
		return err
	}
	if len(pw) > MaxPasswordLength*4 {
		return a.release(ctx, errWrongCurrentPassword)
	}
	ok, _, err := s.hasher.Verify(ctx, pw, u.PasswordHash)
	if err != nil {
		return a.release(ctx, hashError(err))
	}
	if !ok {
		return errWrongCurrentPassword // the reserved attempt stays as the failure
	}
	return a.release(ctx, nil)
}

var errWrongCurrentPassword = &Error{Code: CodeInvalid, Message: "Some fields need attention.", Fields: []FieldError{
	{Field: "current_password", Code: "password_incorrect", Message: "The current password is not correct."}}}

// Sessions lists the caller's active sessions, newest first.
func (s *Service) Sessions(ctx context.Context, p *Principal) ([]*Session, error) {
	return s.store.ListSessions(ctx, p.User.ID, s.timestamp())
}

// SessionsPage is a page of Sessions after an opaque cursor from the
// previous page (the API's list form); nextCursor is "" on the last page.
// A user's live sessions are few enough to page through in memory.
func (s *Service) SessionsPage(ctx context.Context, p *Principal, cursor string, limit int) (page []*Session, nextCursor string, err error) {
	limit, after, err := PageParams(cursor, limit)
	if err != nil {
		return nil, "", err
	}
	all, err := s.Sessions(ctx, p)
	if err != nil {
		return nil, "", err
	}
	start := 0
	if after != nil {
		// The first session after the cursor in the list's order
		// (created_at, then id, both descending).
		start = len(all)
		for i, ss := range all {
			t, at := ss.CreatedAt.UnixMicro(), after.CreatedAt.UnixMicro()
			if t < at || (t == at && ss.ID < after.ID) {
				start = i
				break
			}
		}
	}
	page = all[start:]
	if len(page) > limit {
		page = page[:limit]
		last := page[limit-1]
		nextCursor = PageCursor{CreatedAt: last.CreatedAt, ID: last.ID}.Encode()
	}
	return page, nextCursor, nil
}

// RevokeOtherSessions ends every session of the caller but the current one
// ("log out everywhere else").
func (s *Service) RevokeOtherSessions(ctx context.Context, p *Principal) error {
	now := s.timestamp()
	return s.store.RevokeUserSessions(ctx, p.User.ID, p.Session.ID, now,
		s.selfEvent(EventSessionRevoked, now, p).with("revoked", "all_others"))
}

// RevokeSession ends one of the caller's sessions; another user's session
// is not found.
func (s *Service) RevokeSession(ctx context.Context, p *Principal, sessionID string) error {
	var err error = ErrNotFound
	if WellFormedID(sessionID) {
		now := s.timestamp()
		err = s.store.RevokeSession(ctx, p.User.ID, sessionID, now,
			s.selfEvent(EventSessionRevoked, now, p).with("revoked", sessionID))
	}
	if errors.Is(err, ErrNotFound) {
		return &Error{Code: CodeNotFound, Message: "You have no session with that id."}
	}
	return err
}
