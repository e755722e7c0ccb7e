package main

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/latchkey/latchkey/internal/browsertest"
)

// TestPagesFitAPhone: at 390 px wide (a phone), no page is wider than the
// screen: nothing sticks out of its card to be scrolled to sideways. The
// account page with two sessions (the longest rows) is the one that did;
// the admin pages' tables are the widest now. alice is an admin, to see
// them.
func TestPagesFitAPhone(t *testing.T) {
	ctx := browsertest.New(t)
	getenv := testEnv(t)
	aliceID := createUser(t, getenv, "alice", "--admin")
	url, _ := startServer(t, getenv)
	loginOverHTTP(t, url, "alice", testPassword) // a second session, listed on /account and her admin page
	b := tab{t: t, ctx: ctx, url: url}
	b.do(chromedp.EmulateViewport(390, 844))
	b.do(chromedp.Navigate(url+"/login"), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	b.fill(map[string]string{"identifier": "alice", "password": testPassword})
	b.do(chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".username")))
	for _, path := range []string{"/", "/account", "/posts/new", "/forgot-password", "/docs",
		"/admin/users", "/admin/users/" + aliceID, "/admin/users/" + aliceID + "/delete", "/admin/events"} {
		res, err := chromedp.Run(ctx, chromedp.NavigateResponse(url+path))
		if err != nil || res.Status != http.StatusOK {
			t.Fatalf("open %s: %v %v", path, res, err)
		}
		// The widest element's right edge, against the viewport's.
		over := b.eval(`(() => {
			let worst = "";
			let right = document.documentElement.clientWidth;
			for (const e of document.querySelectorAll("body *")) {
				const r = e.getBoundingClientRect();
				if (r.width > 0 && r.right > right + 0.5) { right = r.right; worst = e.tagName + "." + e.className + " ends at " + Math.round(r.right); }
			}
			return worst;
		})()`)
		if over != "" {
			t.Errorf("%s at 390 px: %s", path, over)
		}
	}
}
