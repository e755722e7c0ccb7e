package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/latchkey/latchkey/internal/browsertest"
)

// TestAdminPagesInABrowser walks the admin pages as an operator would, in
// Chromium: from the header's link to the users, a search typed and sent
// with Enter, the user's page; disabling them, which logs out the page
// they have open at its next request; enabling and promoting them; and
// deleting them through the confirmation page. The admin's own account
// page shows their recent activity.
func TestAdminPagesInABrowser(t *testing.T) {
	ctx := browsertest.New(t)
	getenv := testEnv(t)
	createUser(t, getenv, "root", "--admin")
	url, _ := startServer(t, getenv)
	register(t, url, "alice")
	signIn := func(b tab, name string) {
		t.Helper()
		b.do(chromedp.Navigate(url+"/login"), chromedp.WaitVisible(chromedp.CSS("#login-form")))
		b.fill(map[string]string{"identifier": name, "password": testPassword})
		b.do(chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".username")))
	}

	// alice has her account page open in her own browser.
	alice := tab{t: t, ctx: browsertest.New(t), url: url}
	signIn(alice, "alice")
	alice.do(chromedp.Navigate(url+"/account"), chromedp.WaitVisible(chromedp.CSS("#activity-heading")))
	if n := alice.eval(`String(document.querySelectorAll("#admin-link").length)`); n != "0" {
		t.Fatal("alice, not an admin, has the header's Admin link")
	}

	b := tab{t: t, ctx: ctx, url: url}
	signIn(b, "root")
	b.do(chromedp.Click(chromedp.CSS("#admin-link")), chromedp.WaitVisible(chromedp.CSS("#user-search")))
	if l := b.location(); l != "/admin/users" {
		t.Fatalf("the Admin link leads to %s", l)
	}
	b.do(chromedp.SendKeys(chromedp.CSS("#q"), "ALI"+kb.Enter))
	if !b.waitFor(`location.search === "?q=ALI" && document.querySelectorAll("#users tbody tr").length === 1`) {
		t.Fatalf("the search for ALI: %s", b.page())
	}
	if got := b.text("#users tbody th a"); got != "alice" {
		t.Fatalf("the search found %q", got)
	}
	b.do(chromedp.Click(chromedp.CSS("#users tbody th a")), chromedp.WaitVisible(chromedp.CSS("#disable")))
	if h := b.heading(); h != "alice" {
		t.Fatalf("the user's page is %q", h)
	}
	alicePage, _, _ := strings.Cut(b.location(), "?")

	b.do(chromedp.Click(chromedp.CSS("#disable")), chromedp.WaitVisible(chromedp.CSS("#enable")))
	if got := b.text(".flash"); !strings.HasPrefix(got, "alice is disabled") {
		t.Errorf("after disabling, the notice says %q", got)
	}
	if got := b.text("#status"); !strings.HasPrefix(got, "disabled since") {
		t.Errorf("after disabling, the status is %q", got)
	}
	// alice's open page: her next request finds her logged out.
	alice.do(chromedp.Reload())
	if l := alice.location(); !strings.HasPrefix(l, "/login?next=") {
		t.Fatalf("alice's page after she was disabled reloads to %s", l)
	}

	b.do(chromedp.Click(chromedp.CSS("#enable")), chromedp.WaitVisible(chromedp.CSS("#disable")))
	if got := b.text("#status"); got != "active" {
		t.Errorf("after enabling, the status is %q", got)
	}
	b.do(chromedp.Click(chromedp.CSS("#make-admin")), chromedp.WaitVisible(chromedp.CSS("#remove-admin")))
	if got := b.text("#role"); got != "admin" {
		t.Errorf("after promoting, the role is %q", got)
	}
	signIn(alice, "alice")
	if n := alice.eval(`String(document.querySelectorAll("#admin-link").length)`); n != "1" {
		t.Error("alice, an admin now, has no Admin link")
	}

	// Deleting asks first, on a page of its own that names her.
	b.do(chromedp.Click(chromedp.CSS("#delete")), chromedp.WaitVisible(chromedp.CSS("#confirm-delete")))
	if h := b.heading(); h != "Delete alice?" {
		t.Fatalf("the confirmation page is %q", h)
	}
	b.do(chromedp.Click(chromedp.CSS("#confirm-delete")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got, l := b.text(".flash"), b.location(); got != "The user was deleted." || l != "/admin/users?done=deleted" {
		t.Errorf("after deleting: %q at %s", got, l)
	}
	if b.status(url+alicePage) != 404 {
		t.Error("alice's page is still there")
	}

	// The log says who did it.
	b.do(chromedp.Navigate(url+"/admin/events?type=user.deleted"), chromedp.WaitVisible(chromedp.CSS("#event-filters")))
	if got := b.text(`main tbody td[data-label="By"]`); got != "root" {
		t.Errorf("the deletion was done by %q in the log", got)
	}

	b.do(chromedp.Navigate(url+"/account"), chromedp.WaitVisible(chromedp.CSS("#activity-heading")))
	if got := b.text(".activity"); !strings.Contains(got, "Signed in (password)") {
		t.Errorf("root's recent activity:\n%s", got)
	}
}
