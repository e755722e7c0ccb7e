package auth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
)

// passkeyOrigin is the base URL of the tests' passkeys: a host name, as
// WebAuthn wants, with a port, which the relying party id leaves out.
const passkeyOrigin = "http://latchkey.localhost:8080"

// passkeyOptions are the default options with a base URL passkeys work on.
func passkeyOptions() auth.Options {
	o := auth.DefaultOptions()
	o.BaseURL, _ = url.Parse(passkeyOrigin + "/auth")
	return o
}

// browserPrincipal logs in with the password in a browser and returns the
// session's principal, as the account page has it.
func (e *env) browserPrincipal(t *testing.T, ident string) *auth.Principal {
	t.Helper()
	bs := e.browserLogin(t, ident, false)
	p, err := e.svc.AuthorizeCookie(context.Background(), bs.Token, auth.Client{IP: "192.0.2.5", UserAgent: "Firefox"})
	authtest.NoError(t, err)
	return p
}

// addPasskey adds a passkey of key's to p's account, as the account page
// does.
func (e *env) addPasskey(t *testing.T, p *auth.Principal, key *authtest.Authenticator, name string) *auth.Passkey {
	t.Helper()
	ctx := context.Background()
	o, err := e.svc.BeginPasskeyRegistration(ctx, p, name, goodPassword)
	authtest.NoError(t, err)
	answer, err := key.Create(o.Options)
	authtest.NoError(t, err)
	pk, err := e.svc.FinishPasskeyRegistration(ctx, p, o.Ceremony, answer)
	authtest.NoError(t, err)
	return pk
}

// passkeyLogin logs in with key, as the login page does.
func (e *env) passkeyLogin(t *testing.T, key *authtest.Authenticator, c auth.Client) (*auth.BrowserSession, error) {
	t.Helper()
	o, err := e.svc.BeginPasskeyLogin(context.Background(), auth.Client{})
	authtest.NoError(t, err)
	answer, err := key.Get(o.Options)
	authtest.NoError(t, err)
	return e.svc.LoginWithPasskey(context.Background(), o.Ceremony, answer, false, c)
}

func TestPasskeyAddAndLogin(t *testing.T) {
	e := newEnv(t, withOptions(passkeyOptions()))
	ctx := context.Background()
	alice := e.register(t, "alice", "alice@example.com")
	p := e.browserPrincipal(t, "alice")
	authtest.Equal(t, e.svc.PasskeysOn(), true)

	// The relying party is the base URL's host, without port or path.
	o, err := e.svc.BeginPasskeyRegistration(ctx, p, "  Phone ", goodPassword)
	authtest.NoError(t, err)
	var creation struct {
		PublicKey struct {
			RP                     struct{ ID, Name string }
			User                   struct{ Name string }
			AuthenticatorSelection struct {
				ResidentKey      string `json:"residentKey"`
				UserVerification string `json:"userVerification"`
			} `json:"authenticatorSelection"`
		} `json:"publicKey"`
	}
	authtest.NoError(t, json.Unmarshal(o.Options, &creation))
	pk := creation.PublicKey
	if pk.RP.ID != "latchkey.localhost" || pk.RP.Name != "Latchkey" || pk.User.Name != "alice" ||
		pk.AuthenticatorSelection.ResidentKey != "required" || pk.AuthenticatorSelection.UserVerification != "required" {
		t.Fatalf("creation options %s", o.Options)
	}

	key := &authtest.Authenticator{Origin: passkeyOrigin}
	answer, err := key.Create(o.Options)
	authtest.NoError(t, err)
	added, err := e.svc.FinishPasskeyRegistration(ctx, p, o.Ceremony, answer)
	authtest.NoError(t, err)
	authtest.Equal(t, added.Name, "Phone")
	e.expect(t, auth.EventUserRegistered, auth.EventVerificationSent, auth.EventLoginSucceeded, auth.EventPasskeyAdded)
	// The ceremony was used up.
	_, err = e.svc.FinishPasskeyRegistration(ctx, p, o.Ceremony, answer)
	authtest.Code(t, err, auth.CodeInvalid)

	e.clock.Advance(time.Minute)
	c := auth.Client{IP: "198.51.100.9", UserAgent: "Chromium"}
	bs, err := e.passkeyLogin(t, key, c)
	authtest.NoError(t, err)
	if bs.User.ID != alice.ID || bs.Session.Kind != auth.SessionBrowser || bs.Token == "" {
		t.Fatalf("passkey login: %+v", bs)
	}
	authtest.NoError(t, e.cookieOK(t, bs.Token))
	e.expect(t, auth.EventLoginSucceeded)
	if l := e.lastEvent(t, auth.EventLoginSucceeded); l.Details["method"] != "passkey" || l.SessionID != bs.Session.ID || l.IP != c.IP {
		t.Fatalf("login.succeeded: %+v", l)
	}
	list, err := e.svc.Passkeys(ctx, p)
	authtest.NoError(t, err)
	if len(list) != 1 || list[0].LastUsedAt == nil || !list[0].LastUsedAt.Equal(e.clock.Now()) ||
		list[0].Credential.Authenticator.SignCount != 1 {
		t.Fatalf("after the login: %+v", list[0])
	}

	// A second passkey from the same authenticator is refused by it: the
	// options list the credential it holds.
	o, err = e.svc.BeginPasskeyRegistration(ctx, p, "", goodPassword)
	authtest.NoError(t, err)
	if _, err := key.Create(o.Options); err == nil || !strings.Contains(err.Error(), "excluded") {
		t.Fatalf("the authenticator was not told of its credential: %v", err)
	}
	// Another authenticator's is added, and named after the count when
	// given no name.
	other := e.addPasskey(t, p, &authtest.Authenticator{Origin: passkeyOrigin}, "")
	authtest.Equal(t, other.Name, "Passkey 2")
}

// TestPasskeyRegistrationNeedsThePassword: a session alone cannot add a
// passkey, and wrong passwords count toward the account's throttle.
func TestPasskeyRegistrationNeedsThePassword(t *testing.T) {
	e := newEnv(t, withOptions(passkeyOptions()))
	ctx := context.Background()
	e.register(t, "alice", "alice@example.com")
	p := e.browserPrincipal(t, "alice")
	_, err := e.svc.BeginPasskeyRegistration(ctx, p, "", "")
	authtest.Equal(t, fieldCodes(authtest.Code(t, err, auth.CodeInvalid).Fields), "current_password:required")
	// A bad name is refused before the password is checked, so it costs
	// no attempt.
	_, err = e.svc.BeginPasskeyRegistration(ctx, p, strings.Repeat("é", auth.MaxPasskeyName+1), goodPassword)
	authtest.Equal(t, fieldCodes(authtest.Code(t, err, auth.CodeInvalid).Fields), "name:invalid_name")
	_, err = e.svc.BeginPasskeyRegistration(ctx, p, "a\x00b", "")
	authtest.Equal(t, fieldCodes(authtest.Code(t, err, auth.CodeInvalid).Fields), "name:invalid_name,current_password:required")
	for range auth.MaxLoginFailures {
		_, err = e.svc.BeginPasskeyRegistration(ctx, p, "", "wrong password")
		authtest.Equal(t, fieldCodes(authtest.Code(t, err, auth.CodeInvalid).Fields), "current_password:password_incorrect")
	}
	_, err = e.svc.BeginPasskeyRegistration(ctx, p, "", goodPassword)
	authtest.Code(t, err, auth.CodeTooManyAttempts)
}

// TestPasskeyRegistrationRefusals: the second step fails cleanly for a
// ceremony that is not the caller's, or is dead, and for an answer that
// does not parse or verify.
func TestPasskeyRegistrationRefusals(t *testing.T) {
	e := newEnv(t, withOptions(passkeyOptions()))
	ctx := context.Background()
	e.register(t, "alice", "alice@example.com")
	e.register(t, "bob", "bob@example.com")
	alice, bob := e.browserPrincipal(t, "alice"), e.browserPrincipal(t, "bob")
	begin := func(p *auth.Principal, key *authtest.Authenticator) (*auth.PasskeyOptions, []byte) {
		t.Helper()
		o, err := e.svc.BeginPasskeyRegistration(ctx, p, "", goodPassword)
		authtest.NoError(t, err)
		answer, err := key.Create(o.Options)
		authtest.NoError(t, err)
		return o, answer
	}
	for _, tt := range []struct {
		name    string
		run     func() error
		code    auth.Code
		message string
	}{
		{"another user's ceremony", func() error {
			o, answer := begin(alice, &authtest.Authenticator{Origin: passkeyOrigin})
			_, err := e.svc.FinishPasskeyRegistration(ctx, bob, o.Ceremony, answer)
			return err
		}, auth.CodeInvalid, "expired or was used"},
		{"an expired ceremony", func() error {
			o, answer := begin(alice, &authtest.Authenticator{Origin: passkeyOrigin})
			e.clock.Advance(auth.CeremonyTTL)
			_, err := e.svc.FinishPasskeyRegistration(ctx, alice, o.Ceremony, answer)
			return err
		}, auth.CodeInvalid, "expired or was used"},
		{"no ceremony", func() error {
			_, answer := begin(alice, &authtest.Authenticator{Origin: passkeyOrigin})
			_, err := e.svc.FinishPasskeyRegistration(ctx, alice, "", answer)
			return err
		}, auth.CodeInvalid, "expired or was used"},
		{"an answer that is not one", func() error {
			o, _ := begin(alice, &authtest.Authenticator{Origin: passkeyOrigin})
			_, err := e.svc.FinishPasskeyRegistration(ctx, alice, o.Ceremony, []byte(`{"id":1}`))
			return err
		}, auth.CodeInvalid, "could not be read"},
		{"another site's answer", func() error {
			o, answer := begin(alice, &authtest.Authenticator{Origin: "http://evil.localhost:8080"})
			_, err := e.svc.FinishPasskeyRegistration(ctx, alice, o.Ceremony, answer)
			return err
		}, auth.CodeInvalid, "could not be verified"},
		{"no user verification", func() error {
			o, answer := begin(alice, &authtest.Authenticator{Origin: passkeyOrigin, NoUserVerification: true})
			_, err := e.svc.FinishPasskeyRegistration(ctx, alice, o.Ceremony, answer)
			return err
		}, auth.CodeInvalid, "could not be verified"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			ae := authtest.Code(t, err, tt.code)
			if !strings.Contains(ae.Message, tt.message) {
				t.Fatalf("message %q, want it to say %q", ae.Message, tt.message)
			}
		})
	}
	for _, p := range []*auth.Principal{alice, bob} {
		list, err := e.svc.Passkeys(ctx, p)
		authtest.NoError(t, err)
		authtest.Equal(t, len(list), 0)
	}
}

// TestPasskeyLoginRefusals: a passkey login meets the checks of every
// login, and a bad or replayed answer fails with a message that says
// what to do, recording login.failed with method passkey.
func TestPasskeyLoginRefusals(t *testing.T) {
	o := passkeyOptions()
	o.RequireVerifiedEmail = true
	e := newEnv(t, withOptions(o))
	ctx := context.Background()
	c := auth.Client{IP: "192.0.2.9"}
	alice, err := e.svc.Register(ctx, auth.Registration{Username: "alice", Email: "alice@example.com", Password: goodPassword, Verified: true}, c)
	authtest.NoError(t, err)
	key := &authtest.Authenticator{Origin: passkeyOrigin}
	p := e.browserPrincipal(t, "alice")
	e.addPasskey(t, p, key, "Phone")
	e.expect(t, auth.EventUserRegistered, auth.EventLoginSucceeded, auth.EventPasskeyAdded)

	failed := func(t *testing.T, err error, code auth.Code, reason, userID string) {
		t.Helper()
		authtest.Code(t, err, code)
		e.expect(t, auth.EventLoginFailed)
		f := e.lastEvent(t, auth.EventLoginFailed)
		if f.Details["reason"] != reason || f.Details["method"] != "passkey" || f.UserID != userID || f.ActorID != "" || f.IP != c.IP {
			t.Fatalf("login.failed: %+v", f)
		}
	}

	// A replayed answer: the ceremony is gone.
	begun, err := e.svc.BeginPasskeyLogin(ctx, auth.Client{})
	authtest.NoError(t, err)
	answer, err := key.Get(begun.Options)
	authtest.NoError(t, err)
	_, err = e.svc.LoginWithPasskey(ctx, begun.Ceremony, answer, false, c)
	authtest.NoError(t, err)
	e.expect(t, auth.EventLoginSucceeded)
	_, err = e.svc.LoginWithPasskey(ctx, begun.Ceremony, answer, false, c)
	authtest.Code(t, err, auth.CodeInvalid)
	// An answer to another ceremony's challenge.
	begun, err = e.svc.BeginPasskeyLogin(ctx, auth.Client{})
	authtest.NoError(t, err)
	_, err = e.svc.LoginWithPasskey(ctx, begun.Ceremony, answer, false, c)
	failed(t, err, auth.CodeInvalidCredentials, auth.ReasonInvalidCredentials, alice.ID)
	// Alice's passkey claiming to be bob's (the user handle is not
	// signed): refused.
	begun, err = e.svc.BeginPasskeyLogin(ctx, auth.Client{})
	authtest.NoError(t, err)
	answer, err = key.Get(begun.Options)
	authtest.NoError(t, err)
	bobID := uuid.MustParse(e.register(t, "bob", "bob@example.com").ID)
	e.expect(t, auth.EventUserRegistered, auth.EventVerificationSent)
	var doc map[string]any
	authtest.NoError(t, json.Unmarshal(answer, &doc))
	doc["response"].(map[string]any)["userHandle"] = base64.RawURLEncoding.EncodeToString(bobID[:])
	answer, _ = json.Marshal(doc)
	_, err = e.svc.LoginWithPasskey(ctx, begun.Ceremony, answer, false, c)
	failed(t, err, auth.CodeInvalidCredentials, auth.ReasonInvalidCredentials, "")
	// Not JSON at all.
	begun, err = e.svc.BeginPasskeyLogin(ctx, auth.Client{})
	authtest.NoError(t, err)
	_, err = e.svc.LoginWithPasskey(ctx, begun.Ceremony, []byte("not json"), false, c)
	authtest.Code(t, err, auth.CodeInvalid)
	e.expect(t)
	// Without user verification, it is one factor only.
	key.NoUserVerification = true
	_, err = e.passkeyLogin(t, key, c)
	failed(t, err, auth.CodeInvalidCredentials, auth.ReasonInvalidCredentials, alice.ID)
	key.NoUserVerification = false
	// A passkey removed since: not registered here, and recorded against
	// no account (it names none any more).
	gone := &authtest.Authenticator{Origin: passkeyOrigin}
	pk := e.addPasskey(t, p, gone, "Old key")
	authtest.NoError(t, e.svc.RemovePasskey(ctx, p, pk.ID))
	e.expect(t, auth.EventPasskeyAdded, auth.EventPasskeyRemoved)
	_, err = e.passkeyLogin(t, gone, c)
	failed(t, err, auth.CodeInvalidCredentials, auth.ReasonInvalidCredentials, "")
	if !strings.Contains(err.Error(), "not registered here") {
		t.Fatalf("a removed passkey: %v", err)
	}

	// Disabled: refused, until enabled again.
	authtest.NoError(t, e.store.ApplyChange(ctx, auth.Change{UserID: alice.ID, At: e.clock.Now(), Disable: true}))
	_, err = e.passkeyLogin(t, key, c)
	failed(t, err, auth.CodeAccountDisabled, auth.ReasonDisabled, alice.ID)
	authtest.NoError(t, e.store.ApplyChange(ctx, auth.Change{UserID: alice.ID, At: e.clock.Now(), Enable: true}))
	_, err = e.passkeyLogin(t, key, c)
	authtest.NoError(t, err)
	e.expect(t, auth.EventLoginSucceeded)

	// An address not proven, while that is required: bob adds his
	// passkey where it is not (the same database, another setting).
	lax := auth.NewService(auth.Deps{Store: e.store, Hasher: e.hasher, Now: e.clock.Now}, passkeyOptions())
	bob, err := lax.Register(ctx, auth.Registration{Username: "bobby", Email: "bobby@example.com", Password: goodPassword}, c)
	authtest.NoError(t, err)
	bs, err := lax.LoginBrowser(ctx, "bobby", goodPassword, false, c)
	authtest.NoError(t, err)
	bobKey := &authtest.Authenticator{Origin: passkeyOrigin}
	begun, err = lax.BeginPasskeyRegistration(ctx, &auth.Principal{User: bob, Session: bs.Session, Client: c}, "", goodPassword)
	authtest.NoError(t, err)
	answer, err = bobKey.Create(begun.Options)
	authtest.NoError(t, err)
	_, err = lax.FinishPasskeyRegistration(ctx, &auth.Principal{User: bob, Session: bs.Session, Client: c}, begun.Ceremony, answer)
	authtest.NoError(t, err)
	e.expect(t, auth.EventUserRegistered, auth.EventVerificationSent, auth.EventLoginSucceeded, auth.EventPasskeyAdded)
	_, err = e.passkeyLogin(t, bobKey, c)
	failed(t, err, auth.CodeEmailNotVerified, auth.ReasonNotVerified, bob.ID)
}

// TestPasskeysOfOthers: renaming and removing reach only the caller's own
// passkeys; another's id, an unknown one and a malformed one are not
// found, and change nothing.
func TestPasskeysOfOthers(t *testing.T) {
	e := newEnv(t, withOptions(passkeyOptions()))
	ctx := context.Background()
	e.register(t, "alice", "alice@example.com")
	e.register(t, "bob", "bob@example.com")
	alice, bob := e.browserPrincipal(t, "alice"), e.browserPrincipal(t, "bob")
	pk := e.addPasskey(t, alice, &authtest.Authenticator{Origin: passkeyOrigin}, "Phone")
	for _, id := range []string{pk.ID, "01890a5d-ac96-774b-bcce-b302099a8057", "not-an-id", "x\x00"} {
		authtest.Code(t, e.svc.RenamePasskey(ctx, bob, id, "Mine now"), auth.CodeNotFound)
		authtest.Code(t, e.svc.RemovePasskey(ctx, bob, id), auth.CodeNotFound)
	}
	ae := authtest.Code(t, e.svc.RenamePasskey(ctx, alice, pk.ID, " "), auth.CodeInvalid)
	authtest.Equal(t, fieldCodes(ae.Fields), "name:invalid_name")
	authtest.NoError(t, e.svc.RenamePasskey(ctx, alice, pk.ID, "Work laptop"))
	list, err := e.svc.Passkeys(ctx, alice)
	authtest.NoError(t, err)
	if len(list) != 1 || list[0].Name != "Work laptop" {
		t.Fatalf("alice's passkeys: %+v", list)
	}
	authtest.NoError(t, e.svc.RemovePasskey(ctx, alice, pk.ID))
	if r := e.lastEvent(t, auth.EventPasskeyRemoved); r.Details["name"] != "Work laptop" || r.Details["passkey_id"] != pk.ID || r.UserID != alice.User.ID {
		t.Fatalf("passkey.removed: %+v", r)
	}
	authtest.Code(t, e.svc.RemovePasskey(ctx, alice, pk.ID), auth.CodeNotFound)
}

// TestPasskeysOff: passkeys need a base URL whose host is a name; with an
// IP address (or none) every flow says so, and nothing is stored.
func TestPasskeysOff(t *testing.T) {
	for _, base := range []string{"", "http://127.0.0.1:8080", "http://[::1]:8080"} {
		o := auth.DefaultOptions()
		if base != "" {
			o.BaseURL, _ = url.Parse(base)
		}
		e := newEnv(t, withOptions(o))
		authtest.Equal(t, e.svc.PasskeysOn(), false)
		_, err := e.svc.BeginPasskeyLogin(context.Background(), auth.Client{})
		if !errors.Is(err, auth.ErrPasskeysOff) {
			t.Errorf("%q: begin a login: %v", base, err)
		}
		e.register(t, "alice", "alice@example.com")
		_, err = e.svc.BeginPasskeyRegistration(context.Background(), e.browserPrincipal(t, "alice"), "", goodPassword)
		if !errors.Is(err, auth.ErrPasskeysOff) {
			t.Errorf("%q: begin a registration: %v", base, err)
		}
	}
}

// TestPasskeyLimit: an account holds at most MaxPasskeys.
func TestPasskeyLimit(t *testing.T) {
	e := newEnv(t, withOptions(passkeyOptions()))
	e.register(t, "alice", "alice@example.com")
	p := e.browserPrincipal(t, "alice")
	for range auth.MaxPasskeys {
		e.addPasskey(t, p, &authtest.Authenticator{Origin: passkeyOrigin}, "")
	}
	_, err := e.svc.BeginPasskeyRegistration(context.Background(), p, "", goodPassword)
	if ae := authtest.Code(t, err, auth.CodeInvalid); !strings.Contains(ae.Message, "remove one first") {
		t.Fatalf("over the limit: %v", err)
	}
}

// TestPasskeyLoginBeginsAreBounded: a passkey login's ceremony is a row
// anyone may make, so one client makes at most the per-IP budget of them
// a minute, in a bucket of its own that leaves logins alone.
func TestPasskeyLoginBeginsAreBounded(t *testing.T) {
	o := auth.DefaultOptions()
	o.BaseURL, _ = url.Parse("http://localhost:8080")
	e := newEnv(t, withOptions(o), withLimiter(auth.NewMemoryLimiter(3)))
	ctx := context.Background()
	c := auth.Client{IP: "192.0.2.40"}
	for range 3 {
		_, err := e.svc.BeginPasskeyLogin(ctx, c)
		authtest.NoError(t, err)
	}
	_, err := e.svc.BeginPasskeyLogin(ctx, c)
	authtest.Code(t, err, auth.CodeTooManyAttempts)
	_, err = e.svc.BeginPasskeyLogin(ctx, auth.Client{IP: "192.0.2.41"})
	authtest.NoError(t, err)
	// Logins from the first address still have their own budget.
	e.register(t, "alice", "alice@example.com")
	_, err = e.svc.PasswordGrant(ctx, "alice", goodPassword, c)
	authtest.NoError(t, err)
}
