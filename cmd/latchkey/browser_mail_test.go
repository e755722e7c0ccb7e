package main

import (
	"io"
	"net/http"
	neturl "net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/latchkey/latchkey/internal/browsertest"
	"github.com/latchkey/latchkey/internal/mail/mailtest"
)

// The account e-mail flows in Chromium, start to end: the server delivers
// through its real outbox and sender to an SMTP sink, and the test follows
// the links a person would find in the mail.

// mailWait bounds how long a test waits for a message: the sender picks
// mail up within a second, so this is only a ceiling for a slow machine.
const mailWait = 10 * time.Second

// mailServer starts the program with a fresh SMTP sink as its mail server.
func mailServer(t *testing.T) (string, *mailtest.Sink) {
	t.Helper()
	sink := mailtest.NewSink(t)
	url, _ := startServer(t, testEnv(t, "LATCHKEY_SMTP_URL", sink.URL()))
	return url, sink
}

// waitFor polls the page until the JavaScript expression cond is true,
// reporting whether it became true within a few seconds. Polling rather
// than a chromedp wait keeps a page that never shows what is expected
// from hanging the test until its deadline, and lets the caller say what
// went wrong.
func (b tab) waitFor(cond string) bool {
	b.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if b.eval(`String(Boolean(`+cond+`))`) == "true" {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// heading is the text of the page's main heading ("" without one).
func (b tab) heading() string {
	b.t.Helper()
	return b.eval(`(document.querySelector("main h1") || {textContent: ""}).textContent.trim()`)
}

// shows reports whether the page's main heading becomes h within a few
// seconds.
// sent reports whether the form's place (its element, #id) says "Check
// your inbox", as a request for mail answers in place of the form.
func (b tab) sent(id string) bool {
	b.t.Helper()
	return b.waitFor(`(document.querySelector("#` + id + `[role=status] h2") || {textContent: ""}).textContent.trim() === "Check your inbox"`)
}

func (b tab) shows(h string) bool {
	b.t.Helper()
	return b.waitFor(`(document.querySelector("main h1") || {textContent: ""}).textContent.trim() === ` + strconv.Quote(h))
}

// page describes where the tab is and what it shows, for a failure.
func (b tab) page() string {
	b.t.Helper()
	return b.location() + " showing:\n" + b.eval(`document.querySelector("main").innerHTML.trim()`)
}

// status opens url in the tab and returns the HTTP status of the answer.
func (b tab) status(url string) int {
	b.t.Helper()
	res, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(url))
	if err != nil {
		b.t.Fatalf("open %s: %v", url, err)
	}
	return int(res.Status)
}

// mailed returns m, failing the test unless it went to addr alone with
// the subject.
func mailed(t *testing.T, m mailtest.Received, addr, subject string) mailtest.Received {
	t.Helper()
	if len(m.To) != 1 || m.To[0] != addr || m.Subject != subject {
		t.Fatalf("mail %q to %v, want %q to %s", m.Subject, m.To, subject, addr)
	}
	return m
}

// TestForgotPasswordInABrowser walks a forgotten password from the login
// page to the login with the new one: the link is asked for, read from the
// mail, opened, refused for a mismatched confirmation inline, used; the
// old password then fails, the link is dead, and a notice was mailed.
func TestForgotPasswordInABrowser(t *testing.T) {
	ctx := browsertest.New(t)
	url, sink := mailServer(t)
	register(t, url, "alice")
	mailed(t, sink.Wait(t, 1, mailWait)[0], "alice@example.com", "Confirm your e-mail address")
	b := tab{t: t, ctx: ctx, url: url}

	b.do(chromedp.Navigate(url+"/login"), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	b.do(chromedp.Click(chromedp.CSS(`a[href="/forgot-password"]`)), chromedp.WaitVisible(chromedp.CSS("#forgot-form")))
	b.fill(map[string]string{"email": "alice@example.com"})
	browsertest.Screenshot(t, ctx, filepath.Join(screenshots, "forgot-password.png"))
	b.do(chromedp.Click(chromedp.CSS(`#forgot-form button[type=submit]`)))
	if !b.sent("forgot-form") {
		t.Errorf(`after asking for a reset link the page is not "Check your inbox" but %s`, b.page())
	}

	reset := mailed(t, sink.Wait(t, 2, mailWait)[1], "alice@example.com", "Reset your Latchkey password")
	link := reset.Link(t, "/reset-password")
	if !strings.HasPrefix(link, url+"/reset-password?token=") {
		t.Fatalf("reset link %q is not on the server's base URL %s", link, url)
	}

	// The page of a link that carries a token keeps it out of Referer.
	res, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("GET of the reset link: %d, Referrer-Policy %q; want 200, no-referrer", res.StatusCode, res.Header.Get("Referrer-Policy"))
	}

	if got := b.status(link); got != http.StatusOK {
		t.Fatalf("the reset link opens with %d", got)
	}
	b.do(chromedp.WaitVisible(chromedp.CSS("#reset-form")))
	browsertest.Screenshot(t, ctx, filepath.Join(screenshots, "reset-password.png"))

	// A mismatched confirmation: the error appears inline, no reload.
	const newPassword = "a brand new passphrase"
	b.eval(`window.marker = "kept"; "ok"`)
	b.fill(map[string]string{"new_password": newPassword, "confirm_password": newPassword + "!"})
	b.do(chromedp.Click(chromedp.CSS(`#reset-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#confirm_password-error")))
	if got := b.eval(`window.marker || "reloaded"`); got != "kept" {
		t.Errorf("the page reloaded to show the error (marker %q)", got)
	}
	if got := b.eval(`document.getElementById("new_password").value`); got != "" {
		t.Error("the new password was sent back into the form")
	}

	// The good password: the browser is sent to log in, with a message.
	b.fill(map[string]string{"new_password": newPassword, "confirm_password": newPassword})
	b.do(chromedp.Click(chromedp.CSS(`#reset-form button[type=submit]`)))
	if !b.waitFor(`location.pathname === "/login"`) {
		t.Errorf("after setting the new password the browser is not sent to /login but stays at %s", b.page())
		// Go on as a person would, by opening the login page, to check the
		// rest of the flow.
		b.do(chromedp.Navigate(url + "/login?done=reset"))
	}
	b.do(chromedp.WaitVisible(chromedp.CSS("#login-form")))
	if got := b.text(".flash"); !strings.Contains(got, "Your password was changed") {
		t.Errorf("login page after the reset says %q", got)
	}

	b.fill(map[string]string{"identifier": "alice", "password": newPassword})
	b.do(chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".username")))
	if got := b.text(".username"); got != "alice" {
		t.Fatalf("header after logging in with the new password shows %q", got)
	}

	c := browserClient() // a second device
	res, err = c.PostForm(url+"/login", neturl.Values{"identifier": {"alice"}, "password": {testPassword}})
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	base, _ := neturl.Parse(url)
	if res.StatusCode != http.StatusUnprocessableEntity || len(c.Jar.Cookies(base)) != 0 {
		t.Errorf("login with the old password: %d with cookies %v, want 422 and none", res.StatusCode, c.Jar.Cookies(base))
	}

	if got := b.status(link); got != http.StatusGone {
		t.Errorf("the used reset link opens with %d, want 410", got)
	}
	if got := b.heading(); got != "This link is no longer valid" {
		t.Errorf("the used reset link shows %q", got)
	}
	browsertest.Screenshot(t, ctx, filepath.Join(screenshots, "link-dead.png"))

	notice := mailed(t, sink.Wait(t, 3, mailWait)[2], "alice@example.com", "Your password was changed")
	if strings.Contains(notice.Text, "token=") || strings.Contains(notice.HTML, "token=") {
		t.Errorf("the password-changed notice carries a link that does something:\n%s", notice.Text)
	}
}

// TestSignInLinkInABrowser asks for a sign-in link from the login page and
// shows that opening it uses nothing: a mail scanner's GETs get the page
// with its button, twice, and no session; the person's click in Chromium
// signs in; the link then is dead.
func TestSignInLinkInABrowser(t *testing.T) {
	ctx := browsertest.New(t)
	url, sink := mailServer(t)
	register(t, url, "alice")
	mailed(t, sink.Wait(t, 1, mailWait)[0], "alice@example.com", "Confirm your e-mail address")
	b := tab{t: t, ctx: ctx, url: url}

	b.do(chromedp.Navigate(url+"/login"), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	b.do(chromedp.Click(chromedp.CSS(`a[href^="/login-link"]`)), chromedp.WaitVisible(chromedp.CSS("#login-link-form")))
	b.fill(map[string]string{"email": "alice@example.com"})
	b.do(chromedp.Click(chromedp.CSS(`#login-link-form button[type=submit]`)))
	if !b.sent("login-link-form") {
		t.Errorf(`after asking for a sign-in link the page is not "Check your inbox" but %s`, b.page())
	}
	link := mailed(t, sink.Wait(t, 2, mailWait)[1], "alice@example.com", "Your sign-in link").Link(t, "/login-link/confirm")

	// A scanner fetches the link, twice: the page, and no session.
	scanner := browserClient() // a mail scanner
	base, _ := neturl.Parse(url)
	for i := range 2 {
		res, err := scanner.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "Sign in as alice") {
			t.Fatalf("GET %d of the sign-in link: %d\n%s", i+1, res.StatusCode, body)
		}
		if c := res.Header.Values("Set-Cookie"); len(c) != 0 {
			t.Errorf("GET %d of the sign-in link set cookies %q", i+1, c)
		}
	}
	if c := scanner.Jar.Cookies(base); len(c) != 0 {
		t.Errorf("the scanner holds cookies %v", c)
	}

	// The person clicks.
	if got := b.status(link); got != http.StatusOK {
		t.Fatalf("the sign-in link opens with %d after the scanner's GETs", got)
	}
	if got := b.text(`main form button[type=submit]`); got != "Sign in as alice" {
		t.Fatalf("the sign-in link's button says %q", got)
	}
	b.do(chromedp.Click(chromedp.CSS(`main form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".username")))
	if got := b.text(".username"); got != "alice" {
		t.Fatalf("header after the sign-in link shows %q", got)
	}

	if got := b.status(link); got != http.StatusGone {
		t.Errorf("the used sign-in link opens with %d, want 410", got)
	}
	if got := b.heading(); got != "This link is no longer valid" {
		t.Errorf("the used sign-in link shows %q", got)
	}
}

// TestVerifyFromTheAccountPage has a new user ask for another confirmation
// link from the account page: the first link dies, the second confirms the
// address, and the account page says so.
func TestVerifyFromTheAccountPage(t *testing.T) {
	ctx := browsertest.New(t)
	url, sink := mailServer(t)
	register(t, url, "alice")
	first := mailed(t, sink.Wait(t, 1, mailWait)[0], "alice@example.com", "Confirm your e-mail address").Link(t, "/verify-email")
	b := tab{t: t, ctx: ctx, url: url}

	b.do(chromedp.Navigate(url+"/login"), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	b.fill(map[string]string{"identifier": "alice", "password": testPassword})
	b.do(chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".username")))
	b.do(chromedp.Navigate(url+"/account"), chromedp.WaitVisible(chromedp.CSS("#email-state")))
	if got := b.text("#email-state"); !strings.Contains(got, "alice@example.com is not confirmed") {
		t.Fatalf("a new account's page says %q", got)
	}

	b.do(chromedp.Click(chromedp.CSS(`form[action="/account/verification"] button`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := b.text(".flash"); !strings.Contains(got, "on its way to alice@example.com") {
		t.Errorf("after 'Send the link again' the account page says %q", got)
	}
	second := mailed(t, sink.Wait(t, 2, mailWait)[1], "alice@example.com", "Confirm your e-mail address").Link(t, "/verify-email")
	if second == first {
		t.Fatal("the link sent again is the first one")
	}

	if got := b.status(first); got != http.StatusGone {
		t.Errorf("the first link, replaced, opens with %d, want 410", got)
	}
	if got := b.heading(); got != "This link is no longer valid" {
		t.Errorf("the replaced link shows %q", got)
	}

	if got := b.status(second); got != http.StatusOK {
		t.Fatalf("the second link opens with %d", got)
	}
	if got := b.text(`main form button[type=submit]`); got != "Confirm alice@example.com" {
		t.Fatalf("the confirmation page's button says %q", got)
	}
	b.do(chromedp.Click(chromedp.CSS(`main form button[type=submit]`)))
	if !b.shows("Address confirmed") {
		t.Fatalf(`after the confirmation button the page is not "Address confirmed" but %s`, b.page())
	}
	b.do(chromedp.Navigate(url+"/account"), chromedp.WaitVisible(chromedp.CSS("#email-state")))
	if got := b.text("#email-state"); got != "alice@example.com is confirmed." {
		t.Errorf("the account page after confirming says %q", got)
	}
}

// TestResetFormWhoseLinkDied submits the reset form after its link was
// used elsewhere (here through the API, as another tab or device would):
// the person must see "This link is no longer valid", not a form that
// does nothing.
func TestResetFormWhoseLinkDied(t *testing.T) {
	ctx := browsertest.New(t)
	url, sink := mailServer(t)
	register(t, url, "alice")
	sink.Wait(t, 1, mailWait)
	res, err := http.Post(url+"/api/password-reset", "application/json", strings.NewReader(`{"email":"alice@example.com"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api/password-reset: %d", res.StatusCode)
	}
	link := mailed(t, sink.Wait(t, 2, mailWait)[1], "alice@example.com", "Reset your Latchkey password").Link(t, "/reset-password")
	b := tab{t: t, ctx: ctx, url: url}
	if got := b.status(link); got != http.StatusOK {
		t.Fatalf("the reset link opens with %d", got)
	}
	b.do(chromedp.WaitVisible(chromedp.CSS("#reset-form")))

	u, _ := neturl.Parse(link)
	res, err = http.Post(url+"/api/password-reset/confirm", "application/json",
		strings.NewReader(`{"token":"`+u.Query().Get("token")+`","new_password":"used elsewhere first"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("POST /api/password-reset/confirm: %d", res.StatusCode)
	}

	// The form posted without htmx gets the dead-link page: the server
	// answers as it should, so what the browser shows is the page's doing.
	form := neturl.Values{"token": {u.Query().Get("token")}, "new_password": {"a brand new passphrase"}, "confirm_password": {"a brand new passphrase"}}
	res, err = http.PostForm(url+"/reset-password", form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusGone || !strings.Contains(string(body), "This link is no longer valid") {
		t.Fatalf("the reset form of a used link, posted without htmx: %d\n%s", res.StatusCode, body)
	}

	b.fill(map[string]string{"new_password": form.Get("new_password"), "confirm_password": form.Get("confirm_password")})
	b.do(chromedp.Click(chromedp.CSS(`#reset-form button[type=submit]`)))
	if !b.shows("This link is no longer valid") {
		t.Errorf(`the reset form of a used link, submitted, does not show "This link is no longer valid" but leaves the browser at %s`, b.page())
	}
}
