package main

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/latchkey/latchkey/internal/browsertest"
)

// startPasskeyServer runs the server for the passkey tests and returns
// its base URL. WebAuthn refuses an IP address as relying party, so the
// base URL names localhost (a secure context over plain HTTP, which
// Chromium dials on the loopback address the server listens on).
func startPasskeyServer(t *testing.T) string {
	t.Helper()
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	base := "http://localhost:" + port
	url, _ := startServer(t, testEnv(t, "LATCHKEY_ADDR", addr, "LATCHKEY_BASE_URL", base))
	register(t, url, "alice")
	return base
}

// passkeyTab is a Chromium tab with a virtual authenticator: a platform
// authenticator (CTAP2, internal) that keeps discoverable credentials
// and verifies its user, answering at once as if touched and unlocked.
func passkeyTab(t *testing.T, base string) tab {
	t.Helper()
	b := tab{t: t, ctx: browsertest.New(t), url: base}
	b.do(func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		if _, err := cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return chromedp.Void{}, err
		}
		_, err := cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{
				Protocol:                    webauthn.AuthenticatorProtocolCtap2,
				Transport:                   webauthn.AuthenticatorTransportInternal,
				HasResidentKey:              true,
				HasUserVerification:         true,
				IsUserVerified:              true,
				AutomaticPresenceSimulation: true,
			},
		})
		return chromedp.Void{}, err
	})
	return b
}

// logInWithPassword logs in through the login form.
func (b tab) logInWithPassword() {
	b.t.Helper()
	b.do(chromedp.Navigate(b.url+"/login"), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	b.fill(map[string]string{"identifier": "alice", "password": testPassword})
	b.do(chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".username")))
}

// addPasskey adds a passkey called name on /account, as a person would.
func (b tab) addPasskey(name string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.url+"/account"), chromedp.WaitVisible(chromedp.CSS("#passkey-add")))
	if got := b.eval(`String(document.getElementById("passkey-unsupported").hidden)`); got != "true" {
		b.t.Errorf("with WebAuthn, the page still says it is unsupported (hidden: %s)", got)
	}
	// By id: the profile form has a current_password too.
	for sel, v := range map[string]string{"#passkey-name": name, "#passkey-current_password": testPassword} {
		b.do(chromedp.SendKeys(chromedp.CSS(sel), v))
	}
	b.do(chromedp.Click(chromedp.CSS(`#passkey-add button[type=submit]`)))
	b.await(`document.querySelector(".flash") || document.querySelector("#passkey-add-error:not([hidden])")`)
	if msg := b.eval(`(document.querySelector("#passkey-add-error:not([hidden])") || {}).textContent || ""`); msg != "" {
		b.t.Fatalf("adding a passkey failed: %s", msg)
	}
	if got := b.text(".flash"); !strings.HasPrefix(got, "Your passkey was added.") {
		b.t.Fatalf("after adding a passkey, the notice says %q", got)
	}
	if got := b.text(".passkey-name"); got != name {
		b.t.Fatalf("the passkey is listed as %q, want %q", got, name)
	}
}

// logOut logs out with the header's button.
func (b tab) logOut() {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)))
}

// await waits until the JavaScript expression is truthy (see waitFor).
func (b tab) await(js string) {
	b.t.Helper()
	if !b.waitFor(js) {
		b.t.Fatalf("still not %s after 5 s, at %s", js, b.location())
	}
}

// withoutAutofill makes the tab's pages report that the browser offers no
// passkey autofill, so that only "Sign in with a passkey" can start a
// login: with autofill, the virtual authenticator answers the page's
// background request at once, as if its suggestion had been chosen.
func (b tab) withoutAutofill() {
	b.t.Helper()
	b.do(func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `Object.defineProperty(PublicKeyCredential, "isConditionalMediationAvailable", {value: async () => false})`,
		})
		return chromedp.Void{}, err
	})
}

// signedInWithPasskey checks that the passkey login landed on /account,
// signed in, and that the account page's activity tells of it.
func (b tab) signedInWithPasskey(how string) {
	b.t.Helper()
	b.await(`document.querySelector(".username") || document.querySelector("#passkey-login-error:not([hidden])")`)
	if msg := b.eval(`(document.querySelector("#passkey-login-error:not([hidden])") || {}).textContent || ""`); msg != "" {
		b.t.Fatalf("%s: the passkey login failed: %s", how, msg)
	}
	if got := b.text(".username"); got != "alice" {
		b.t.Fatalf("%s: signed in as %q", how, got)
	}
	if l := b.location(); l != "/account" {
		b.t.Errorf("%s: the passkey login landed on %q, want next's /account", how, l)
	}
	if body := b.text("#activity-heading + ul"); !strings.Contains(body, "Signed in (passkey)") {
		b.t.Errorf("%s: recent activity lacks the passkey login:\n%s", how, body)
	}
}

// TestPasskeysInABrowser: in Chromium with a virtual authenticator, a
// passkey added on /account logs alice in again after she logs out, by
// the browser's autofill (the login page's background request) and by
// "Sign in with a passkey", and either login lands where next says.
func TestPasskeysInABrowser(t *testing.T) {
	b := passkeyTab(t, startPasskeyServer(t))
	b.logInWithPassword()
	b.addPasskey("Chromium")
	if body := b.text("#activity-heading + ul"); !strings.Contains(body, "Passkey added: Chromium") {
		t.Errorf("recent activity lacks the new passkey:\n%s", body)
	}
	b.logOut()

	// Autofill: the identifier field asks for it, and the page's
	// conditional request logs in.
	b.do(chromedp.Navigate(b.url + "/login?next=/account"))
	b.signedInWithPasskey("by autofill")
	b.logOut()

	b.withoutAutofill()
	b.do(chromedp.Navigate(b.url+"/login?next=/account"), chromedp.WaitVisible(chromedp.CSS("#passkey-login-button")))
	if got := b.eval(`document.getElementById("identifier").getAttribute("autocomplete")`); got != "username webauthn" {
		t.Errorf("the identifier field's autocomplete is %q", got)
	}
	b.do(chromedp.Click(chromedp.CSS("#passkey-login-button")))
	b.signedInWithPasskey("by the button")
}

// TestRemovedPasskeyInABrowser: once removed on /account, the passkey the
// authenticator still holds no longer logs in, and the login page says
// why instead of failing silently.
func TestRemovedPasskeyInABrowser(t *testing.T) {
	b := passkeyTab(t, startPasskeyServer(t))
	b.withoutAutofill()
	b.logInWithPassword()
	b.addPasskey("Soon gone")
	b.do(chromedp.Click(chromedp.CSS(`.passkeys form[action$="/remove"] button`)), chromedp.WaitVisible(chromedp.CSS("#no-passkeys")))
	if got := b.text(".flash"); !strings.HasPrefix(got, "The passkey was removed.") {
		t.Fatalf("after removing, the notice says %q", got)
	}
	b.logOut()

	b.do(chromedp.Navigate(b.url+"/login"), chromedp.WaitVisible(chromedp.CSS("#passkey-login-button")))
	if b.eval(`String(document.getElementById("passkey-login-error").hidden)`) != "true" {
		t.Fatal("the login page shows an error before anything was tried")
	}
	b.do(chromedp.Click(chromedp.CSS("#passkey-login-button")), chromedp.WaitVisible(chromedp.CSS("#passkey-login-error")))
	if got := b.text("#passkey-login-error"); !strings.Contains(got, "This passkey is not registered here.") {
		t.Fatalf("the login page says %q", got)
	}
	if n := b.eval(`String(document.querySelectorAll(".username").length)`); n != "0" {
		t.Fatal("a removed passkey signed in")
	}
}
