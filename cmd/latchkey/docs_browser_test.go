package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/latchkey/latchkey/internal/browsertest"
)

// TestAPIDocsInABrowser: on /docs, "Authorize" logs in with the password
// flow against /api/token, and "Try it out" on GET /api/users/me then
// answers 200 with the user, all under the site's Content-Security-Policy.
func TestAPIDocsInABrowser(t *testing.T) {
	ctx := browsertest.New(t)
	url, _ := startServer(t, testEnv(t))
	res, err := http.Post(url+"/api/users", "application/json",
		strings.NewReader(`{"username":"alice","email":"alice@example.com","password":"correct horse battery"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	b := tab{t: t, ctx: ctx, url: url}

	b.do(chromedp.Navigate(url+"/docs"), chromedp.WaitVisible(chromedp.CSS(".btn.authorize")))
	b.do(chromedp.Click(chromedp.CSS(".btn.authorize")), chromedp.WaitVisible(chromedp.CSS("#oauth_username")))
	b.do(chromedp.SendKeys(chromedp.CSS("#oauth_username"), "alice"),
		chromedp.SendKeys(chromedp.CSS("#oauth_password"), "correct horse battery"))
	// The dialog lists the bearer scheme too; press the password flow's button.
	oauth := `document.querySelector("#oauth_username").closest(".auth-container")`
	b.eval(oauth + `.querySelector(".btn.modal-btn.auth.authorize").click(); "ok"`)
	// Authorized: the password flow's section offers to log out instead.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const c = document.querySelector(".modal-ux-content"); return !!c && c.innerText.includes("Authorized") })()`)); err != nil {
		t.Fatalf("the password flow did not authorize: %v", err)
	}
	b.do(chromedp.Click(chromedp.CSS(".btn-done")))

	b.do(chromedp.Click(chromedp.CSS("#operations-users-getMe .opblock-summary")),
		chromedp.WaitVisible(chromedp.CSS("#operations-users-getMe .try-out__btn")))
	b.do(chromedp.Click(chromedp.CSS("#operations-users-getMe .try-out__btn")),
		chromedp.WaitVisible(chromedp.CSS("#operations-users-getMe .execute")))
	b.do(chromedp.Click(chromedp.CSS("#operations-users-getMe .execute")),
		chromedp.WaitVisible(chromedp.CSS("#operations-users-getMe .live-responses-table tbody .response-col_status")))
	status := strings.TrimSpace(b.text("#operations-users-getMe .live-responses-table tbody .response-col_status"))
	body := b.text("#operations-users-getMe .live-responses-table tbody .response-col_description")
	if !strings.HasPrefix(status, "200") || !strings.Contains(body, `"username": "alice"`) {
		t.Fatalf("Try it out on GET /api/users/me: status %q, body %q", status, body)
	}
	b.do(chromedp.Sleep(200 * time.Millisecond))
	browsertest.Screenshot(t, ctx, filepath.Join(screenshots, "api-docs.png"))
}
