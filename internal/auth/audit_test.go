package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
)

// deliver plays the outbox's sender: it claims every message due, finds
// the account of those asked for by address, and returns the link tokens
// by kind of message (the last of each kind), as the mail would carry them.
func (e *env) deliver(t *testing.T) map[auth.MailKind]string {
	t.Helper()
	ctx := context.Background()
	e.clock.Advance(time.Second)
	due, err := e.store.ClaimMail(ctx, e.clock.Now().Add(time.Hour), time.Minute, 100)
	authtest.NoError(t, err)
	tokens := map[auth.MailKind]string{}
	for _, m := range due {
		m, err := e.svc.ResolveMail(ctx, m)
		authtest.NoError(t, err)
		if m != nil && m.Token != "" {
			tokens[m.Kind] = m.Token
		}
		if m != nil {
			authtest.NoError(t, e.store.MailSent(ctx, m.ID, e.clock.Now()))
		}
	}
	return tokens
}

// expect checks that the events written since the last call are exactly
// types, each as often as listed, in any order: every flow writes its
// event once, and nothing else.
func (e *env) expect(t *testing.T, types ...auth.EventType) {
	t.Helper()
	if e.seen == nil {
		e.seen = map[string]bool{}
	}
	var got []string
	cursor := ""
	for {
		page, next, err := e.svc.EventsPage(context.Background(), "", "", cursor, auth.MaxPageSize)
		authtest.NoError(t, err)
		for _, ev := range page {
			if !e.seen[ev.ID] {
				e.seen[ev.ID] = true
				got = append(got, string(ev.Type))
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	var want []string
	for _, typ := range types {
		want = append(want, string(typ))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("events written: %v, want %v", got, want)
	}
}

// lastEvent returns the newest event of the type, failing if there is none.
func (e *env) lastEvent(t *testing.T, typ auth.EventType) *auth.Event {
	t.Helper()
	page, _, err := e.svc.EventsPage(context.Background(), "", typ, "", 1)
	authtest.NoError(t, err)
	if len(page) == 0 {
		t.Fatalf("no %s event", typ)
	}
	return page[0]
}

// TestEveryFlowIsAudited walks through every flow that DESIGN.md lists an
// event for and checks that each wrote exactly its events, once, with who
// did it, whom it concerns, the session and where it came from, and that
// no event holds a password or a link's token.
func TestEveryFlowIsAudited(t *testing.T) {
	e := newEnv(t, withOptions(passkeyOptions()))
	ctx := context.Background()
	c := auth.Client{IP: "192.0.2.7", UserAgent: "AuditTest/1.0"}
	var secrets []string // what no event may hold
	secrets = append(secrets, goodPassword)

	alice, err := e.svc.Register(ctx, auth.Registration{Username: "alice", Email: "alice@example.com", Password: goodPassword}, c)
	authtest.NoError(t, err)
	e.expect(t, auth.EventUserRegistered, auth.EventVerificationSent)
	reg := e.lastEvent(t, auth.EventUserRegistered)
	if reg.UserID != alice.ID || reg.ActorID != alice.ID || reg.IP != c.IP || reg.UserAgent != c.UserAgent {
		t.Fatalf("user.registered: %+v", reg)
	}
	e.lastEvent(t, auth.EventVerificationSent)
	links := e.deliver(t)
	secrets = append(secrets, links[auth.MailVerifyEmail])
	_, err = e.svc.VerifyEmail(ctx, links[auth.MailVerifyEmail], c)
	authtest.NoError(t, err)
	e.expect(t, auth.EventEmailVerified)
	e.lastEvent(t, auth.EventEmailVerified)

	// Failed logins: a wrong password against the account, an unknown
	// name against none; both anonymous.
	e.clock.Advance(time.Second)
	if _, err := e.svc.PasswordGrant(ctx, "alice", "wrong password!", c); auth.ErrorCode(err) != auth.CodeInvalidCredentials {
		t.Fatalf("wrong password: %v", err)
	}
	e.expect(t, auth.EventLoginFailed)
	failed := e.lastEvent(t, auth.EventLoginFailed)
	if failed.UserID != alice.ID || failed.ActorID != "" || failed.Details["reason"] != auth.ReasonInvalidCredentials {
		t.Fatalf("login.failed: %+v", failed)
	}
	secrets = append(secrets, "wrong password!")
	e.clock.Advance(time.Second)
	if _, err := e.svc.PasswordGrant(ctx, "nobody-at-all", goodPassword, c); auth.ErrorCode(err) != auth.CodeInvalidCredentials {
		t.Fatalf("unknown name: %v", err)
	}
	e.expect(t, auth.EventLoginFailed)
	if f := e.lastEvent(t, auth.EventLoginFailed); f.UserID != "" || strings.Contains(eventText(f), "nobody-at-all") {
		t.Fatalf("login.failed of an unknown name keeps the name or an account: %+v", f)
	}

	e.clock.Advance(time.Second)
	g, err := e.svc.PasswordGrant(ctx, "alice", goodPassword, c)
	authtest.NoError(t, err)
	secrets = append(secrets, g.RefreshToken, g.AccessToken)
	e.expect(t, auth.EventLoginSucceeded)
	ok := e.lastEvent(t, auth.EventLoginSucceeded)
	if ok.UserID != alice.ID || ok.SessionID != g.Session.ID || ok.Details["method"] != "password" || ok.Details["session_kind"] != "api" {
		t.Fatalf("login.succeeded: %+v", ok)
	}

	// A refresh is not an event; a reused refresh token is.
	e.clock.Advance(2 * time.Second)
	g2, err := e.svc.RefreshGrant(ctx, g.RefreshToken, c)
	authtest.NoError(t, err)
	secrets = append(secrets, g2.RefreshToken)
	e.expect(t) // a refresh is not an event
	e.clock.Advance(auth.RefreshReuseGrace + time.Second)
	if _, err := e.svc.RefreshGrant(ctx, g.RefreshToken, c); err == nil {
		t.Fatal("a reused refresh token worked")
	}
	e.expect(t, auth.EventTokenReuseDetected)
	if r := e.lastEvent(t, auth.EventTokenReuseDetected); r.SessionID != g.Session.ID || r.UserID != alice.ID || r.ActorID != "" {
		t.Fatalf("token.reuse_detected: %+v", r)
	}

	// The account page's changes, from a browser session.
	bs, err := e.svc.LoginBrowser(ctx, "alice", goodPassword, false, c)
	authtest.NoError(t, err)
	secrets = append(secrets, bs.Token)
	e.expect(t, auth.EventLoginSucceeded)
	p, err := e.svc.AuthorizeCookie(ctx, bs.Token, c)
	authtest.NoError(t, err)
	// A passkey: added, used to log in, removed.
	key := &authtest.Authenticator{Origin: passkeyOrigin}
	pk := e.addPasskey(t, p, key, "Phone")
	e.expect(t, auth.EventPasskeyAdded)
	if a := e.lastEvent(t, auth.EventPasskeyAdded); a.Details["name"] != "Phone" || a.Details["passkey_id"] != pk.ID ||
		a.SessionID != p.Session.ID || a.ActorID != alice.ID || a.IP != c.IP {
		t.Fatalf("passkey.added: %+v", a)
	}
	pbs, err := e.passkeyLogin(t, key, c)
	authtest.NoError(t, err)
	secrets = append(secrets, pbs.Token)
	e.expect(t, auth.EventLoginSucceeded)
	if l := e.lastEvent(t, auth.EventLoginSucceeded); l.Details["method"] != "passkey" || l.SessionID != pbs.Session.ID {
		t.Fatalf("login.succeeded by passkey: %+v", l)
	}
	authtest.NoError(t, e.svc.RemovePasskey(ctx, p, pk.ID))
	e.expect(t, auth.EventPasskeyRemoved)
	if r := e.lastEvent(t, auth.EventPasskeyRemoved); r.Details["name"] != "Phone" || r.SessionID != p.Session.ID {
		t.Fatalf("passkey.removed: %+v", r)
	}
	name, email := "Alice_2", "alice2@example.com"
	_, err = e.svc.UpdateProfile(ctx, p, auth.ProfileChange{Username: &name, Email: &email, CurrentPassword: goodPassword})
	authtest.NoError(t, err)
	e.expect(t, auth.EventUserUpdated, auth.EventEmailChangeRequested)
	if u := e.lastEvent(t, auth.EventUserUpdated); u.Details["new_username"] != name || u.SessionID != bs.Session.ID {
		t.Fatalf("user.updated: %+v", u)
	}
	e.lastEvent(t, auth.EventEmailChangeRequested)
	links = e.deliver(t)
	secrets = append(secrets, links[auth.MailConfirmEmail], links[auth.MailEmailChanged])
	_, err = e.svc.ConfirmEmail(ctx, links[auth.MailConfirmEmail], c)
	authtest.NoError(t, err)
	e.expect(t, auth.EventEmailChanged)
	if ch := e.lastEvent(t, auth.EventEmailChanged); ch.Details["new_email"] != email || ch.Details["old_email"] != "alice@example.com" {
		t.Fatalf("email.changed: %+v", ch)
	}
	p, err = e.svc.AuthorizeCookie(ctx, bs.Token, c)
	authtest.NoError(t, err)
	cookie, err := e.svc.ChangePassword(ctx, p, goodPassword, goodPassword+"!")
	authtest.NoError(t, err)
	secrets = append(secrets, goodPassword+"!", cookie)
	e.expect(t, auth.EventPasswordChanged)
	e.lastEvent(t, auth.EventPasswordChanged)
	p, err = e.svc.AuthorizeCookie(ctx, cookie, c)
	authtest.NoError(t, err)
	authtest.NoError(t, e.svc.RevokeOtherSessions(ctx, p))
	e.expect(t, auth.EventSessionRevoked)
	if r := e.lastEvent(t, auth.EventSessionRevoked); r.Details["revoked"] != "all_others" {
		t.Fatalf("session.revoked: %+v", r)
	}
	authtest.NoError(t, e.svc.Logout(ctx, cookie, c))
	e.expect(t, auth.EventLogout)
	if l := e.lastEvent(t, auth.EventLogout); l.SessionID != bs.Session.ID {
		t.Fatalf("logout: %+v", l)
	}

	// Links asked for by address: the event is written when the sender
	// finds the account, with the asker's address.
	authtest.NoError(t, e.svc.RequestPasswordReset(ctx, email, c))
	e.expect(t) // nothing is recorded until the sender finds the account
	links = e.deliver(t)
	secrets = append(secrets, links[auth.MailResetPassword])
	e.expect(t, auth.EventPasswordResetAsked)
	if r := e.lastEvent(t, auth.EventPasswordResetAsked); r.UserID != alice.ID || r.ActorID != "" || r.IP != c.IP {
		t.Fatalf("password.reset_requested: %+v", r)
	}
	_, err = e.svc.ResetPassword(ctx, links[auth.MailResetPassword], goodPassword+"?", auth.SecondFactor{}, c)
	authtest.NoError(t, err)
	secrets = append(secrets, goodPassword+"?")
	e.expect(t, auth.EventPasswordReset)
	e.lastEvent(t, auth.EventPasswordReset)
	authtest.NoError(t, e.svc.RequestLoginLink(ctx, email, "/", c))
	links = e.deliver(t)
	secrets = append(secrets, links[auth.MailLoginLink])
	e.expect(t, auth.EventLoginLinkSent)
	e.lastEvent(t, auth.EventLoginLinkSent)
	lg, err := e.svc.LoginLinkGrant(ctx, links[auth.MailLoginLink], c)
	authtest.NoError(t, err)
	e.expect(t, auth.EventLoginLinkUsed, auth.EventLoginSucceeded)
	e.lastEvent(t, auth.EventLoginLinkUsed)
	if l := e.lastEvent(t, auth.EventLoginSucceeded); l.Details["method"] != "login_link" || l.SessionID != lg.Session.ID {
		t.Fatalf("login.succeeded by link: %+v", l)
	}
	authtest.NoError(t, e.svc.Revoke(ctx, lg.RefreshToken, c))
	e.expect(t, auth.EventLogout)
	if l := e.lastEvent(t, auth.EventLogout); l.SessionID != lg.Session.ID {
		t.Fatalf("logout by revocation: %+v", l)
	}

	// An admin's actions carry the admin as actor.
	bob, err := e.svc.Register(ctx, auth.Registration{Username: "bob", Email: "bob@example.com", Password: goodPassword, Role: auth.RoleAdmin, Verified: true}, c)
	authtest.NoError(t, err)
	admin := e.principal(t, e.login(t, "bob"))
	e.expect(t, auth.EventUserRegistered, auth.EventLoginSucceeded)
	admin.Client = auth.Client{IP: "198.51.100.1", UserAgent: "Admin/1"}
	byAdmin := func(typ auth.EventType) {
		t.Helper()
		ev := e.lastEvent(t, typ)
		if ev.ActorID != bob.ID || ev.UserID != alice.ID || ev.SessionID != admin.Session.ID || ev.IP != "198.51.100.1" {
			t.Fatalf("%s by an admin: %+v", typ, ev)
		}
	}
	_, err = e.svc.SetRole(ctx, admin, alice.ID, auth.RoleAdmin)
	authtest.NoError(t, err)
	e.expect(t, auth.EventUserRoleChanged)
	byAdmin(auth.EventUserRoleChanged)
	_, err = e.svc.SetDisabled(ctx, admin, alice.ID, true)
	authtest.NoError(t, err)
	e.expect(t, auth.EventUserDisabled)
	byAdmin(auth.EventUserDisabled)
	// The right password of a disabled account.
	e.clock.Advance(time.Second)
	if _, err := e.svc.PasswordGrant(ctx, email, goodPassword+"?", c); auth.ErrorCode(err) != auth.CodeAccountDisabled {
		t.Fatalf("disabled: %v", err)
	}
	e.expect(t, auth.EventLoginFailed)
	if f := e.lastEvent(t, auth.EventLoginFailed); f.Details["reason"] != auth.ReasonDisabled {
		t.Fatalf("login.failed of a disabled account: %+v", f)
	}
	_, err = e.svc.SetDisabled(ctx, admin, alice.ID, false)
	authtest.NoError(t, err)
	e.expect(t, auth.EventUserEnabled)
	byAdmin(auth.EventUserEnabled)
	e.clock.Advance(time.Minute) // the per-address limit on mail
	_, err = e.svc.SendPasswordReset(ctx, admin, alice.ID)
	authtest.NoError(t, err)
	e.expect(t, auth.EventPasswordResetAsked)
	byAdmin(auth.EventPasswordResetAsked)
	secrets = append(secrets, e.deliver(t)[auth.MailResetPassword])
	e.expect(t) // a link asked for with its account is recorded when asked

	// Two-step verification: on, a login through it, off; on again and
	// reset by the admin.
	pw := goodPassword + "?"
	g, err = e.svc.PasswordGrant(ctx, email, pw, c)
	authtest.NoError(t, err)
	e.expect(t, auth.EventLoginSucceeded)
	p = e.principal(t, g)
	p.Client = c
	secret := e.enableTOTP(t, p, pw)
	e.expect(t, auth.EventMFAEnabled)
	e.lastEvent(t, auth.EventMFAEnabled)
	_, err = e.svc.PasswordGrant(ctx, email, pw, c)
	var step *auth.SecondStepRequired
	if !errors.As(err, &step) {
		t.Fatalf("password grant with TOTP on: %v", err)
	}
	e.expect(t) // no session yet, so no login
	e.clock.Advance(30 * time.Second)
	mg, err := e.svc.MFAGrant(ctx, step.Token, auth.SecondFactor{Code: e.totpCode(t, secret)}, c)
	authtest.NoError(t, err)
	secrets = append(secrets, secret, step.Token)
	e.expect(t, auth.EventLoginSucceeded)
	if l := e.lastEvent(t, auth.EventLoginSucceeded); l.Details["second_factor"] != "totp" || l.SessionID != mg.Session.ID {
		t.Fatalf("login.succeeded after the second step: %+v", l)
	}
	e.clock.Advance(30 * time.Second)
	authtest.NoError(t, e.svc.DisableTOTP(ctx, p, pw, auth.SecondFactor{Code: e.totpCode(t, secret)}))
	e.expect(t, auth.EventMFADisabled)
	e.lastEvent(t, auth.EventMFADisabled)
	e.enableTOTP(t, p, pw)
	e.expect(t, auth.EventMFAEnabled)
	_, err = e.svc.ResetMFA(ctx, admin, alice.ID)
	authtest.NoError(t, err)
	e.expect(t, auth.EventMFAReset)
	byAdmin(auth.EventMFAReset)

	// The throttle: after the limit, attempts fail as throttled.
	for range auth.MaxLoginFailures {
		e.svc.PasswordGrant(ctx, email, "wrong again!", c)
	}
	if _, err := e.svc.PasswordGrant(ctx, email, "wrong again!", c); auth.ErrorCode(err) != auth.CodeTooManyAttempts {
		t.Fatalf("throttle: %v", err)
	}
	failures := make([]auth.EventType, auth.MaxLoginFailures+1) // ten wrong, one throttled
	for i := range failures {
		failures[i] = auth.EventLoginFailed
	}
	e.expect(t, failures...)
	if f := e.lastEvent(t, auth.EventLoginFailed); f.Details["reason"] != auth.ReasonThrottled || f.UserID != alice.ID {
		t.Fatalf("login.failed, throttled: %+v", f)
	}

	authtest.NoError(t, e.svc.DeleteUser(ctx, admin, alice.ID))
	e.expect(t, auth.EventUserDeleted)
	if d := e.lastEvent(t, auth.EventUserDeleted); d.ActorID != bob.ID || d.Details["username"] != name {
		t.Fatalf("user.deleted: %+v", d)
	}
	authtest.NoError(t, e.svc.KeysRotated(ctx, "kid-1", e.clock.Now()))
	e.expect(t, auth.EventKeysRotated)
	if k := e.lastEvent(t, auth.EventKeysRotated); k.Details["kid"] != "kid-1" || k.ActorID != "" {
		t.Fatalf("keys.rotated: %+v", k)
	}

	// Every type but one has been seen (not_verified needs another
	// setting: TestNotVerifiedLoginIsAudited); none holds a secret.
	seen := map[auth.EventType]bool{}
	cursor := ""
	for {
		page, next, err := e.svc.EventsPage(ctx, "", "", cursor, auth.MaxPageSize)
		authtest.NoError(t, err)
		for _, ev := range page {
			seen[ev.Type] = true
			text := eventText(ev)
			for _, s := range secrets {
				if s != "" && strings.Contains(text, s) {
					t.Errorf("%s event holds a secret: %s", ev.Type, text)
				}
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	for _, typ := range auth.EventTypes {
		if !seen[typ] {
			t.Errorf("no %s event was written", typ)
		}
	}
}

// eventText is everything an event holds, as one string to search.
func eventText(e *auth.Event) string {
	b, _ := json.Marshal(e)
	return string(b)
}

// TestNotVerifiedLoginIsAudited: with verified addresses required, the
// right password of an unproven account fails as not_verified.
func TestNotVerifiedLoginIsAudited(t *testing.T) {
	o := auth.DefaultOptions()
	o.RequireVerifiedEmail = true
	e := newEnv(t, withOptions(o))
	u := e.register(t, "carol", "carol@example.com")
	if _, err := e.svc.PasswordGrant(context.Background(), "carol", goodPassword, auth.Client{}); auth.ErrorCode(err) != auth.CodeEmailNotVerified {
		t.Fatalf("unverified login: %v", err)
	}
	if f := e.lastEvent(t, auth.EventLoginFailed); f.UserID != u.ID || f.Details["reason"] != auth.ReasonNotVerified {
		t.Fatalf("login.failed: %+v", f)
	}
}

// TestEventsPageChecksItsFilters: an unknown type is refused by name, a
// malformed user id is an empty page, and pages follow on.
func TestEventsPageChecksItsFilters(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.register(t, "dora", "dora@example.com")
	if _, _, err := e.svc.EventsPage(ctx, "", "user.exploded", "", 0); auth.ErrorCode(err) != auth.CodeInvalid {
		t.Fatalf("unknown type: %v", err)
	}
	if page, _, err := e.svc.EventsPage(ctx, "not-an-id", "", "", 0); err != nil || len(page) != 0 {
		t.Fatalf("malformed user id: %v, %v", page, err)
	}
	for range 3 {
		e.clock.Advance(time.Second)
		e.login(t, "dora")
	}
	var types []auth.EventType
	cursor := ""
	for {
		page, next, err := e.svc.EventsPage(ctx, u.ID, "", cursor, 2)
		authtest.NoError(t, err)
		for _, ev := range page {
			types = append(types, ev.Type)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	want := []auth.EventType{auth.EventLoginSucceeded, auth.EventLoginSucceeded, auth.EventLoginSucceeded,
		auth.EventVerificationSent, auth.EventUserRegistered}
	if !slices.Equal(types, want) {
		t.Fatalf("dora's events: %v, want %v", types, want)
	}
}
