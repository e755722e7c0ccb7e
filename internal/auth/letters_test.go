package auth_test

import (
	"context"
	"testing"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
)

// TestResolveMail: a request queued by address becomes a message only for
// an account that should get it, with a fresh token that ends the one
// before; the request itself knew nothing of the account.
func TestResolveMail(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	alice := e.register(t, "alice", "alice@example.com")
	bob := e.register(t, "bob", "bob@example.com")
	if _, err := e.svc.SetDisabled(ctx, nil, bob.ID, true); err != nil {
		t.Fatal(err)
	}
	asked := func(kind auth.MailKind, to string) *auth.Mail {
		return &auth.Mail{ID: "m", Kind: kind, To: to, Next: "/account"}
	}
	for _, tc := range []struct {
		name string
		m    *auth.Mail
	}{
		{"unknown address", asked(auth.MailResetPassword, "nobody@example.com")},
		{"disabled account", asked(auth.MailResetPassword, "bob@example.com")},
		{"unknown name, verification", asked(auth.MailVerifyEmail, "nobody")},
	} {
		got, err := e.svc.ResolveMail(ctx, tc.m)
		authtest.NoError(t, err)
		if got != nil {
			t.Errorf("%s: resolved to a message to %s", tc.name, got.To)
		}
	}

	first, err := e.svc.ResolveMail(ctx, asked(auth.MailLoginLink, "alice@example.com"))
	authtest.NoError(t, err)
	if first == nil || first.UserID != alice.ID || first.To != "alice@example.com" || first.Username != "alice" || first.Token == "" || first.Next != "/account" {
		t.Fatalf("resolved %+v", first)
	}
	second, err := e.svc.ResolveMail(ctx, asked(auth.MailLoginLink, "alice@example.com"))
	authtest.NoError(t, err)
	if _, err := e.svc.CheckLoginLink(ctx, first.Token); err != auth.ErrDeadLink {
		t.Fatalf("the first link after a second was resolved: %v", err)
	}
	if _, err := e.svc.CheckLoginLink(ctx, second.Token); err != nil {
		t.Fatalf("the second link: %v", err)
	}

	// A verification asked for by username goes to the account's address;
	// once the address is proven, none goes.
	v, err := e.svc.ResolveMail(ctx, asked(auth.MailVerifyEmail, "alice"))
	authtest.NoError(t, err)
	if v == nil || v.To != "alice@example.com" {
		t.Fatalf("verification by username: %+v", v)
	}
	if _, err := e.svc.VerifyEmail(ctx, v.Token, auth.Client{}); err != nil {
		t.Fatal(err)
	}
	if v, _ := e.svc.ResolveMail(ctx, asked(auth.MailVerifyEmail, "alice@example.com")); v != nil {
		t.Fatal("a verification for a proven address")
	}
	// A message queued with its account is delivered as it is.
	withAccount := &auth.Mail{ID: "n", Kind: auth.MailPasswordChanged, UserID: alice.ID, To: "alice@example.com"}
	if got, _ := e.svc.ResolveMail(ctx, withAccount); got != withAccount {
		t.Fatal("a message with its account was changed")
	}
}
