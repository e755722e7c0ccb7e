package api

import (
	"context"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/latchkey/latchkey/internal/auth"
)

// EventView is one audit event as the API shows it, to the user it
// concerns and to admins. A field the event has no value for is null, not
// absent and not "", so that "unknown" cannot be mistaken for a value: a
// failed login for an unknown name has no user, an event from the command
// line no actor, session, IP or user agent. Details is always an object,
// {} when there are none.
type EventView struct {
	ID        string            `json:"id" format:"uuid"`
	At        time.Time         `json:"at"`
	Type      EventType         `json:"type"`
	UserID    *string           `json:"user_id" format:"uuid" doc:"Whom the event concerns; null when no account is known (a failed login for an unknown name)"`
	ActorID   *string           `json:"actor_id" format:"uuid" doc:"Who did it: the user themselves or an admin; null for someone anonymous or the command line"`
	SessionID *string           `json:"session_id" format:"uuid" doc:"The session it happened in; null when there was none"`
	IP        *string           `json:"ip" doc:"Where the request came from; null when unknown"`
	UserAgent *string           `json:"user_agent" doc:"The client's User-Agent; null when unknown"`
	Details   map[string]string `json:"details" doc:"What else the event records, e.g. reason of a failed login or new_role; never a secret"`
}

func eventView(e *auth.Event) EventView {
	details := e.Details
	if details == nil {
		details = map[string]string{}
	}
	return EventView{
		ID: e.ID, At: e.At.UTC(), Type: EventType(e.Type),
		UserID: orNull(e.UserID), ActorID: orNull(e.ActorID), SessionID: orNull(e.SessionID),
		IP: orNull(e.IP), UserAgent: orNull(e.UserAgent), Details: details,
	}
}

// orNull is s, or nil (JSON null) for "".
func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// EventType is an audit event's type, documented with every type
// auth.EventTypes lists, so that the document cannot fall behind them.
type EventType string

// Schema implements huma.SchemaProvider.
func (EventType) Schema(huma.Registry) *huma.Schema {
	s := &huma.Schema{Type: huma.TypeString, Description: "What happened; the names are stable"}
	for _, t := range auth.EventTypes {
		s.Enum = append(s.Enum, string(t))
	}
	return s
}

// EventList is a page of audit events, newest first.
type EventList struct {
	Items      []EventView `json:"items"`
	NextCursor string      `json:"next_cursor,omitempty" doc:"Pass as ?cursor= for the next page; absent on the last page"`
}

type eventsOutput struct{ Body EventList }

func eventsPage(ctx context.Context, d Deps, userID string, typ EventType, page PageQuery) (*eventsOutput, error) {
	list, next, err := d.Auth.EventsPage(ctx, userID, auth.EventType(typ), page.Cursor, page.Limit)
	if err != nil {
		return nil, fail(ctx, err)
	}
	out := &eventsOutput{Body: EventList{Items: make([]EventView, 0, len(list)), NextCursor: next}}
	for _, e := range list {
		out.Body.Items = append(out.Body.Items, eventView(e))
	}
	return out, nil
}

type myEventsInput struct{ PageQuery }

// handleMyEvents lists the events that concern the caller: their own
// security activity, and what admins did to their account.
func handleMyEvents(d Deps) func(context.Context, *myEventsInput) (*eventsOutput, error) {
	return func(ctx context.Context, in *myEventsInput) (*eventsOutput, error) {
		return eventsPage(ctx, d, principal(ctx).User.ID, "", in.PageQuery)
	}
}
