package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/pquerna/otp/totp"
)

// totpCode is the code an authenticator app shows for secret now.
func (e *env) totpCode(t *testing.T, secret string) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, e.clock.Now())
	authtest.NoError(t, err)
	return code
}

// enableTOTP turns two-step verification on for p as a person would, and
// returns the secret their app holds.
func (e *env) enableTOTP(t *testing.T, p *auth.Principal, pw string) string {
	t.Helper()
	en, err := e.svc.BeginTOTP(context.Background(), p, pw)
	authtest.NoError(t, err)
	e.clock.Advance(30 * time.Second) // a code later than any the account used
	codes, err := e.svc.ConfirmTOTP(context.Background(), p, e.totpCode(t, en.Secret))
	authtest.NoError(t, err)
	authtest.Equal(t, len(codes), auth.RecoveryCodeCount)
	return en.Secret
}

// mfaUser registers alice with two-step verification on, and returns the
// secret and her recovery codes.
func (e *env) mfaUser(t *testing.T) (secret string, codes []string) {
	t.Helper()
	ctx := context.Background()
	e.register(t, "alice", "alice@example.com")
	p := e.principal(t, e.login(t, "alice"))
	en, err := e.svc.BeginTOTP(ctx, p, goodPassword)
	authtest.NoError(t, err)
	e.clock.Advance(30 * time.Second)
	codes, err = e.svc.ConfirmTOTP(ctx, p, e.totpCode(t, en.Secret))
	authtest.NoError(t, err)
	e.clock.Advance(30 * time.Second)
	return en.Secret, codes
}

// startLogin takes a password login's first step and returns the token of
// the login waiting for its code.
func (e *env) startLogin(t *testing.T) string {
	t.Helper()
	_, err := e.svc.PasswordGrant(context.Background(), "alice", goodPassword, auth.Client{IP: "192.0.2.9"})
	var step *auth.SecondStepRequired
	if !errors.As(err, &step) {
		t.Fatalf("password grant with TOTP on = %v, want the second step", err)
	}
	authtest.Equal(t, auth.ErrorCode(err), auth.CodeMFARequired)
	return step.Token
}

func TestEnrolment(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.register(t, "alice", "alice@example.com")
	p := e.principal(t, e.login(t, "alice"))

	// The password first, and a wrong one counts against the account.
	_, err := e.svc.BeginTOTP(ctx, p, "")
	authtest.Code(t, err, auth.CodeInvalid)
	_, err = e.svc.BeginTOTP(ctx, p, "not the password")
	authtest.Code(t, err, auth.CodeInvalid)
	n, _, err := e.store.LoginFailures(ctx, "user:"+p.User.ID, e.clock.Now().Add(-time.Hour))
	authtest.NoError(t, err)
	authtest.Equal(t, n, 1)

	// Confirming needs a secret waiting, then its current code.
	_, err = e.svc.ConfirmTOTP(ctx, p, "123456")
	authtest.Code(t, err, auth.CodeConflict)
	en, err := e.svc.BeginTOTP(ctx, p, goodPassword)
	authtest.NoError(t, err)
	if !strings.HasPrefix(en.URL, "otpauth://totp/") || !strings.Contains(en.URL, "secret="+en.Secret) || len(en.Secret) != 32 {
		t.Fatalf("enrolment: %+v", en)
	}
	if p.User.MFAEnabled() {
		t.Fatal("on before a code confirmed it")
	}
	_, err = e.svc.ConfirmTOTP(ctx, p, "")
	authtest.Code(t, err, auth.CodeInvalid)
	e.clock.Advance(2 * time.Minute) // beyond the drift allowed
	old, _ := totp.GenerateCode(en.Secret, e.clock.Now().Add(-2*time.Minute))
	_, err = e.svc.ConfirmTOTP(ctx, p, old)
	authtest.Code(t, err, auth.CodeInvalid)
	codes, err := e.svc.ConfirmTOTP(ctx, p, e.totpCode(t, en.Secret))
	authtest.NoError(t, err)
	authtest.Equal(t, len(codes), 10)
	seen := map[string]bool{}
	for _, c := range codes {
		// 16 base32 characters (80 bits), grouped in fours.
		if len(c) != 19 || strings.Count(c, "-") != 3 || seen[c] {
			t.Fatalf("recovery code %q", c)
		}
		seen[c] = true
	}
	u, err := e.store.UserByID(ctx, p.User.ID)
	authtest.NoError(t, err)
	if !u.MFAEnabled() {
		t.Fatal("not on after the confirmation")
	}
	// On now: enrolling again is refused until it is turned off.
	_, err = e.svc.BeginTOTP(ctx, p, goodPassword)
	authtest.Code(t, err, auth.CodeConflict)
	left, err := e.svc.RecoveryCodesLeft(ctx, p)
	authtest.NoError(t, err)
	authtest.Equal(t, left, 10)
}

// TestSecondStep walks a login with TOTP on, on both endpoints' flows.
func TestSecondStep(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	secret, _ := e.mfaUser(t)
	c := auth.Client{IP: "192.0.2.9"}

	// The browser: no session after the password, one after the code,
	// remembering "remember me".
	_, err := e.svc.LoginBrowser(ctx, "alice", goodPassword, true, c)
	var step *auth.SecondStepRequired
	if !errors.As(err, &step) {
		t.Fatalf("browser login with TOTP on = %v", err)
	}
	authtest.NoError(t, e.svc.CheckChallenge(ctx, step.Token))
	// The half-done login is no session: its token is no cookie.
	if _, err := e.svc.AuthorizeCookie(ctx, step.Token, c); err == nil {
		t.Fatal("the waiting login's token works as a cookie")
	}
	// An API token for the browser's login, and the other way round, is
	// not the login it waits for.
	if _, err := e.svc.MFAGrant(ctx, step.Token, auth.SecondFactor{Code: e.totpCode(t, secret)}, c); !errors.Is(err, auth.ErrSecondStepOver) {
		t.Fatalf("browser challenge at the token endpoint: %v", err)
	}
	bs, err := e.svc.CompleteBrowserLogin(ctx, step.Token, auth.SecondFactor{Code: e.totpCode(t, secret)}, c)
	authtest.NoError(t, err)
	if !bs.Session.Remember {
		t.Error("remember me was lost between the steps")
	}
	// Used up by its success.
	e.clock.Advance(30 * time.Second)
	if _, err := e.svc.CompleteBrowserLogin(ctx, step.Token, auth.SecondFactor{Code: e.totpCode(t, secret)}, c); !errors.Is(err, auth.ErrSecondStepOver) {
		t.Fatalf("second use of a waiting login: %v", err)
	}

	// The token endpoint.
	tok := e.startLogin(t)
	if _, err := e.svc.MFAGrant(ctx, tok, auth.SecondFactor{}, c); auth.ErrorCode(err) != auth.CodeInvalid {
		t.Fatalf("no code: %v", err)
	}
	g, err := e.svc.MFAGrant(ctx, tok, auth.SecondFactor{Code: " " + e.totpCode(t, secret)[:3] + " " + e.totpCode(t, secret)[3:]}, c)
	authtest.NoError(t, err)
	if err := e.authorized(t, g.AccessToken); err != nil {
		t.Fatalf("token after the second step: %v", err)
	}
}

// TestCodeReplay: a code accepted once is refused after, on a new login
// too, and so is any code of an earlier step; the next step's code works.
func TestCodeReplay(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	secret, _ := e.mfaUser(t)
	code := e.totpCode(t, secret)
	_, err := e.svc.MFAGrant(ctx, e.startLogin(t), auth.SecondFactor{Code: code}, auth.Client{})
	authtest.NoError(t, err)
	if _, err := e.svc.MFAGrant(ctx, e.startLogin(t), auth.SecondFactor{Code: code}, auth.Client{}); !errors.Is(err, auth.ErrWrongSecondFactor) {
		t.Fatalf("replayed code: %v", err)
	}
	tok := e.startLogin(t)
	earlier, _ := totp.GenerateCode(secret, e.clock.Now().Add(-30*time.Second)) // within the drift, but spent
	if _, err := e.svc.MFAGrant(ctx, tok, auth.SecondFactor{Code: earlier}, auth.Client{}); !errors.Is(err, auth.ErrWrongSecondFactor) {
		t.Fatalf("code of an earlier step: %v", err)
	}
	e.clock.Advance(30 * time.Second)
	_, err = e.svc.MFAGrant(ctx, tok, auth.SecondFactor{Code: e.totpCode(t, secret)}, auth.Client{})
	authtest.NoError(t, err)
}

// TestCodeDrift: one step either way is accepted, two are not.
func TestCodeDrift(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	secret, _ := e.mfaUser(t)
	at := func(d time.Duration) string {
		c, err := totp.GenerateCode(secret, e.clock.Now().Add(d))
		authtest.NoError(t, err)
		return c
	}
	for _, d := range []time.Duration{-2 * time.Minute, 90 * time.Second} {
		if _, err := e.svc.MFAGrant(ctx, e.startLogin(t), auth.SecondFactor{Code: at(d)}, auth.Client{}); !errors.Is(err, auth.ErrWrongSecondFactor) {
			t.Errorf("code %v away: %v", d, err)
		}
	}
	e.clock.Advance(5 * time.Minute) // past the failures' steps
	_, err := e.svc.MFAGrant(ctx, e.startLogin(t), auth.SecondFactor{Code: at(-30 * time.Second)}, auth.Client{})
	authtest.NoError(t, err)
	_, err = e.svc.MFAGrant(ctx, e.startLogin(t), auth.SecondFactor{Code: at(30 * time.Second)}, auth.Client{})
	authtest.NoError(t, err)
}

// TestSecondStepLockout: five wrong codes end the waiting login, the
// right code included after; the account's throttle counted them.
func TestSecondStepLockout(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	secret, _ := e.mfaUser(t)
	tok := e.startLogin(t)
	for i := range auth.MaxChallengeFailures {
		if _, err := e.svc.MFAGrant(ctx, tok, auth.SecondFactor{Code: "000000"}, auth.Client{}); !errors.Is(err, auth.ErrWrongSecondFactor) {
			t.Fatalf("wrong code %d: %v", i+1, err)
		}
	}
	if _, err := e.svc.MFAGrant(ctx, tok, auth.SecondFactor{Code: e.totpCode(t, secret)}, auth.Client{}); !errors.Is(err, auth.ErrSecondStepOver) {
		t.Fatalf("right code after five wrong: %v", err)
	}
	u, _ := e.store.UserByUsername(ctx, "alice")
	n, _, err := e.store.LoginFailures(ctx, "user:"+u.ID, e.clock.Now().Add(-time.Hour))
	authtest.NoError(t, err)
	authtest.Equal(t, n, auth.MaxChallengeFailures)

	// A fresh password does not buy five more: the right password of an
	// account with TOTP on forgets no failures, and at the account's limit
	// every code is refused unchecked, the right one included.
	tok2, tok3 := e.startLogin(t), e.startLogin(t)
	for range auth.MaxLoginFailures - auth.MaxChallengeFailures {
		e.svc.MFAGrant(ctx, tok2, auth.SecondFactor{Code: "000000"}, auth.Client{})
	}
	_, err = e.svc.MFAGrant(ctx, tok3, auth.SecondFactor{Code: e.totpCode(t, secret)}, auth.Client{})
	authtest.Code(t, err, auth.CodeTooManyAttempts)
	_, err = e.svc.PasswordGrant(ctx, "alice", goodPassword, auth.Client{})
	authtest.Code(t, err, auth.CodeTooManyAttempts)
}

// TestSecondStepExpires: a waiting login lives five minutes.
func TestSecondStepExpires(t *testing.T) {
	e := newEnv(t)
	secret, _ := e.mfaUser(t)
	tok := e.startLogin(t)
	e.clock.Advance(auth.ChallengeTTL)
	if _, err := e.svc.MFAGrant(context.Background(), tok, auth.SecondFactor{Code: e.totpCode(t, secret)}, auth.Client{}); !errors.Is(err, auth.ErrSecondStepOver) {
		t.Fatalf("after five minutes: %v", err)
	}
}

// TestConcurrentSecondSteps: of ten right codes for one waiting login at
// once, exactly one opens a session.
func TestConcurrentSecondSteps(t *testing.T) {
	e := newEnv(t)
	secret, _ := e.mfaUser(t)
	tok := e.startLogin(t)
	code := e.totpCode(t, secret)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for range 10 {
		wg.Go(func() {
			_, err := e.svc.MFAGrant(context.Background(), tok, auth.SecondFactor{Code: code}, auth.Client{})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else if c := auth.ErrorCode(err); c != auth.CodeInvalidGrant {
				t.Errorf("a losing use: %v", err)
			}
		})
	}
	wg.Wait()
	authtest.Equal(t, wins, 1)
}

// TestRecoveryCodes: each works once, in any case and with or without
// its dashes, at the token endpoint's own parameter or where the code
// goes; new codes end the old ones.
func TestRecoveryCodes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, codes := e.mfaUser(t)
	_, err := e.svc.MFAGrant(ctx, e.startLogin(t), auth.SecondFactor{RecoveryCode: strings.ToLower(codes[0])}, auth.Client{})
	authtest.NoError(t, err)
	if _, err := e.svc.MFAGrant(ctx, e.startLogin(t), auth.SecondFactor{RecoveryCode: codes[0]}, auth.Client{}); !errors.Is(err, auth.ErrWrongSecondFactor) {
		t.Fatalf("recovery code used twice: %v", err)
	}
	g, err := e.svc.MFAGrant(ctx, e.startLogin(t), auth.SecondFactor{Code: strings.ReplaceAll(codes[1], "-", "")}, auth.Client{})
	authtest.NoError(t, err)
	p := e.principal(t, g)
	left, _ := e.svc.RecoveryCodesLeft(ctx, p)
	authtest.Equal(t, left, 8)
	fresh, err := e.svc.NewRecoveryCodes(ctx, p, goodPassword)
	authtest.NoError(t, err)
	if _, err := e.svc.MFAGrant(ctx, e.startLogin(t), auth.SecondFactor{RecoveryCode: codes[2]}, auth.Client{}); !errors.Is(err, auth.ErrWrongSecondFactor) {
		t.Fatalf("an old code after new ones: %v", err)
	}
	_, err = e.svc.MFAGrant(ctx, e.startLogin(t), auth.SecondFactor{RecoveryCode: fresh[9]}, auth.Client{})
	authtest.NoError(t, err)
}

// TestDisableTOTP needs the password and a second factor; a recovery code
// will do, for a lost phone.
func TestDisableTOTP(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, codes := e.mfaUser(t)
	g, err := e.svc.MFAGrant(ctx, e.startLogin(t), auth.SecondFactor{RecoveryCode: codes[0]}, auth.Client{})
	authtest.NoError(t, err)
	p := e.principal(t, g)
	authtest.Code(t, e.svc.DisableTOTP(ctx, p, goodPassword, auth.SecondFactor{}), auth.CodeInvalid)
	authtest.Code(t, e.svc.DisableTOTP(ctx, p, "", auth.SecondFactor{RecoveryCode: codes[1]}), auth.CodeInvalid)
	authtest.Code(t, e.svc.DisableTOTP(ctx, p, goodPassword, auth.SecondFactor{Code: "000000"}), auth.CodeInvalid)
	authtest.Code(t, e.svc.DisableTOTP(ctx, p, goodPassword, auth.SecondFactor{RecoveryCode: codes[0]}), auth.CodeInvalid) // used
	authtest.NoError(t, e.svc.DisableTOTP(ctx, p, goodPassword, auth.SecondFactor{RecoveryCode: codes[1]}))
	// Off: the password alone logs in, and the old codes are gone.
	e.login(t, "alice")
	authtest.Code(t, e.svc.DisableTOTP(ctx, p, goodPassword, auth.SecondFactor{RecoveryCode: codes[2]}), auth.CodeConflict)
}

// TestLinksAskForTheSecondFactor: a sign-in link stands for the password
// only, and so does a reset link.
func TestLinksAskForTheSecondFactor(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	secret, _ := e.mfaUser(t)
	c := auth.Client{IP: "192.0.2.7"}

	authtest.NoError(t, e.svc.RequestLoginLink(ctx, "alice@example.com", "/", c))
	_, err := e.svc.LoginLinkGrant(ctx, e.deliver(t)[auth.MailLoginLink], c)
	var step *auth.SecondStepRequired
	if !errors.As(err, &step) {
		t.Fatalf("sign-in link with TOTP on: %v", err)
	}
	_, err = e.svc.MFAGrant(ctx, step.Token, auth.SecondFactor{Code: e.totpCode(t, secret)}, c)
	authtest.NoError(t, err)
	if l := e.lastEvent(t, auth.EventLoginSucceeded); l.Details["method"] != "login_link" || l.Details["second_factor"] != "totp" {
		t.Fatalf("login.succeeded: %+v", l)
	}

	e.clock.Advance(time.Minute)
	authtest.NoError(t, e.svc.RequestPasswordReset(ctx, "alice@example.com", c))
	link := e.deliver(t)[auth.MailResetPassword]
	err = second(e.svc.ResetPassword(ctx, link, "a new good password", auth.SecondFactor{}, c))
	if fe := authtest.Code(t, err, auth.CodeInvalid); len(fe.Fields) != 1 || fe.Fields[0].Field != "otp" {
		t.Fatalf("reset without a code: %v", err)
	}
	err = second(e.svc.ResetPassword(ctx, link, "a new good password", auth.SecondFactor{Code: "000000"}, c))
	authtest.Code(t, err, auth.CodeInvalid)
	e.clock.Advance(30 * time.Second)
	_, err = e.svc.ResetPassword(ctx, link, "a new good password", auth.SecondFactor{Code: e.totpCode(t, secret)}, c)
	authtest.NoError(t, err)
	// Still on: the new password alone is a first step.
	if _, err := e.svc.PasswordGrant(ctx, "alice", "a new good password", c); auth.ErrorCode(err) != auth.CodeMFARequired {
		t.Fatalf("login after the reset: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

// TestSecretsSealed: with a master key the stored secret is sealed, and
// still gives the codes.
func TestSecretsSealed(t *testing.T) {
	e := newEnv(t, withMasterKey())
	ctx := context.Background()
	secret, _ := e.mfaUser(t)
	u, _ := e.store.UserByUsername(ctx, "alice")
	stored, _, err := e.store.TOTPSecret(ctx, u.ID)
	authtest.NoError(t, err)
	if strings.Contains(stored, secret) || !strings.HasPrefix(stored, "sealed:") {
		t.Fatalf("stored secret %q is not sealed", stored)
	}
	_, err = e.svc.MFAGrant(ctx, e.startLogin(t), auth.SecondFactor{Code: e.totpCode(t, secret)}, auth.Client{})
	authtest.NoError(t, err)
}

// TestResetMFA: an admin turns it off for a user who lost everything.
func TestResetMFA(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mfaUser(t)
	u, err := e.svc.ResetMFA(ctx, nil, "alice")
	authtest.NoError(t, err)
	if u.MFAEnabled() {
		t.Fatal("still on")
	}
	e.login(t, "alice")
	_, err = e.svc.ResetMFA(ctx, nil, "alice")
	authtest.Code(t, err, auth.CodeConflict)
	if r := e.lastEvent(t, auth.EventMFAReset); r.Details["via"] != "command_line" {
		t.Fatalf("mfa.reset: %+v", r)
	}
}

// TestPendingTOTP: the enrolment shown again is the one stored.
func TestPendingTOTP(t *testing.T) {
	e := newEnv(t, withMasterKey())
	ctx := context.Background()
	e.register(t, "alice", "alice@example.com")
	p := e.principal(t, e.login(t, "alice"))
	_, err := e.svc.PendingTOTP(ctx, p)
	authtest.Code(t, err, auth.CodeNotFound)
	en, err := e.svc.BeginTOTP(ctx, p, goodPassword)
	authtest.NoError(t, err)
	again, err := e.svc.PendingTOTP(ctx, p)
	authtest.NoError(t, err)
	if *again != *en {
		t.Fatalf("pending enrolment %+v, want %+v", again, en)
	}
}
