package auth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
)

func (e *env) principal(t *testing.T, g *auth.Grant) *auth.Principal {
	t.Helper()
	p, err := e.svc.AuthorizeAccessToken(context.Background(), g.AccessToken, auth.Client{})
	authtest.NoError(t, err)
	return p
}

func ptr(s string) *string { return &s }

func TestChangePasswordRevokesOtherSessions(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")
	current, other := e.login(t, "alice"), e.login(t, "alice")
	ctx := context.Background()
	p := e.principal(t, current)

	_, err := e.svc.ChangePassword(ctx, p, "wrong password", "a brand new passphrase")
	ae := authtest.Code(t, err, auth.CodeInvalid)
	authtest.Equal(t, fieldCodes(ae.Fields), "current_password:password_incorrect")
	_, err = e.svc.ChangePassword(ctx, p, goodPassword, "password1")
	ae = authtest.Code(t, err, auth.CodeInvalid)
	authtest.Equal(t, fieldCodes(ae.Fields), "new_password:password_common")

	cookie, err := e.svc.ChangePassword(ctx, p, goodPassword, "a brand new passphrase")
	authtest.NoError(t, err)
	authtest.Equal(t, cookie, "") // an API session keeps its refresh token, needs no cookie
	if err := e.authorized(t, other.AccessToken); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("other session survived a password change: %v", err)
	}
	_, err = e.svc.RefreshGrant(ctx, other.RefreshToken, auth.Client{})
	authtest.Code(t, err, auth.CodeInvalidGrant)
	// The current session keeps working, refresh token included.
	authtest.NoError(t, e.authorized(t, current.AccessToken))
	e.clock.Advance(auth.RefreshMinInterval)
	_, err = e.svc.RefreshGrant(ctx, current.RefreshToken, auth.Client{})
	authtest.NoError(t, err)
	_, err = e.svc.Authenticate(ctx, "alice", "a brand new passphrase", auth.Client{})
	authtest.NoError(t, err)
}

func TestUpdateProfile(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")
	e.register(t, "bob", "bob@example.com")
	ctx := context.Background()
	p := e.principal(t, e.login(t, "alice"))

	u, err := e.svc.UpdateProfile(ctx, p, auth.ProfileChange{Username: ptr("ALICE")})
	authtest.NoError(t, err)
	authtest.Equal(t, u.Username, "ALICE")

	_, err = e.svc.UpdateProfile(ctx, p, auth.ProfileChange{Username: ptr("Bob")})
	authtest.Code(t, err, auth.CodeUsernameTaken)

	_, err = e.svc.UpdateProfile(ctx, p, auth.ProfileChange{Email: ptr("new@example.com")})
	ae := authtest.Code(t, err, auth.CodeInvalid)
	authtest.Equal(t, fieldCodes(ae.Fields), "current_password:required")
	_, err = e.svc.UpdateProfile(ctx, p, auth.ProfileChange{Email: ptr("new@example.com"), CurrentPassword: "wrong password"})
	authtest.Code(t, err, auth.CodeInvalid)
	_, err = e.svc.UpdateProfile(ctx, p, auth.ProfileChange{Email: ptr("bob@example.com"), CurrentPassword: goodPassword})
	authtest.Code(t, err, auth.CodeEmailTaken)
	// A new address waits for its confirmation: the account keeps the old
	// one until the link sent to the new one is used.
	u, err = e.svc.UpdateProfile(ctx, p, auth.ProfileChange{Email: ptr("New@Example.com"), CurrentPassword: goodPassword})
	authtest.NoError(t, err)
	authtest.Equal(t, u.Email, "alice@example.com")
	authtest.Equal(t, u.PendingEmail, "new@example.com")

	_, err = e.svc.UpdateProfile(ctx, p, auth.ProfileChange{Username: ptr("x"), Email: ptr("nope")})
	ae = authtest.Code(t, err, auth.CodeInvalid)
	authtest.Equal(t, fieldCodes(ae.Fields), "username:username_length,email:email_invalid")
}

func TestDeleteAccount(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "alice", "alice@example.com")
	g := e.login(t, "alice")
	ctx := context.Background()
	p := e.principal(t, g)
	authtest.Code(t, e.svc.DeleteAccount(ctx, p, "wrong password"), auth.CodeInvalid)
	authtest.NoError(t, e.svc.DeleteAccount(ctx, p, goodPassword))
	if _, err := e.svc.PublicUser(ctx, u.ID); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("deleted user: %v", err)
	}
	if err := e.authorized(t, g.AccessToken); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("deleted user's token: %v", err)
	}
	// The name is free again.
	e.register(t, "alice", "alice@example.com")
}

func TestSessions(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")
	e.register(t, "bob", "bob@example.com")
	ctx := context.Background()
	a1, a2 := e.login(t, "alice"), e.login(t, "alice")
	b := e.login(t, "bob")
	p := e.principal(t, a1)

	list, err := e.svc.Sessions(ctx, p)
	authtest.NoError(t, err)
	authtest.Equal(t, len(list), 2)

	authtest.Code(t, e.svc.RevokeSession(ctx, p, b.Session.ID), auth.CodeNotFound)
	authtest.Code(t, e.svc.RevokeSession(ctx, p, "garbage"), auth.CodeNotFound)
	authtest.NoError(t, e.authorized(t, b.AccessToken))

	authtest.NoError(t, e.svc.RevokeSession(ctx, p, a2.Session.ID))
	if err := e.authorized(t, a2.AccessToken); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("revoked session's token: %v", err)
	}
	list, err = e.svc.Sessions(ctx, p)
	authtest.NoError(t, err)
	if len(list) != 1 || list[0].ID != a1.Session.ID {
		t.Fatalf("sessions after revoking one: %+v", list)
	}
}
