package auth

import (
	"context"
	"time"
)

// EventType names what an audit event records. The names are stable: they
// are part of the API (DESIGN.md, "Administration, audit and metrics").
type EventType string

// The event types. A refresh is not one: there are too many, and the
// session's last_seen_at says when it was last used.
const (
	EventUserRegistered       EventType = "user.registered"
	EventLoginSucceeded       EventType = "login.succeeded"
	EventLoginFailed          EventType = "login.failed"
	EventLogout               EventType = "logout"
	EventSessionRevoked       EventType = "session.revoked"
	EventTokenReuseDetected   EventType = "token.reuse_detected"
	EventPasswordChanged      EventType = "password.changed"
	EventPasswordResetAsked   EventType = "password.reset_requested"
	EventPasswordReset        EventType = "password.reset"
	EventVerificationSent     EventType = "email.verification_sent"
	EventEmailVerified        EventType = "email.verified"
	EventEmailChangeRequested EventType = "email.change_requested"
	EventEmailChanged         EventType = "email.changed"
	EventLoginLinkSent        EventType = "login_link.sent"
	EventLoginLinkUsed        EventType = "login_link.used"
	EventUserUpdated          EventType = "user.updated"
	EventUserDisabled         EventType = "user.disabled"
	EventUserEnabled          EventType = "user.enabled"
	EventUserRoleChanged      EventType = "user.role_changed"
	EventUserDeleted          EventType = "user.deleted"
	EventKeysRotated          EventType = "keys.rotated"
	EventMFAEnabled           EventType = "mfa.enabled"
	EventMFADisabled          EventType = "mfa.disabled"
	EventMFAReset             EventType = "mfa.reset"
	EventPasskeyAdded         EventType = "passkey.added"
	EventPasskeyRemoved       EventType = "passkey.removed"
)

// EventTypes lists every type, for filters that must refuse an unknown one.
var EventTypes = []EventType{
	EventUserRegistered, EventLoginSucceeded, EventLoginFailed, EventLogout, EventSessionRevoked,
	EventTokenReuseDetected, EventPasswordChanged, EventPasswordResetAsked, EventPasswordReset,
	EventVerificationSent, EventEmailVerified, EventEmailChangeRequested, EventEmailChanged,
	EventLoginLinkSent, EventLoginLinkUsed, EventUserUpdated, EventUserDisabled, EventUserEnabled,
	EventUserRoleChanged, EventUserDeleted, EventKeysRotated, EventMFAEnabled, EventMFADisabled,
	EventMFAReset, EventPasskeyAdded, EventPasskeyRemoved,
}

// Known reports whether t is one of EventTypes.
func (t EventType) Known() bool {
	for _, k := range EventTypes {
		if t == k {
			return true
		}
	}
	return false
}

// The reasons a login.failed event gives.
const (
	ReasonInvalidCredentials = "invalid_credentials"
	ReasonThrottled          = "throttled"
	ReasonDisabled           = "disabled"
	ReasonNotVerified        = "not_verified"
)

// Event is one row of the audit log. It is written in the same transaction
// as the change it records, so the log never tells of a change that did
// not happen, nor misses one that did. Details never hold a password,
// token, cookie, hash or mail body: they are shown to the user and to
// admins.
type Event struct {
	ID   string
	At   time.Time
	Type EventType
	// ActorID is who did it: the user themselves, an admin, or "" for
	// someone anonymous (a failed login, the command line).
	ActorID string
	// UserID is whom it concerns; "" when no account is known (a failed
	// login for an unknown name).
	UserID    string
	SessionID string
	IP        string
	UserAgent string
	Details   map[string]string
}

// newEvent is an event of type t at `at`, about userID, done by the user
// themselves from client c.
func newEvent(t EventType, at time.Time, userID string, c Client) Event {
	return Event{ID: newID(), At: at, Type: t, ActorID: userID, UserID: userID,
		IP: c.IP, UserAgent: storedUserAgent(c.UserAgent)}
}

// by returns e as done by actor ("" for anonymous) rather than by its user.
func (e Event) by(actor string) Event {
	e.ActorID = actor
	return e
}

// in returns e with the session it happened in.
func (e Event) in(sessionID string) Event {
	e.SessionID = sessionID
	return e
}

// with returns e with details, as pairs of key and value.
func (e Event) with(kv ...string) Event {
	if e.Details == nil {
		e.Details = make(map[string]string, len(kv)/2)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Details[kv[i]] = kv[i+1]
	}
	return e
}

// EventQuery selects audit events: of one user and/or one type when set,
// newest first, after a cursor, at most Limit (which the caller bounds).
type EventQuery struct {
	UserID string
	Type   EventType
	After  *PageCursor
	Limit  int
}

// EventsPage is a page of the audit log, of one user and/or one type when
// given ("" for any), with the API's paging (cursor and limit as every
// list takes them); nextCursor is "" on the last page. An unknown type is
// refused by name; an id no user can have gives an empty page.
func (s *Service) EventsPage(ctx context.Context, userID string, typ EventType, cursor string, limit int) (page []*Event, nextCursor string, err error) {
	limit, after, err := PageParams(cursor, limit)
	if err != nil {
		return nil, "", err
	}
	if typ != "" && !typ.Known() {
		return nil, "", &Error{Code: CodeInvalid, Message: "Some fields need attention.", Fields: []FieldError{
			{Field: "query.type", Code: "unknown_type", Message: "Use one of the event types the API documents, or none."}}}
	}
	if userID != "" && !WellFormedID(userID) {
		return nil, "", nil // no user has such an id: an empty page, as for an unknown one
	}
	page, err = s.store.ListEvents(ctx, EventQuery{UserID: userID, Type: typ, After: after, Limit: limit + 1})
	if err != nil {
		return nil, "", err
	}
	if len(page) > limit {
		page = page[:limit]
		last := page[limit-1]
		nextCursor = PageCursor{CreatedAt: last.At, ID: last.ID}.Encode()
	}
	return page, nextCursor, nil
}

// record writes events that are changes of their own (a failed login
// changes nothing else).
func (s *Service) record(ctx context.Context, events ...Event) error {
	return s.store.RecordEvents(ctx, events...)
}
