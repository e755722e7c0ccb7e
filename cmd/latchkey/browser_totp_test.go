package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/latchkey/latchkey/internal/browsertest"
)

// fillForm types into the fields of the form #id by their name attribute:
// the account page has several forms with a current_password.
func (b tab) fillForm(id string, values map[string]string) {
	b.t.Helper()
	for name, v := range values {
		sel := `#` + id + ` [name="` + name + `"]`
		b.eval(`document.querySelector('` + sel + `').value = ""`)
		b.do(chromedp.SendKeys(chromedp.CSS(sel), v))
	}
}

// TestTwoStepVerificationInABrowser sets two-step verification up in
// Chromium as a person would, reading the key off the page where a phone
// would scan the QR code, and signs in with it: the password, then the
// second step (a wrong code refused in place, then the app's code), and
// again with a recovery code.
func TestTwoStepVerificationInABrowser(t *testing.T) {
	ctx := browsertest.New(t)
	url, _ := startServer(t, testEnv(t))
	b := tab{t: t, ctx: ctx, url: url}

	b.do(chromedp.Navigate(url+"/register"), chromedp.WaitVisible(chromedp.CSS("#register-form")))
	b.fill(map[string]string{"username": "alice", "email": "alice@example.com", "password": testPassword, "confirm_password": testPassword})
	b.do(chromedp.Click(chromedp.CSS(`#register-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".username")))

	// Set up: the password, then the enrolment page.
	b.do(chromedp.Navigate(url+"/account"), chromedp.WaitVisible(chromedp.CSS("#totp-form")))
	b.fillForm("totp-form", map[string]string{"current_password": testPassword})
	b.do(chromedp.Click(chromedp.CSS(`#totp-form button[type=submit]`)))
	if !b.shows("Set up two-step verification") {
		t.Fatalf("after the password the page is not the enrolment but %s", b.page())
	}
	// The QR code is drawn: an image from a data: URL, which the pages'
	// Content-Security-Policy lets through.
	if !b.waitFor(`document.querySelector("img.qr").complete && document.querySelector("img.qr").naturalWidth === 256`) {
		t.Errorf("the QR code did not load: %s", b.eval(`document.querySelector("img.qr").outerHTML.slice(0, 120)`))
	}
	secret := strings.ReplaceAll(b.text("#totp-secret"), " ", "")
	browsertest.Screenshot(t, ctx, filepath.Join(screenshots, "two-step-setup.png"))
	now, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatalf("the key on the page, %q: %v", secret, err)
	}

	// A wrong code: the error appears in place, the same key stays.
	b.eval(`window.marker = "kept"; "ok"`)
	b.fillForm("totp-confirm-form", map[string]string{"code": otherCode(now)})
	b.do(chromedp.Click(chromedp.CSS(`#totp-confirm-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#code-error")))
	if got := b.eval(`window.marker || "reloaded"`); got != "kept" {
		t.Errorf("the page reloaded to show the error (marker %q)", got)
	}
	if got := strings.ReplaceAll(b.text("#totp-secret"), " ", ""); got != secret {
		t.Errorf("after a wrong code the key is %q, was %q", got, secret)
	}

	// The right code turns it on and shows the recovery codes in place
	// of the page.
	b.fillForm("totp-confirm-form", map[string]string{"code": now})
	b.do(chromedp.Click(chromedp.CSS(`#totp-confirm-form button[type=submit]`)))
	if !b.shows("Save your recovery codes") {
		t.Fatalf("after the right code the page is %s", b.page())
	}
	if got := b.eval(`document.title`); got != "Save your recovery codes" {
		t.Errorf("the recovery codes' page has the title %q", got)
	}
	codes := strings.Fields(b.eval(`Array.from(document.querySelectorAll("#recovery-codes code"), c => c.textContent).join(" ")`))
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown, want 10: %v", len(codes), codes)
	}
	browsertest.Screenshot(t, ctx, filepath.Join(screenshots, "recovery-codes.png"))
	b.do(chromedp.Click(chromedp.CSS(`a[href="/account?done=totp-on"]`)), chromedp.WaitVisible(chromedp.CSS("#recovery-left")))
	if got := b.text("#totp-state"); !strings.HasPrefix(got, "On since") {
		t.Errorf("the account page says %q", got)
	}
	b.do(chromedp.ScrollIntoView(chromedp.CSS("#totp")))
	browsertest.Screenshot(t, ctx, filepath.Join(screenshots, "two-step-account.png"))

	// Log out, log in: the password leads to the second step, not in.
	logIn := func() {
		t.Helper()
		b.do(chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)))
		b.do(chromedp.Navigate(url+"/login"), chromedp.WaitVisible(chromedp.CSS("#login-form")))
		b.fill(map[string]string{"identifier": "alice", "password": testPassword})
		b.do(chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)))
		if !b.shows("Two-step verification") {
			t.Fatalf("after the password the page is %s", b.page())
		}
		if got := b.eval(`document.activeElement.id`); got != "otp" {
			t.Errorf("focus on %q, want the code's input", got)
		}
		if b.eval(`String(document.querySelector(".username") !== null)`) != "false" {
			t.Fatal("signed in by the password alone")
		}
	}
	logIn()
	browsertest.Screenshot(t, ctx, filepath.Join(screenshots, "two-step-login.png"))
	// The step after the one that turned it on: a code used once is
	// refused, and one step ahead is within the drift allowed.
	next, err := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	b.fillForm("second-step-form", map[string]string{"otp": otherCode(next)})
	b.do(chromedp.Click(chromedp.CSS(`#second-step-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#otp-error")))
	if got := b.eval(`document.getElementById("otp").getAttribute("aria-invalid")`); got != "true" {
		t.Errorf("aria-invalid=%q on the wrong code", got)
	}
	b.fillForm("second-step-form", map[string]string{"otp": next})
	b.do(chromedp.Click(chromedp.CSS(`#second-step-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".username")))
	if got := b.text(".username"); got != "alice" {
		t.Fatalf("signed in as %q", got)
	}

	// Again, with a recovery code where the app's code goes.
	logIn()
	b.fillForm("second-step-form", map[string]string{"otp": codes[0]})
	b.do(chromedp.Click(chromedp.CSS(`#second-step-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".username")))
	b.do(chromedp.Navigate(url+"/account"), chromedp.WaitVisible(chromedp.CSS("#recovery-left")))
	if got := b.text("#recovery-left"); got != "9 recovery codes left." {
		t.Errorf("after using a recovery code the account page says %q", got)
	}
}

// otherCode is six digits that are not code.
func otherCode(code string) string {
	b := []byte(code)
	for i, c := range b {
		b[i] = '0' + (c-'0'+5)%10
	}
	return string(b)
}
