package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/storetest"
	"github.com/pquerna/otp/totp"
)

// mfaSite is a site on a clock the test moves, so that every code it
// makes is of a time step of its own: the server takes a step's code only
// once per account.
type mfaSite struct {
	*site
	st    *store.Store
	clock *authtest.Clock
}

func newMFASite(t *testing.T, opts auth.Options) *mfaSite {
	t.Helper()
	st, clock := storetest.Open(t), authtest.NewClock()
	return &mfaSite{site: newSiteWith(t, st, opts, clock.Now), st: st, clock: clock}
}

// code moves the clock on a step and returns the code an authenticator
// app shows for secret then.
func (s *mfaSite) code(t *testing.T, secret string) string {
	t.Helper()
	s.clock.Advance(30 * time.Second)
	c, err := totp.GenerateCode(secret, s.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wrongCode is six digits that are not code (nor, but for a chance of one
// in a million or so, the codes of the steps either side of it).
func wrongCode(code string) string {
	b := []byte(code)
	for i, c := range b {
		b[i] = '0' + (c-'0'+5)%10
	}
	return string(b)
}

// enableMFA turns two-step verification on for the user signed in on c,
// through the service, and returns the secret and the recovery codes.
func (s *mfaSite) enableMFA(t *testing.T, c *http.Client) (string, []string) {
	t.Helper()
	s.clock.Advance(30 * time.Second)
	return s.turnOnMFA(t, c, s.clock.Now())
}

// turnOnMFA turns two-step verification on for the user signed in on c,
// with the code of the moment at (the site's clock's now), and returns
// the secret and the recovery codes.
func (s *site) turnOnMFA(t *testing.T, c *http.Client, at time.Time) (string, []string) {
	t.Helper()
	ctx := context.Background()
	p, err := s.svc.AuthorizeCookie(ctx, s.sessionCookie(t, c), auth.Client{})
	if err != nil {
		t.Fatal(err)
	}
	en, err := s.svc.BeginTOTP(ctx, p, pw)
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCode(en.Secret, at)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := s.svc.ConfirmTOTP(ctx, p, code)
	if err != nil {
		t.Fatal(err)
	}
	return en.Secret, codes
}

var mfaTokenField = regexp.MustCompile(`name="mfa_token" value="([^"]+)"`)

// firstStep logs name in with the password on c and returns the second
// step's page and the token of the login waiting for its code.
func (s *mfaSite) firstStep(t *testing.T, c *http.Client, name string, form url.Values) (page, string) {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("identifier", name)
	form.Set("password", pw)
	p := do(t, c, "POST", s.URL+"/login", form)
	m := mfaTokenField.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil {
		t.Fatalf("the password of an account with two-step verification: %d, want the second step\n%s", p.status, p.body)
	}
	return p, m[1]
}

// TestSecondStep: a right password opens no session but asks for the
// code, keeping next and "remember me"; a wrong or missing code is a
// field to fix while the login waits; the right code opens the session;
// the used login sends the browser back to the login page.
func TestSecondStep(t *testing.T) {
	s := newMFASite(t, auth.DefaultOptions())
	alice, u := s.member(t, "alice")
	secret, _ := s.enableMFA(t, alice)

	c := s.browser(t)
	p, token := s.firstStep(t, c, "alice", url.Values{"next": {"/account"}, "remember_me": {"on"}})
	for _, want := range []string{
		"<h1>Two-step verification</h1>", `action="/login/verify"`, `name="next" value="/account"`,
		`id="otp" name="otp" type="text"`, `autocomplete="one-time-code" required aria-describedby="otp-hint" autofocus>`, "recovery codes",
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the second step's page lacks %s", want)
		}
	}
	if strings.Contains(p.body, "inputmode") {
		t.Error("the code's input asks for a keypad: a recovery code has letters")
	}
	if p.header.Get("Set-Cookie") != "" || s.sessionCookie(t, c) != "" {
		t.Fatal("the password alone set a cookie")
	}

	verify := func(otp string, headers ...string) page {
		t.Helper()
		return do(t, c, "POST", s.URL+"/login/verify", url.Values{"mfa_token": {token}, "otp": {otp}, "next": {"/account"}}, headers...)
	}
	right := s.code(t, secret)
	for _, tt := range []struct{ name, otp, says string }{
		{"a wrong code", wrongCode(right), "not right"},
		{"no code", "", "Enter the code"},
		{"a wrong recovery code", "AAAA-BBBB-CCCC-DDDD", "not right"},
	} {
		p := verify(tt.otp)
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `aria-invalid="true" aria-describedby="otp-error otp-hint"`) ||
			!strings.Contains(p.body, tt.says) {
			t.Fatalf("%s: %d, want 422 with the otp field's error saying %q\n%s", tt.name, p.status, tt.says, p.body)
		}
		if !strings.Contains(p.body, `name="mfa_token" value="`+token+`"`) || !strings.Contains(p.body, `name="next" value="/account"`) {
			t.Errorf("%s: the form no longer names the waiting login and its next", tt.name)
		}
		if tt.otp != "" && strings.Contains(p.body, tt.otp) {
			t.Errorf("%s: the code typed was sent back", tt.name)
		}
		if s.sessionCookie(t, c) != "" {
			t.Fatalf("%s: signed in", tt.name)
		}
	}

	p = verify(right)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/account" {
		t.Fatalf("the right code: %d %q, want 303 to /account", p.status, p.header.Get("Location"))
	}
	if !strings.Contains(p.header.Get("Set-Cookie"), "Max-Age=") {
		t.Errorf("the session forgot the first step's remember me: %q", p.header.Get("Set-Cookie"))
	}
	if !s.signedIn(t, c) {
		t.Fatal("the right code did not sign in")
	}
	if e := s.events(t, u.ID, auth.EventLoginSucceeded)[0]; e.Details["second_factor"] != "totp" {
		t.Errorf("the sign-in's event: %v", e.Details)
	}

	// The login is used up: another code for it starts over.
	p = verify(s.code(t, secret))
	if want := "/login?done=expired&next=%2Faccount"; p.status != http.StatusSeeOther || p.header.Get("Location") != want {
		t.Fatalf("a used login: %d %q, want 303 to %s", p.status, p.header.Get("Location"), want)
	}
	p = do(t, s.browser(t), "GET", s.URL+"/login?done=expired&next=%2Faccount", nil)
	if !strings.Contains(p.body, "That sign-in expired or had too many wrong codes; sign in again.") || !strings.Contains(p.body, `name="next" value="/account"`) {
		t.Errorf("the login page after a used second step does not say so, or lost next\n%s", p.body)
	}
}

// TestSecondStepWithHTMX: the login form, sent by htmx, is answered with
// the second step's whole page in place of the page's content (the form
// alone would be swapped for nothing); its own form then works as every
// htmx form does.
func TestSecondStepWithHTMX(t *testing.T) {
	s := newMFASite(t, auth.DefaultOptions())
	alice, _ := s.member(t, "alice")
	secret, _ := s.enableMFA(t, alice)
	c := s.browser(t)

	p := do(t, c, "POST", s.URL+"/login", url.Values{"identifier": {"alice"}, "password": {pw}}, "HX-Request", "true")
	m := mfaTokenField.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil || p.header.Get("HX-Retarget") != "#main" || p.header.Get("HX-Reselect") != "#main" ||
		!strings.HasPrefix(p.header.Get("HX-Reswap"), "outerHTML") || !strings.Contains(p.body, `<main id="main">`) {
		t.Fatalf("the first step from htmx: %d, HX-Retarget %q HX-Reselect %q HX-Reswap %q", p.status,
			p.header.Get("HX-Retarget"), p.header.Get("HX-Reselect"), p.header.Get("HX-Reswap"))
	}
	form := url.Values{"mfa_token": {m[1]}, "next": {"/"}}
	form.Set("otp", "12345")
	p = do(t, c, "POST", s.URL+"/login/verify", form, "HX-Request", "true")
	if p.status != http.StatusUnprocessableEntity || p.header.Get("HX-Retarget") != "" || !strings.Contains(p.body, `id="second-step-form"`) {
		t.Fatalf("a wrong code from htmx: %d, HX-Retarget %q; want 422 and the form to swap", p.status, p.header.Get("HX-Retarget"))
	}
	form.Set("otp", s.code(t, secret))
	p = do(t, c, "POST", s.URL+"/login/verify", form, "HX-Request", "true")
	if p.status != http.StatusNoContent || p.header.Get("HX-Redirect") != "/" || s.sessionCookie(t, c) == "" {
		t.Fatalf("the right code from htmx: %d, HX-Redirect %q", p.status, p.header.Get("HX-Redirect"))
	}
}

// TestSecondStepOver: five wrong codes end the waiting login, so that
// even the right code then sends the browser back to the password; and a
// fresh password starts a login that works.
func TestSecondStepOver(t *testing.T) {
	s := newMFASite(t, auth.DefaultOptions())
	alice, _ := s.member(t, "alice")
	secret, _ := s.enableMFA(t, alice)
	c := s.browser(t)
	_, token := s.firstStep(t, c, "alice", nil)
	for i := range auth.MaxChallengeFailures {
		p := do(t, c, "POST", s.URL+"/login/verify", url.Values{"mfa_token": {token}, "otp": {"00000" + string(rune('0'+i))}})
		if p.status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong code %d: %d", i+1, p.status)
		}
	}
	p := do(t, c, "POST", s.URL+"/login/verify", url.Values{"mfa_token": {token}, "otp": {s.code(t, secret)}}, "HX-Request", "true")
	if p.status != http.StatusNoContent || p.header.Get("HX-Redirect") != "/login?done=expired" || s.sessionCookie(t, c) != "" {
		t.Fatalf("the right code after five wrong ones: %d %q, want the login page again", p.status, p.header.Get("HX-Redirect"))
	}

	// So does a login that waited too long.
	_, token = s.firstStep(t, c, "alice", nil)
	s.clock.Advance(auth.ChallengeTTL)
	p = do(t, c, "POST", s.URL+"/login/verify", url.Values{"mfa_token": {token}, "otp": {s.code(t, secret)}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?done=expired" {
		t.Fatalf("an expired login: %d %q", p.status, p.header.Get("Location"))
	}

	_, token = s.firstStep(t, c, "alice", nil)
	p = do(t, c, "POST", s.URL+"/login/verify", url.Values{"mfa_token": {token}, "otp": {s.code(t, secret)}})
	if p.status != http.StatusSeeOther || !s.signedIn(t, c) {
		t.Fatalf("a fresh login after the lockout: %d", p.status)
	}
}

// TestSecondStepThrottled: an account throttled while its login waits
// (wrong passwords elsewhere) gets its code refused with 429 and a
// Retry-After, as the login page answers; the login still waits.
func TestSecondStepThrottled(t *testing.T) {
	s := newMFASite(t, auth.DefaultOptions())
	alice, _ := s.member(t, "alice")
	secret, _ := s.enableMFA(t, alice)
	c := s.browser(t)
	_, token := s.firstStep(t, c, "alice", nil)
	for range auth.MaxLoginFailures {
		do(t, s.browser(t), "POST", s.URL+"/login", url.Values{"identifier": {"alice"}, "password": {"not the password"}})
	}
	p := do(t, c, "POST", s.URL+"/login/verify", url.Values{"mfa_token": {token}, "otp": {s.code(t, secret)}})
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" || !strings.Contains(p.body, "Too many attempts") {
		t.Fatalf("a throttled second step: %d Retry-After %q", p.status, p.header.Get("Retry-After"))
	}
	if strings.Contains(p.body, `aria-invalid="true"`) || !strings.Contains(p.body, `value="`+token+`"`) {
		t.Error("a throttled second step marks the code wrong, or forgot the login")
	}
	if s.sessionCookie(t, c) != "" {
		t.Fatal("a throttled second step signed in")
	}
}

// TestSecondStepHostileText posts what PostgreSQL refuses and SQLite
// stores (a NUL, bytes that are not UTF-8) as the code and as the token:
// a wrong code (422) or a login that is over (back to the login page),
// never a 500, on whichever database the suite runs on.
func TestSecondStepHostileText(t *testing.T) {
	s := newMFASite(t, auth.DefaultOptions())
	alice, _ := s.member(t, "alice")
	s.enableMFA(t, alice)
	c := s.browser(t)
	_, token := s.firstStep(t, c, "alice", nil)
	for _, otp := range []string{"12\x0034", "\x00\x00\x00\x00\x00\x00\x00\x00", "a\xffb", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8"} {
		p := do(t, c, "POST", s.URL+"/login/verify", url.Values{"mfa_token": {token}, "otp": {otp}})
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="otp-error"`) {
			t.Errorf("code %q: %d, want 422 naming the code", otp, p.status)
		}
	}
	for _, bad := range []string{"ab\x00cd", "a\xffb", token + "\x00", strings.Repeat("x", 200), ""} {
		p := do(t, c, "POST", s.URL+"/login/verify", url.Values{"mfa_token": {bad}, "otp": {"123456"}, "next": {"/a\xff\x00"}})
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?done=expired" {
			t.Errorf("token %q: %d %q, want 303 to the login page", bad, p.status, p.header.Get("Location"))
		}
	}
	if strings.Contains(s.logs.String(), "level=ERROR") {
		t.Errorf("hostile text logged an error:\n%s", s.logs)
	}
}

// claimLink is the token of the newest link of kind in the outbox, as the
// sender would mail it.
func (s *mfaSite) claimLink(t *testing.T, kind auth.MailKind) string {
	t.Helper()
	ctx := context.Background()
	list, err := s.st.ClaimMail(ctx, s.clock.Now().Add(time.Second), time.Hour, 100)
	if err != nil {
		t.Fatal(err)
	}
	token := ""
	for _, m := range list {
		if m.Kind != kind {
			continue
		}
		if m, err = s.svc.ResolveMail(ctx, m); err != nil || m == nil {
			t.Fatalf("resolve %s: %v", kind, err)
		}
		token = m.Token
	}
	if token == "" {
		t.Fatalf("no %s among %d messages", kind, len(list))
	}
	return token
}

// TestSignInLinkAsksForTheSecondStep: a sign-in link stands for the
// password, not for the phone: using it asks for the code, keeping the
// link's next, and a recovery code finishes the login.
func TestSignInLinkAsksForTheSecondStep(t *testing.T) {
	opts := auth.DefaultOptions()
	opts.LoginLinks = true
	s := newMFASite(t, opts)
	alice, u := s.member(t, "alice")
	_, codes := s.enableMFA(t, alice)

	c := s.browser(t)
	if p := do(t, c, "POST", s.URL+"/login-link", url.Values{"email": {"alice@example.com"}, "next": {"/account"}}); p.status != http.StatusOK {
		t.Fatalf("ask for a sign-in link: %d", p.status)
	}
	link := s.claimLink(t, auth.MailLoginLink)
	p := do(t, c, "POST", s.URL+"/login-link/confirm?next=%2Faccount", url.Values{"token": {link}})
	m := mfaTokenField.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil || !strings.Contains(p.body, `name="next" value="/account"`) || s.sessionCookie(t, c) != "" {
		t.Fatalf("the sign-in link of an account with two-step verification: %d, want the second step\n%s", p.status, p.body)
	}
	p = do(t, c, "POST", s.URL+"/login/verify", url.Values{"mfa_token": {m[1]}, "otp": {strings.ToLower(codes[0])}, "next": {"/account"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/account" || !s.signedIn(t, c) {
		t.Fatalf("a recovery code at the second step: %d %q", p.status, p.header.Get("Location"))
	}
	e := s.events(t, u.ID, auth.EventLoginSucceeded)[0]
	if e.Details["method"] != string(auth.LoginLink) || e.Details["second_factor"] != "recovery_code" {
		t.Errorf("the sign-in's event: %v", e.Details)
	}
}

// TestResetAsksForTheCode: the reset page of an account with two-step
// verification on asks for a code as well (and only then), keeps asking
// through every refusal, and takes the password with the right code.
func TestResetAsksForTheCode(t *testing.T) {
	s := newMFASite(t, auth.DefaultOptions())
	alice, _ := s.member(t, "alice")
	secret, _ := s.enableMFA(t, alice)
	s.member(t, "bob")
	ctx := context.Background()

	if _, err := s.svc.SendPasswordReset(ctx, nil, "bob"); err != nil {
		t.Fatal(err)
	}
	bobLink := s.claimLink(t, auth.MailResetPassword)
	if p := do(t, s.browser(t), "GET", s.URL+"/reset-password?token="+url.QueryEscape(bobLink), nil); p.status != 200 || strings.Contains(p.body, `name="otp"`) {
		t.Fatalf("the reset page of an account without two-step verification: %d, asks for a code: %v", p.status, strings.Contains(p.body, `name="otp"`))
	}

	if _, err := s.svc.SendPasswordReset(ctx, nil, "alice"); err != nil {
		t.Fatal(err)
	}
	link := s.claimLink(t, auth.MailResetPassword)
	c := s.browser(t)
	p := do(t, c, "GET", s.URL+"/reset-password?token="+url.QueryEscape(link), nil)
	if p.status != 200 || !strings.Contains(p.body, `id="otp" name="otp" type="text"`) || !strings.Contains(p.body, `id="otp-hint"`) {
		t.Fatalf("the reset page of an account with two-step verification: %d, want the code's input\n%s", p.status, p.body)
	}
	const newPW = "a brand new passphrase"
	right := s.code(t, secret)
	for _, tt := range []struct{ name, confirm, otp, field string }{
		{"no code", newPW, "", "otp"},
		{"a wrong code", newPW, wrongCode(right), "otp"},
		{"passwords that differ", "something else", right, "confirm_password"},
	} {
		p := do(t, c, "POST", s.URL+"/reset-password", url.Values{"token": {link}, "new_password": {newPW}, "confirm_password": {tt.confirm}, "otp": {tt.otp}})
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="`+tt.field+`-error"`) || !strings.Contains(p.body, `name="otp"`) {
			t.Fatalf("%s: %d, want 422 naming %s, still asking for the code\n%s", tt.name, p.status, tt.field, p.body)
		}
		if tt.otp != "" && strings.Contains(p.body, `value="`+tt.otp+`"`) {
			t.Errorf("%s: the code typed was sent back", tt.name)
		}
	}
	p = do(t, c, "POST", s.URL+"/reset-password", url.Values{"token": {link}, "new_password": {newPW}, "confirm_password": {newPW}, "otp": {right}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?done=reset" {
		t.Fatalf("the reset with the right code: %d %q\n%s", p.status, p.header.Get("Location"), p.body)
	}
	if _, err := s.svc.Authenticate(ctx, "alice", newPW, auth.Client{}); err != nil {
		t.Fatalf("the new password: %v", err)
	}
}
