package auth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
)

// TestAdminLookupsTakeOnlyAnID: the admin's look-ups find a user by id
// and by nothing else, not even the username or e-mail FindUser takes.
func TestAdminLookupsTakeOnlyAnID(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.register(t, "bob", "bob@example.com")
	got, err := e.svc.UserOverview(ctx, u.ID)
	authtest.NoError(t, err)
	authtest.Equal(t, got.Username, "bob")
	if got.LastSeenAt != nil {
		t.Errorf("bob never logged in, but was last seen %v", got.LastSeenAt)
	}
	for _, id := range []string{"bob", "bob@example.com", "", "0190a0a0-0000-7000-8000-000000000000", u.ID + "\x00"} {
		if _, err := e.svc.UserOverview(ctx, id); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("UserOverview(%q): %v, want ErrNotFound", id, err)
		}
		if _, _, err := e.svc.UserSessionsPage(ctx, id, "", 0); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("UserSessionsPage(%q): %v, want ErrNotFound", id, err)
		}
	}
	page, next, err := e.svc.UserSessionsPage(ctx, u.ID, "", 0)
	authtest.NoError(t, err)
	if len(page) != 0 || next != "" {
		t.Errorf("bob's sessions before any login: %d, next %q", len(page), next)
	}
}

// TestUsersPageRefusesUnstorableText: a search no username or e-mail
// could match, and PostgreSQL could not even compare, is refused by name
// on every database.
func TestUsersPageRefusesUnstorableText(t *testing.T) {
	e := newEnv(t)
	for _, q := range []string{"a\x00", "\xff", "bob\x1b"} {
		_, _, err := e.svc.UsersPage(context.Background(), q, "", 0)
		var ae *auth.Error
		if !errors.As(err, &ae) || ae.Code != auth.CodeInvalid || len(ae.Fields) != 1 || ae.Fields[0].Field != "query.q" {
			t.Errorf("UsersPage(%q): %v, want a validation error naming query.q", q, err)
		}
	}
}
