package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/latchkey/latchkey/internal/auth"
)

// The admin API (DESIGN.md, "Admin API"): users, their sessions, and the
// audit log, for role admin only. Every change goes through the operator's
// flows of package auth with the admin as the actor, so each is an audit
// event naming them. A user is named by id only: anything else in the
// path is 404 without a look-up.

// requireAdmin lets only an admin past; it runs after requireUser, so a
// request without credentials has had its 401. The role is the one read
// with the session on this very request, so a promotion or demotion
// counts on the user's next request, with the same token.
func requireAdmin(a huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		if err := auth.RequireAdmin(principal(ctx.Context())); err != nil {
			writeProblem(a, ctx, problemOf(ctx.Context(), err))
			return
		}
		next(ctx)
	}
}

// AdminUser is a user as an admin sees them: the private user and the
// state of the account. A time without a value is null, not absent.
type AdminUser struct {
	PrivateUser
	DisabledAt *time.Time `json:"disabled_at" doc:"When the account was disabled; null while it is active"`
	LastSeenAt *time.Time `json:"last_seen_at" doc:"When one of the user's sessions was last used; null when none is known (never logged in, or its sessions are gone)"`
}

func adminUser(u *auth.User, lastSeen *time.Time) AdminUser {
	v := AdminUser{PrivateUser: privateUser(u)}
	if u.DisabledAt != nil {
		at := u.DisabledAt.UTC()
		v.DisabledAt = &at
	}
	if lastSeen != nil {
		at := lastSeen.UTC()
		v.LastSeenAt = &at
	}
	return v
}

// AdminUserList is a page of users, newest first.
type AdminUserList struct {
	Items      []AdminUser `json:"items"`
	NextCursor string      `json:"next_cursor,omitempty" doc:"Pass as ?cursor= for the next page; absent on the last page"`
}

type adminUsersInput struct {
	Q string `query:"q" doc:"Only users whose username or e-mail starts with this, in any case"`
	PageQuery
}

type adminUsersOutput struct{ Body AdminUserList }

func handleAdminUsers(d Deps) func(context.Context, *adminUsersInput) (*adminUsersOutput, error) {
	return func(ctx context.Context, in *adminUsersInput) (*adminUsersOutput, error) {
		list, next, err := d.Auth.UsersPage(ctx, in.Q, in.Cursor, in.Limit)
		if err != nil {
			return nil, fail(ctx, err)
		}
		out := &adminUsersOutput{Body: AdminUserList{Items: make([]AdminUser, 0, len(list)), NextCursor: next}}
		for _, o := range list {
			out.Body.Items = append(out.Body.Items, adminUser(&o.User, o.LastSeenAt))
		}
		return out, nil
	}
}

type adminUserOutput struct{ Body AdminUser }

// adminUserView reads the user with the id back as the admin sees them,
// after a change or for GET.
func adminUserView(ctx context.Context, d Deps, id string) (*adminUserOutput, error) {
	o, err := d.Auth.UserOverview(ctx, id)
	if err != nil {
		return nil, fail(ctx, err)
	}
	return &adminUserOutput{Body: adminUser(&o.User, o.LastSeenAt)}, nil
}

func handleAdminGetUser(d Deps) func(context.Context, *idInput) (*adminUserOutput, error) {
	return func(ctx context.Context, in *idInput) (*adminUserOutput, error) {
		return adminUserView(ctx, d, in.ID)
	}
}

// userID passes an id from an admin path to the operator's flows, which
// would also take a username or an e-mail: anything but a well-formed id
// is not found, without a look-up.
func userID(id string) (string, error) {
	if !auth.WellFormedID(id) {
		return "", auth.ErrNotFound
	}
	return id, nil
}

type adminUpdateUserInput struct {
	ID   string `path:"id"`
	Body struct {
		Role     *auth.Role `json:"role,omitempty" enum:"user,admin" doc:"Takes effect on the user's next request"`
		Disabled *bool      `json:"disabled,omitempty" doc:"true disables the account and ends every session of it at once; false enables it again"`
	}
}

// handleAdminUpdateUser changes a user's role and/or disables or enables
// them, both in one change (an audit event each): all of it or nothing.
func handleAdminUpdateUser(d Deps) func(context.Context, *adminUpdateUserInput) (*adminUserOutput, error) {
	return func(ctx context.Context, in *adminUpdateUserInput) (*adminUserOutput, error) {
		id, err := userID(in.ID)
		if err != nil {
			return nil, fail(ctx, err)
		}
		ch := auth.AccountChange{Role: in.Body.Role, Disabled: in.Body.Disabled}
		if _, err := d.Auth.ChangeAccount(ctx, principal(ctx), id, ch); err != nil {
			return nil, fail(ctx, err)
		}
		return adminUserView(ctx, d, id)
	}
}

func handleAdminDeleteUser(d Deps) func(context.Context, *idInput) (*struct{}, error) {
	return func(ctx context.Context, in *idInput) (*struct{}, error) {
		id, err := userID(in.ID)
		if err == nil {
			err = d.Auth.DeleteUser(ctx, principal(ctx), id)
		}
		if err != nil {
			return nil, fail(ctx, err)
		}
		return nil, nil
	}
}

type adminSessionsInput struct {
	ID string `path:"id"`
	PageQuery
}

func handleAdminSessions(d Deps) func(context.Context, *adminSessionsInput) (*sessionsOutput, error) {
	return func(ctx context.Context, in *adminSessionsInput) (*sessionsOutput, error) {
		list, next, err := d.Auth.UserSessionsPage(ctx, in.ID, in.Cursor, in.Limit)
		if err != nil {
			return nil, fail(ctx, err)
		}
		return &sessionsOutput{Body: sessionList(list, next, principal(ctx).Session.ID)}, nil
	}
}

func handleAdminRevokeSessions(d Deps) func(context.Context, *idInput) (*struct{}, error) {
	return func(ctx context.Context, in *idInput) (*struct{}, error) {
		id, err := userID(in.ID)
		if err == nil {
			err = d.Auth.RevokeUserSessions(ctx, principal(ctx), id)
		}
		if err != nil {
			return nil, fail(ctx, err)
		}
		return nil, nil
	}
}

type adminSessionInput struct {
	ID        string `path:"id"`
	SessionID string `path:"sid"`
}

func handleAdminRevokeSession(d Deps) func(context.Context, *adminSessionInput) (*struct{}, error) {
	return func(ctx context.Context, in *adminSessionInput) (*struct{}, error) {
		id, err := userID(in.ID)
		if err == nil {
			err = d.Auth.RevokeUserSession(ctx, principal(ctx), id, in.SessionID)
		}
		if err != nil {
			return nil, fail(ctx, err)
		}
		return nil, nil
	}
}

// handleAdminPasswordReset queues a reset link for the user. A disabled
// account gets none: 409 (code account_disabled), as the request is fine
// and the account's state is what stands in the way (enable it first);
// not the 403 the same code is for the account's owner at login, which
// would read as "you may not". A link for the address dropped by the
// per-address limit is 429 with Retry-After: unlike the public form, which
// must answer alike for every address, an admin is told.
func handleAdminPasswordReset(d Deps) func(context.Context, *idInput) (*struct{}, error) {
	return func(ctx context.Context, in *idInput) (*struct{}, error) {
		id, err := userID(in.ID)
		if err == nil {
			_, err = d.Auth.SendPasswordReset(ctx, principal(ctx), id)
		}
		switch {
		case err == nil:
			return nil, nil
		case auth.ErrorCode(err) == auth.CodeAccountDisabled:
			return nil, newProblem(http.StatusConflict, auth.CodeAccountDisabled, "The account is disabled: enable it first.")
		}
		return nil, fail(ctx, err)
	}
}

type adminEventsInput struct {
	Type   EventType `query:"type" doc:"Only events of this type"`
	UserID string    `query:"user_id" doc:"Only events concerning this user; an id that is no user's gives an empty list"`
	PageQuery
}

// handleAdminEvents lists the whole audit log, for admins.
func handleAdminEvents(d Deps) func(context.Context, *adminEventsInput) (*eventsOutput, error) {
	return func(ctx context.Context, in *adminEventsInput) (*eventsOutput, error) {
		return eventsPage(ctx, d, in.UserID, in.Type, in.PageQuery)
	}
}
