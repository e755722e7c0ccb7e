package auth_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
)

func TestFindUser(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "Bob", "bob@example.com")
	tests := []struct {
		name, who string
		found     bool
	}{
		{"id", u.ID, true},
		{"email", "bob@example.com", true},
		{"email, any case", " BOB@Example.com ", true},
		{"username", "Bob", true},
		{"username, any case", "bOB", true},
		{"unknown username", "carol", false},
		{"unknown email", "carol@example.com", false},
		{"unknown id", "0190a0a0-0000-7000-8000-000000000000", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.svc.FindUser(context.Background(), tt.who)
			if !tt.found {
				if !errors.Is(err, auth.ErrNotFound) {
					t.Fatalf("FindUser(%q): %v, want ErrNotFound", tt.who, err)
				}
				return
			}
			authtest.NoError(t, err)
			authtest.Equal(t, got.ID, u.ID)
		})
	}
}

func TestSetRole(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.register(t, "bob", "bob@example.com")
	u, err := e.svc.SetRole(ctx, nil, "BOB", auth.RoleAdmin)
	authtest.NoError(t, err)
	got, err := e.store.UserByID(ctx, u.ID)
	authtest.NoError(t, err)
	authtest.Equal(t, got.Role, auth.RoleAdmin)
	if _, err := e.svc.SetRole(ctx, nil, "bob", "root"); err == nil {
		t.Fatal("SetRole to an unknown role succeeded")
	}
}

func TestListUsersNeedsALimit(t *testing.T) {
	if _, err := newEnv(t).svc.ListUsers(context.Background(), "", 0); err == nil {
		t.Fatal("ListUsers with limit 0 succeeded")
	}
}

// TestSendPasswordReset: the operator is told what a visitor is not: that
// the account is disabled, or that the limit dropped the request.
func TestSendPasswordReset(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.register(t, "bob", "bob@example.com")
	if _, err := e.svc.SendPasswordReset(ctx, nil, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SendPasswordReset(ctx, nil, "bob"); !errors.Is(err, auth.ErrMailLimited) {
		t.Fatalf("a second request within the minute: %v, want ErrMailLimited", err)
	}
	e.clock.Advance(2 * time.Minute)
	if _, err := e.svc.SendPasswordReset(ctx, nil, "bob@example.com"); err != nil {
		t.Fatalf("after the minute: %v", err)
	}
	if _, err := e.svc.SetDisabled(ctx, nil, "bob", true); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.SendPasswordReset(ctx, nil, "bob")
	authtest.Code(t, err, auth.CodeAccountDisabled)
	if _, err := e.svc.SendPasswordReset(ctx, nil, "nobody"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("unknown user: %v, want ErrNotFound", err)
	}
}

// TestChangeAccountIsOneChange: a role and disabling asked for together
// are written together, with an event each, or not at all.
func TestChangeAccountIsOneChange(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := e.register(t, "root", "root@example.com")
	if _, err := e.svc.SetRole(ctx, nil, root.ID, auth.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	bob := e.register(t, "bob", "bob@example.com")
	admin, disabled := auth.RoleAdmin, true
	u, err := e.svc.ChangeAccount(ctx, nil, bob.ID, auth.AccountChange{Role: &admin, Disabled: &disabled})
	authtest.NoError(t, err)
	if u.Role != auth.RoleAdmin || !u.Disabled() {
		t.Fatalf("after the change: %+v", u)
	}
	page, _, err := e.svc.EventsPage(ctx, bob.ID, "", "", 2)
	authtest.NoError(t, err)
	if len(page) != 2 || page[0].At != page[1].At || !slices.ContainsFunc(page, func(ev *auth.Event) bool { return ev.Type == auth.EventUserDisabled }) ||
		!slices.ContainsFunc(page, func(ev *auth.Event) bool { return ev.Type == auth.EventUserRoleChanged }) {
		t.Fatalf("bob's newest events: %+v", page)
	}
	// The last active admin: demoting and disabling are refused together.
	user := auth.RoleUser
	if _, err := e.svc.ChangeAccount(ctx, nil, root.ID, auth.AccountChange{Role: &user, Disabled: &disabled}); auth.ErrorCode(err) != auth.CodeLastAdmin {
		t.Fatalf("the last admin: %v", err)
	}
	got, err := e.svc.FindUser(ctx, root.ID)
	authtest.NoError(t, err)
	if got.Role != auth.RoleAdmin || got.Disabled() {
		t.Fatalf("a refused change was written: %+v", got)
	}
}
