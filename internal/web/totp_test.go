package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"html"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/pquerna/otp"

	"github.com/latchkey/latchkey/internal/auth"
)

var (
	secretText    = regexp.MustCompile(`id="totp-secret">([A-Z2-7 ]+)</code>`)
	qrImage       = regexp.MustCompile(`<img class="qr" src="data:image/png;base64,([^"]+)"[^>]* alt="[^"]+"`)
	recoveryCodes = regexp.MustCompile(`<li><code>([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})</code></li>`)
)

// codesOn are the recovery codes a page shows.
func codesOn(body string) []string {
	var codes []string
	for _, m := range recoveryCodes.FindAllStringSubmatch(body, -1) {
		codes = append(codes, m[1])
	}
	return codes
}

// TestTOTPEnrolment sets two-step verification up through the pages: the
// password first, then the QR code and the key as text, a wrong code that
// shows the same key again, and the right one, which turns it on and
// shows the ten recovery codes.
func TestTOTPEnrolment(t *testing.T) {
	s := newMFASite(t, auth.DefaultOptions())
	alice, u := s.member(t, "alice")

	if p := do(t, s.browser(t), "GET", s.URL+"/account/totp", nil); p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?next=%2Faccount%2Ftotp" {
		t.Fatalf("a visitor: %d %q", p.status, p.header.Get("Location"))
	}
	p := do(t, alice, "GET", s.URL+"/account", nil)
	if !strings.Contains(p.body, `<h2 id="totp-heading">Two-step verification</h2>`) || !strings.Contains(p.body, `id="totp-form"`) || !strings.Contains(p.body, "Off.") {
		t.Fatalf("the account page does not offer to set two-step verification up\n%s", p.body)
	}
	if p := do(t, alice, "GET", s.URL+"/account/totp", nil); p.status != http.StatusSeeOther || p.header.Get("Location") != "/account" {
		t.Fatalf("the enrolment page with nothing waiting: %d %q, want back to /account", p.status, p.header.Get("Location"))
	}

	for _, tt := range []struct{ name, password string }{{"no password", ""}, {"a wrong password", "not the password"}} {
		for _, htmx := range []bool{false, true} {
			var headers []string
			if htmx {
				headers = []string{"HX-Request", "true"}
			}
			p := do(t, alice, "POST", s.URL+"/account/totp", url.Values{"current_password": {tt.password}}, headers...)
			if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `aria-describedby="totp-current_password-error"`) {
				t.Fatalf("%s (htmx %v): %d, want 422 naming the password", tt.name, htmx, p.status)
			}
		}
	}
	p = do(t, alice, "POST", s.URL+"/account/totp", url.Values{"current_password": {pw}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/account/totp" {
		t.Fatalf("set up: %d %q, want 303 to the enrolment page", p.status, p.header.Get("Location"))
	}

	p = do(t, alice, "GET", s.URL+"/account/totp", nil)
	m := secretText.FindStringSubmatch(p.body)
	qr := qrImage.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil || qr == nil {
		t.Fatalf("the enrolment page: %d, secret %v, QR code %v\n%s", p.status, m != nil, qr != nil, p.body)
	}
	shown := m[1]
	secret := strings.ReplaceAll(shown, " ", "")
	if len(secret) != 32 || len(strings.Fields(shown)) != 8 {
		t.Errorf("the key as shown: %q, want 32 characters in groups of four", shown)
	}
	b, err := base64.StdEncoding.DecodeString(html.UnescapeString(qr[1])) // "+" is written "&#43;"
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the QR code is no PNG: %v", err)
	}
	if size := img.Bounds().Size(); size.X != 256 || size.Y != 256 {
		t.Errorf("the QR code is %v", size)
	}
	// The QR code holds the otpauth:// URL of the key shown.
	principal, err := s.svc.AuthorizeCookie(context.Background(), s.sessionCookie(t, alice), auth.Client{})
	if err != nil {
		t.Fatal(err)
	}
	en, err := s.svc.PendingTOTP(context.Background(), principal)
	if err != nil || en.Secret != secret || !strings.Contains(en.URL, "secret="+secret) {
		t.Fatalf("the key waiting is not the one shown: %v", err)
	}
	key, err := otp.NewKeyFromURL(en.URL)
	if err != nil {
		t.Fatal(err)
	}
	drawn, err := key.Image(256, 256)
	if err != nil {
		t.Fatal(err)
	}
	for y := range 256 {
		for x := range 256 {
			got, _, _, _ := img.At(x, y).RGBA()
			want, _, _, _ := drawn.At(x, y).RGBA()
			if got != want {
				t.Fatalf("the QR code differs from the otpauth URL's at (%d, %d)", x, y)
			}
		}
	}
	if cc := p.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("the page with the secret: Cache-Control %q", cc)
	}

	right := s.code(t, secret)
	for _, tt := range []struct{ name, code string }{
		{"a wrong code", wrongCode(right)}, {"no code", ""}, {"a NUL", "12\x003456"}, {"bytes that are not UTF-8", "\xff\xfe\xfd"},
	} {
		p := do(t, alice, "POST", s.URL+"/account/totp/confirm", url.Values{"code": {tt.code}})
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `aria-describedby="code-error"`) {
			t.Fatalf("%s: %d, want 422 naming the code\n%s", tt.name, p.status, p.body)
		}
		if m := secretText.FindStringSubmatch(p.body); m == nil || m[1] != shown || !qrImage.MatchString(p.body) {
			t.Fatalf("%s: the page does not show the same key and its QR code again", tt.name)
		}
	}

	p = do(t, alice, "POST", s.URL+"/account/totp/confirm", url.Values{"code": {right}})
	codes := codesOn(p.body)
	if p.status != http.StatusOK || len(codes) != auth.RecoveryCodeCount || !strings.Contains(p.body, "Save them now") {
		t.Fatalf("the right code: %d and %d recovery codes, want 200 and %d\n%s", p.status, len(codes), auth.RecoveryCodeCount, p.body)
	}
	if cc := p.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("the page with the recovery codes: Cache-Control %q", cc)
	}
	if got, err := s.svc.FindUser(context.Background(), u.ID); err != nil || !got.MFAEnabled() {
		t.Fatalf("two-step verification is not on: %v", err)
	}
	if n := len(s.events(t, u.ID, auth.EventMFAEnabled)); n != 1 {
		t.Errorf("%d mfa.enabled events, want 1", n)
	}

	p = do(t, alice, "GET", s.URL+"/account", nil)
	for _, want := range []string{"On since", "10 recovery codes left.", `id="recovery-form"`, `id="totp-off-form"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the account page with two-step verification on lacks %s", want)
		}
	}
	if strings.Contains(p.body, `id="totp-form"`) {
		t.Error("the account page offers to set up what is on")
	}
	if p := do(t, alice, "GET", s.URL+"/account/totp", nil); p.status != http.StatusSeeOther || p.header.Get("Location") != "/account" {
		t.Errorf("the enrolment page once on: %d %q, want back to /account", p.status, p.header.Get("Location"))
	}
	if p := do(t, alice, "POST", s.URL+"/account/totp", url.Values{"current_password": {pw}}); p.status != http.StatusConflict || !strings.Contains(p.body, "already on") {
		t.Errorf("setting it up again while on: %d, want 409 saying so", p.status)
	}

	// A recovery code signs in, once.
	c := s.browser(t)
	_, token := s.firstStep(t, c, "alice", nil)
	if p := do(t, c, "POST", s.URL+"/login/verify", url.Values{"mfa_token": {token}, "otp": {codes[3]}}); p.status != http.StatusSeeOther {
		t.Fatalf("a recovery code: %d", p.status)
	}
	if p := do(t, alice, "GET", s.URL+"/account", nil); !strings.Contains(p.body, "9 recovery codes left.") {
		t.Error("the account page does not count the recovery code used")
	}
}

// TestNewRecoveryCodesAndTurningOff: new recovery codes after the
// password (the old ones stop working), and turning two-step verification
// off with the password and a code, each refusal a field to fix.
func TestNewRecoveryCodesAndTurningOff(t *testing.T) {
	s := newMFASite(t, auth.DefaultOptions())
	alice, u := s.member(t, "alice")
	secret, old := s.enableMFA(t, alice)

	if p := do(t, alice, "POST", s.URL+"/account/totp/recovery-codes", url.Values{"current_password": {"not the password"}}); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.body, `aria-describedby="recovery-current_password-error"`) {
		t.Fatalf("new codes with a wrong password: %d, want 422 naming it", p.status)
	}
	p := do(t, alice, "POST", s.URL+"/account/totp/recovery-codes", url.Values{"current_password": {pw}}, "HX-Request", "true")
	codes := codesOn(p.body)
	if p.status != http.StatusOK || len(codes) != auth.RecoveryCodeCount || p.header.Get("HX-Retarget") != "#main" || !strings.Contains(p.body, "old recovery codes no longer work") {
		t.Fatalf("new codes: %d, %d codes, HX-Retarget %q", p.status, len(codes), p.header.Get("HX-Retarget"))
	}

	off := func(password, code string) page {
		t.Helper()
		return do(t, alice, "POST", s.URL+"/account/totp/disable", url.Values{"current_password": {password}, "code": {code}})
	}
	for _, tt := range []struct{ name, password, code, field string }{
		{"no code", pw, "", "totp-off-code"},
		{"an old recovery code", pw, old[0], "totp-off-code"},
		{"a wrong password", "not the password", codes[0], "totp-off-current_password"},
		{"no password", "", codes[0], "totp-off-current_password"},
		{"a NUL", pw, "\x00\x00\x00\x00\x00\x00\x00\x00", "totp-off-code"},
		{"bytes that are not UTF-8", pw, "a\xffb", "totp-off-code"},
	} {
		p := off(tt.password, tt.code)
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="`+tt.field+`-error"`) {
			t.Fatalf("turning off with %s: %d, want 422 naming %s\n%s", tt.name, p.status, tt.field, p.body)
		}
		if tt.code != "" && strings.Contains(p.body, tt.code) {
			t.Errorf("turning off with %s: the code typed was sent back", tt.name)
		}
	}
	p = off(pw, s.code(t, secret))
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/account?done=totp-off" {
		t.Fatalf("turning off: %d %q", p.status, p.header.Get("Location"))
	}
	p = do(t, alice, "GET", s.URL+"/account?done=totp-off", nil)
	if !strings.Contains(p.body, "Two-step verification is off") || !strings.Contains(p.body, `id="totp-form"`) {
		t.Error("the account page after turning off does not say so, or offers no set up")
	}
	if n := len(s.events(t, u.ID, auth.EventMFADisabled)); n != 1 {
		t.Errorf("%d mfa.disabled events, want 1", n)
	}
	if p := off(pw, codes[1]); p.status != http.StatusConflict {
		t.Errorf("turning off what is off: %d, want 409", p.status)
	}
	s.signIn(t, "alice") // the password alone, again
}
