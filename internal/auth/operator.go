package auth

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The flows of this file are an operator's: behind `latchkey user …`, where
// they name a user the way a person types one, and behind the admin pages
// and API, where a user is named by id.

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
// email contains filter, in any case: the command line's list.
func (s *Service) ListUsers(ctx context.Context, filter string, limit int) ([]*UserOverview, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list users: limit %d: want at least 1", limit)
	}
	return s.store.ListUsers(ctx, UserQuery{Match: strings.TrimSpace(filter), Limit: limit})
}

// UsersPage is the admin's list of users: those whose username or e-mail
// starts with prefix (in any case), newest first, a page after an opaque
// cursor; nextCursor is "" on the last page. A prefix with control
// characters or bytes that are not UTF-8, which no username or e-mail
// holds, is refused by name, as PostgreSQL would refuse it unnamed and
// SQLite not at all.
func (s *Service) UsersPage(ctx context.Context, prefix, cursor string, limit int) (page []*UserOverview, nextCursor string, err error) {
	limit, after, err := PageParams(cursor, limit)
	if err != nil {
		return nil, "", err
	}
	if !PlainText(prefix, false) {
		return nil, "", &Error{Code: CodeInvalid, Message: "Some fields need attention.", Fields: []FieldError{
			{Field: "query.q", Code: "search_characters", Message: "Remove the control or invalid characters from the search."}}}
	}
	page, err = s.store.ListUsers(ctx, UserQuery{Match: strings.TrimSpace(prefix), Prefix: true, After: after, Limit: limit + 1})
	if err != nil {
		return nil, "", err
	}
	if len(page) > limit {
		page = page[:limit]
		last := page[limit-1]
		nextCursor = PageCursor{CreatedAt: last.CreatedAt, ID: last.ID}.Encode()
	}
	return page, nextCursor, nil
}

// ErrNotAdmin is the answer to a signed-in user who is not an admin on an
// admin's page or endpoint.
var ErrNotAdmin = &Error{Code: CodeForbidden, Message: "Only admins may do this."}

// RequireAdmin lets only an admin through. The role is the one read with
// the session on this request, so a role taken away counts at once.
func RequireAdmin(p *Principal) error {
	if p == nil || p.User.Role != RoleAdmin {
		return ErrNotAdmin
	}
	return nil
}

// The operator's actions below are an admin's too, over HTTP. actor is the
// admin, or nil for the command line; every action is an audit event with
// the actor as its actor_id ("" for the command line, whose user the
// server cannot know).

// operatorEvent is an event of type t about u, done by actor.
func operatorEvent(t EventType, at time.Time, u *User, actor *Principal) Event {
	if actor == nil {
		return newEvent(t, at, u.ID, Client{}).by("").with("via", "command_line")
	}
	return newEvent(t, at, u.ID, actor.Client).by(actor.User.ID).in(actor.Session.ID)
}

// AccountChange is an operator's change to an account: a role, and
// disabling or enabling it; nil leaves either as it is.
type AccountChange struct {
	Role     *Role
	Disabled *bool
}

// ChangeAccount applies ch to the user named by id, email or username
// (see FindUser), all of it or nothing, in one transaction with its
// events. A new role counts on the user's next request: every request
// reads the user with its session. Disabling ends the user's sessions in
// the same transaction, so tokens and cookies issued before stop working
// on Latchkey's endpoints at once. The last active admin can be neither
// demoted nor disabled (ErrLastAdmin).
func (s *Service) ChangeAccount(ctx context.Context, actor *Principal, who string, ch AccountChange) (*User, error) {
	if ch.Role != nil && *ch.Role != RoleAdmin && *ch.Role != RoleUser {
		return nil, &Error{Code: CodeInvalid, Message: "Some fields need attention.", Fields: []FieldError{
			{Field: "role", Code: "unknown_role", Message: fmt.Sprintf("Use %s or %s.", RoleAdmin, RoleUser)}}}
	}
	u, err := s.FindUser(ctx, who)
	if err != nil {
		return nil, err
	}
	now := s.timestamp()
	c := Change{UserID: u.ID, At: now}
	if ch.Role != nil && *ch.Role != u.Role {
		c.Role = *ch.Role
		c.Events = append(c.Events, operatorEvent(EventUserRoleChanged, now, u, actor).
			with("old_role", string(u.Role), "new_role", string(c.Role)))
	}
	switch {
	case ch.Disabled == nil || *ch.Disabled == u.Disabled():
	case *ch.Disabled:
		c.Disable, c.RevokeSessions = true, true
		c.Events = append(c.Events, operatorEvent(EventUserDisabled, now, u, actor))
	default:
		c.Enable = true
		c.Events = append(c.Events, operatorEvent(EventUserEnabled, now, u, actor))
	}
	if len(c.Events) == 0 {
		return u, nil // nothing to change
	}
	if err := s.apply(ctx, c); err != nil {
		return nil, err
	}
	if c.Role != "" {
		u.Role = c.Role
	}
	switch {
	case c.Disable:
		u.DisabledAt = &now
	case c.Enable:
		u.DisabledAt = nil
	}
	u.UpdatedAt = now
	return u, nil
}

// SetRole gives the user named by who the role (see ChangeAccount).
func (s *Service) SetRole(ctx context.Context, actor *Principal, who string, role Role) (*User, error) {
	return s.ChangeAccount(ctx, actor, who, AccountChange{Role: &role})
}

// SetDisabled disables (or re-enables) the user named by who (see
// ChangeAccount).
func (s *Service) SetDisabled(ctx context.Context, actor *Principal, who string, disabled bool) (*User, error) {
	return s.ChangeAccount(ctx, actor, who, AccountChange{Disabled: &disabled})
}

// DeleteUser deletes the user with the id and, with them, everything
// they own (see Store.DeleteUser). The caller has asked for confirmation.
// The last active admin cannot be deleted (ErrLastAdmin).
func (s *Service) DeleteUser(ctx context.Context, actor *Principal, id string) error {
	u, err := s.FindUser(ctx, id)
	if err != nil {
		return err
	}
	return s.store.DeleteUser(ctx, u.ID, operatorEvent(EventUserDeleted, s.timestamp(), u, actor).
		with("username", u.Username, "email", u.Email))
}

// RevokeUserSession ends one session of the user named by who; another
// user's session, or none, is ErrNotFound.
func (s *Service) RevokeUserSession(ctx context.Context, actor *Principal, who, sessionID string) error {
	u, err := s.FindUser(ctx, who)
	if err != nil {
		return err
	}
	if !WellFormedID(sessionID) {
		return ErrNotFound
	}
	now := s.timestamp()
	return s.store.RevokeSession(ctx, u.ID, sessionID, now,
		operatorEvent(EventSessionRevoked, now, u, actor).with("revoked", sessionID))
}

// RevokeUserSessions ends every session of the user named by who.
func (s *Service) RevokeUserSessions(ctx context.Context, actor *Principal, who string) error {
	u, err := s.FindUser(ctx, who)
	if err != nil {
		return err
	}
	now := s.timestamp()
	return s.store.RevokeUserSessions(ctx, u.ID, "", now,
		operatorEvent(EventSessionRevoked, now, u, actor).with("revoked", "all"))
}

// KeysRotated records a rotation of the signing keys from the command
// line: the new key's kid and when it signs from. The rotation is two
// writes of package token, which knows nothing of the audit log, so the
// event follows them in a transaction of its own: a crash between loses
// the record of a rotation, never the key.
func (s *Service) KeysRotated(ctx context.Context, kid string, signsFrom time.Time) error {
	now := s.timestamp()
	return s.record(ctx, newEvent(EventKeysRotated, now, "", Client{}).
		with("kid", kid, "signs_from", signsFrom.UTC().Format(time.RFC3339), "via", "command_line"))
}

// UserSessions lists the live sessions of the user named by who.
func (s *Service) UserSessions(ctx context.Context, who string) (*User, []*Session, error) {
	u, err := s.FindUser(ctx, who)
	if err != nil {
		return nil, nil, err
	}
	list, err := s.store.ListSessions(ctx, u.ID, s.timestamp())
	return u, list, err
}

// ErrMailLimited is SendPasswordReset's answer when the limit on requests
// for mail (one a minute and MailPerHour an hour per address) has dropped
// the request. Its wait is the one-a-minute limit's: when the hourly one
// refused, a retry then is refused again, but the limit does not say
// which, and a minute is never too early to try.
var ErrMailLimited = &Error{Code: CodeTooManyAttempts, RetryAfter: time.Minute,
	Message: fmt.Sprintf("A message of this kind was asked for this address too recently (at most one a minute and %d an hour); try again later.", MailPerHour)}

// SendPasswordReset queues a password reset link for the user named by
// who, as a request on the "forgot password" page would, without the
// per-IP budget (there is no client). Unlike the page it says what
// happened: ErrNotFound, an *Error with CodeAccountDisabled (a disabled
// account gets no link), or ErrMailLimited. The outbox's sender delivers
// the message; queued, it survives until a server runs.
func (s *Service) SendPasswordReset(ctx context.Context, actor *Principal, who string) (*User, error) {
	u, err := s.FindUser(ctx, who)
	if err != nil {
		return nil, err
	}
	if u.DisabledAt != nil {
		return nil, &Error{Code: CodeAccountDisabled, Message: "The account is disabled: enable it first."}
	}
	now := s.timestamp()
	queued, err := s.requestMail(ctx, MailResetPassword, u.Email, letter(MailResetPassword, TokenResetPassword, u, u.Email, now),
		operatorEvent(EventPasswordResetAsked, now, u, actor))
	if err != nil {
		return nil, err
	}
	if !queued {
		return nil, ErrMailLimited
	}
	return u, nil
}
