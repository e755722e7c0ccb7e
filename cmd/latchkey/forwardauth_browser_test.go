package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/latchkey/latchkey/internal/browsertest"
)

// TestForwardAuthInABrowser follows the README's nginx configuration in
// Chromium (which takes every .localhost name for loopback, so the hosts
// are real to it): the app's page leads to Latchkey's login, and the
// login back to the page, where the app greets the user. With scripts,
// htmx sends the browser there; without them, the login form's own
// redirect does, which the CSP's form-action must allow.
func TestForwardAuthInABrowser(t *testing.T) {
	bin := lookPath(t, "nginx", "nginx-light")
	ctx := browsertest.New(t)
	s := startForwardAuth(t)
	app := startUpstream(t)
	startNginx(t, bin, s, app)
	register(t, "http://"+s.addr, "alice")
	b := tab{t: t, ctx: ctx}
	page := "http://" + s.nginx + "/reports?q=1"

	for _, scripts := range []bool{true, false} {
		name := map[bool]string{true: "with scripts", false: "without scripts"}[scripts]
		b.do(
			func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
				if _, err := cdp.Call(ctx, t, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
					return chromedp.Void{}, err
				}
				_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !scripts})
				return chromedp.Void{}, err
			},
			chromedp.Navigate(page),
			chromedp.WaitVisible(chromedp.CSS("#login-form")),
		)
		if l := b.location(); !strings.HasPrefix(l, s.base+"/login?next=") {
			t.Fatalf("%s: the app's page led to %q, not the login", name, l)
		}
		b.fill(map[string]string{"identifier": "alice", "password": testPassword})
		b.do(chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)))
		for deadline := time.Now().Add(10 * time.Second); !strings.HasPrefix(b.location(), page); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: still at %q 10 s after logging in, not back at %s", name, b.location(), page)
			}
		}
		if body := b.text("body"); !strings.Contains(body, `"X-Latchkey-Username":["alice"]`) {
			t.Errorf("%s: the app's page shows %s", name, body)
		}
	}
}
