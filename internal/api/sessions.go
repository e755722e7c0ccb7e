package api

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

// SessionView is one of the caller's sessions.
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

// SessionList is the list of the caller's active sessions. All of them fit
// one page, so next_cursor is always absent.
type SessionList struct {
	Items      []SessionView `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

type sessionsOutput struct{ Body SessionList }

func handleListSessions(d Deps) func(context.Context, *struct{}) (*sessionsOutput, error) {
	return func(ctx context.Context, _ *struct{}) (*sessionsOutput, error) {
		p := principal(ctx)
		list, err := d.Auth.Sessions(ctx, p)
		if err != nil {
			return nil, fail(ctx, err)
		}
		out := &sessionsOutput{Body: SessionList{Items: make([]SessionView, 0, len(list))}}
		for _, s := range list {
			out.Body.Items = append(out.Body.Items, SessionView{
				ID: s.ID, Kind: s.Kind, Current: s.ID == p.Session.ID, UserAgent: s.UserAgent, IP: s.IP,
				CreatedAt: s.CreatedAt.UTC(), LastSeenAt: s.LastSeenAt.UTC(), ExpiresAt: s.ExpiresAt.UTC(),
			})
		}
		return out, nil
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
