package main

import (
	"context"
	"io"
	"net/http"
	neturl "net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/latchkey/latchkey/internal/browsertest"
)

// screenshots is where the browser tests leave pictures for the README.
var screenshots = filepath.Join("..", "..", "docs", "screenshots")

type tab struct {
	t   *testing.T
	ctx context.Context
	url string
}

func (b tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

func (b tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (b tab) eval(js string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return s
}

func (b tab) location() string {
	b.t.Helper()
	l, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return strings.TrimPrefix(l, b.url)
}

// fill types into the fields of a form by their name attribute.
func (b tab) fill(values map[string]string) {
	b.t.Helper()
	for name, v := range values {
		sel := `[name="` + name + `"]`
		b.eval(`document.querySelector('` + sel + `').value = ""`)
		b.do(chromedp.SendKeys(chromedp.CSS(sel), v))
	}
}

// TestSiteInABrowser walks the site as a person would, in Debian's
// Chromium: the inline error without a reload, registration, logout,
// login, writing and editing a post, a second user who sees no edit
// buttons and is refused the edit URL, and "log out everywhere else".
func TestSiteInABrowser(t *testing.T) {
	ctx := browsertest.New(t)
	url, _ := startServer(t, testEnv(t))
	b := tab{t: t, ctx: ctx, url: url}

	// A mismatched confirmation: the error appears next to the field, the
	// page is not reloaded (a marker set on window survives) and the first
	// bad field has the focus.
	b.do(chromedp.Navigate(url+"/register"), chromedp.WaitVisible(chromedp.CSS("#register-form")))
	b.eval(`window.marker = "kept"; "ok"`)
	b.fill(map[string]string{"username": "alice", "email": "alice@example.com", "password": "correct horse battery", "confirm_password": "correct horse batterx"})
	b.do(chromedp.Click(chromedp.CSS(`#register-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#confirm_password-error")))
	if got := b.eval(`window.marker || "reloaded"`); got != "kept" {
		t.Fatalf("the page reloaded to show the error (marker %q)", got)
	}
	if got := b.eval(`document.activeElement.id`); got != "confirm_password" {
		t.Errorf("focus on %q, want the field in error", got)
	}
	if got := b.eval(`document.getElementById("confirm_password").getAttribute("aria-invalid")`); got != "true" {
		t.Errorf("aria-invalid=%q on the bad field", got)
	}
	if got := b.eval(`document.getElementById("password").value`); got != "" {
		t.Error("the password was sent back into the form")
	}
	browsertest.Screenshot(t, ctx, filepath.Join(screenshots, "register-error.png"))

	b.fill(map[string]string{"password": testPassword, "confirm_password": testPassword})
	b.do(chromedp.Click(chromedp.CSS(`#register-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".username")))
	if got := b.text(".username"); got != "alice" {
		t.Fatalf("header after registration shows %q", got)
	}

	// Log out, log in.
	b.do(chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)))
	b.do(chromedp.Navigate(url+"/login"), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	b.fill(map[string]string{"identifier": "alice", "password": testPassword})
	b.do(chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".username")))

	// Write a post, then edit it.
	b.do(chromedp.Click(chromedp.CSS(`a[href="/posts/new"]`)), chromedp.WaitVisible(chromedp.CSS("#post-form")))
	b.fill(map[string]string{"title": "Hello from a browser", "body": "Written in Chromium."})
	b.do(chromedp.Click(chromedp.CSS(`#post-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#edit-post")))
	postPath, _, _ := strings.Cut(b.location(), "?") // without the "Post published" notice's ?done=
	if got := b.text(".flash"); got != "Post published." {
		t.Errorf("after publishing, the notice says %q", got)
	}
	b.do(chromedp.Click(chromedp.CSS("#edit-post")), chromedp.WaitVisible(chromedp.CSS("#post-form")))
	b.fill(map[string]string{"title": "Hello again from a browser"})
	b.do(chromedp.Click(chromedp.CSS(`#post-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#edit-post")))
	if got := b.text("article h1"); got != "Hello again from a browser" {
		t.Fatalf("edited title %q", got)
	}
	browsertest.Screenshot(t, ctx, filepath.Join(screenshots, "post.png"))
	b.do(chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.CSS(".posts")))
	browsertest.Screenshot(t, ctx, filepath.Join(screenshots, "home.png"))

	// A second user sees no edit buttons and gets 403 on the edit URL.
	bob := tab{t: t, ctx: browsertest.New(t), url: url}
	bob.do(chromedp.Navigate(url+"/register"), chromedp.WaitVisible(chromedp.CSS("#register-form")))
	bob.fill(map[string]string{"username": "bob", "email": "bob@example.com", "password": "another good passphrase", "confirm_password": "another good passphrase"})
	bob.do(chromedp.Click(chromedp.CSS(`#register-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".username")))
	bob.do(chromedp.Navigate(url+postPath), chromedp.WaitVisible(chromedp.CSS("article h1")))
	if n := bob.eval(`String(document.querySelectorAll("#edit-post, #delete-post").length)`); n != "0" {
		t.Fatalf("another user sees %s edit buttons", n)
	}
	resp, err := chromedp.Run(bob.ctx, chromedp.NavigateResponse(url+postPath+"/edit"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusForbidden {
		t.Fatalf("another user's edit URL: %d", resp.Status)
	}

	// Alice, logged in elsewhere too, logs out everywhere else.
	other := loginOverHTTP(t, url, "alice", testPassword)
	b.do(chromedp.Navigate(url+"/account"), chromedp.WaitVisible(chromedp.CSS("#logout-others")))
	browsertest.Screenshot(t, ctx, filepath.Join(screenshots, "account.png"))
	b.do(chromedp.Click(chromedp.CSS("#logout-others")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if n := b.eval(`String(document.querySelectorAll(".sessions li").length)`); n != "1" {
		t.Fatalf("%s sessions listed after 'log out everywhere else'", n)
	}
	if status := getStatus(t, other, url+"/account"); status != http.StatusSeeOther {
		t.Fatalf("the other session still reaches /account: %d", status)
	}
}

// loginOverHTTP logs in with a plain HTTP client: a second device.
func loginOverHTTP(t *testing.T, url, user, password string) *http.Client {
	c := browserClient()
	res, err := c.PostForm(url+"/login", neturl.Values{"identifier": {user}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login over HTTP: %d", res.StatusCode)
	}
	return c
}

func getStatus(t *testing.T, c *http.Client, url string) int {
	res, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// TestNextStaysOnTheSiteInABrowser follows, in Chromium, a next that once
// led away: "/./\evil.example" passed the check and was then cleaned into
// "/\evil.example", which browsers read as //evil.example. Through the
// login form (htmx) and through the login page with a live session, the
// browser stays on the site.
func TestNextStaysOnTheSiteInABrowser(t *testing.T) {
	ctx := browsertest.New(t)
	url, _ := startServer(t, testEnv(t))
	register(t, url, "alice")
	b := tab{t: t, ctx: ctx, url: url}
	const next = "/./%5Cevil.example"
	here := func(what string) {
		t.Helper()
		l, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(l, url+"/") {
			t.Fatalf("%s: the browser is at %q, off the site %s", what, l, url)
		}
	}

	b.do(chromedp.Navigate(url+"/login?next="+next), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	b.fill(map[string]string{"identifier": "alice", "password": testPassword})
	b.do(chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)))
	// Wait for the page after the login, wherever it is: polling the
	// location, as a wait for an element of the home page would hang
	// until the test's deadline if the browser were taken elsewhere.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		l, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(l, url+"/login") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("still on the login page 10 s after logging in")
		}
	}
	here("after logging in with next=" + next)

	// Logged in, the login page sends the browser straight to next. A
	// navigation to another host fails here (the network is closed), so
	// the error says nothing the location does not.
	_ = chromedp.Do(ctx, chromedp.Navigate(url+"/login?next="+next))
	here("the login page with a session and next=" + next)
}
