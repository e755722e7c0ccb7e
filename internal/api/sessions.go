package api

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

// SessionView is one of the caller's sessions (or, for an admin, one of
// a user's).
type SessionView struct {
	ID         string           `json:"id" format:"uuid"`
	Kind       auth.SessionKind `json:"kind" enum:"browser,api"`
	Current    bool             `json:"current" doc:"Whether this is the session of the request's own credential"`
	UserAgent  string           `json:"user_agent"`
	IP         string           `json:"ip"`
	CreatedAt  time.Time        `json:"created_at"`
	LastSeenAt time.Time        `json:"last_seen_at"`
	ExpiresAt  time.Time        `json:"expires_at"`
}

// SessionList is a page of the caller's active sessions, newest first.
type SessionList struct {
	Items      []SessionView `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty" doc:"Pass as ?cursor= for the next page; absent on the last page"`
}

type sessionsOutput struct{ Body SessionList }

type listSessionsInput struct{ PageQuery }

func handleListSessions(d Deps) func(context.Context, *listSessionsInput) (*sessionsOutput, error) {
	return func(ctx context.Context, in *listSessionsInput) (*sessionsOutput, error) {
		p := principal(ctx)
		list, next, err := d.Auth.SessionsPage(ctx, p, in.Cursor, in.Limit)
		if err != nil {
			return nil, fail(ctx, err)
		}
		return &sessionsOutput{Body: sessionList(list, next, p.Session.ID)}, nil
	}
}

// sessionList is a page of sessions as the API shows them; current is the
// id of the request's own session.
func sessionList(list []*auth.Session, next, current string) SessionList {
	out := SessionList{Items: make([]SessionView, 0, len(list)), NextCursor: next}
	for _, s := range list {
		out.Items = append(out.Items, sessionView(s, current))
	}
	return out
}

func sessionView(s *auth.Session, current string) SessionView {
	return SessionView{
		ID: s.ID, Kind: s.Kind, Current: s.ID == current, UserAgent: s.UserAgent, IP: s.IP,
		CreatedAt: s.CreatedAt.UTC(), LastSeenAt: s.LastSeenAt.UTC(), ExpiresAt: s.ExpiresAt.UTC(),
	}
}

func handleRevokeSession(d Deps) func(context.Context, *idInput) (*struct{}, error) {
	return func(ctx context.Context, in *idInput) (*struct{}, error) {
		if err := d.Auth.RevokeSession(ctx, principal(ctx), in.ID); err != nil {
			return nil, fail(ctx, err)
		}
		return nil, nil
	}
}
