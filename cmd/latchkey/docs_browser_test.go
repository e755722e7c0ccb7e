package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/latchkey/latchkey/internal/browsertest"
)

// TestAPIDocsInABrowser: on /docs, "Authorize" logs in with the password
// flow against /api/token, and "Try it out" on GET /api/users/me then
// answers 200 with the user, all under the site's Content-Security-Policy.
// Swagger UI, not our code, decides what the token request looks like (by
// default the empty client id and secret as "Authorization: Basic Og==";
// with "Request body" chosen, client_id and client_secret in the form), so
// only a real browser running it shows that the endpoint accepts it.
func TestAPIDocsInABrowser(t *testing.T) {
	ctx := browsertest.New(t)
	url, _ := startServer(t, testEnv(t))
	register(t, url, "alice")
	token := recordTokenRequests(t, ctx)
	b := tab{t: t, ctx: ctx, url: url}

	b.do(chromedp.Navigate(url+"/docs"), chromedp.WaitVisible(chromedp.CSS(".btn.authorize")))
	b.do(chromedp.Click(chromedp.CSS(".btn.authorize")), chromedp.WaitVisible(chromedp.CSS("#oauth_username")))
	// A public client: the dialog shows no client id, secret or where to
	// put them, only the username and password.
	for _, id := range []string{"client_id_password", "client_secret_password", "password_type"} {
		if shown := b.eval(`(() => { const e = document.getElementById("` + id + `"); return String(!!e && e.offsetParent !== null); })()`); shown != "false" {
			t.Errorf("the Authorize dialog shows #%s", id)
		}
	}
	if href := b.eval(`document.querySelector(".docs-header a")?.getAttribute("href") || ""`); href != "/" {
		t.Errorf("no link back to the site (%q)", href)
	}
	b.do(chromedp.SendKeys(chromedp.CSS("#oauth_username"), "alice"),
		chromedp.SendKeys(chromedp.CSS("#oauth_password"), testPassword))
	// The dialog lists the bearer scheme first, with its own Authorize
	// button: press the one in the password flow's section.
	oauth := `document.querySelector("#oauth_username").closest(".auth-container")`
	b.eval(oauth + `.querySelector(".auth-btn-wrapper .btn.modal-btn.auth.authorize").click(); "ok"`)
	// Authorized, the section says so and offers "Logout"; refused, it
	// shows Swagger UI's error (then the token exchange tells why).
	state, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => {
		const c = [...document.querySelectorAll(".modal-ux-content .auth-container")].find(c => c.querySelector("h4")?.innerText.startsWith("oauth2"));
		if (!c) return "";
		if (c.querySelector('[aria-label="Remove authorization"]') && c.innerText.includes("Authorized")) return "authorized";
		const e = c.querySelector(".errors");
		return e ? "error: " + e.innerText : "";
	})()`, chromedp.WithPollingTimeout(15*time.Second)))
	if err != nil || state != "authorized" {
		t.Fatalf("the password flow did not authorize: %q %v\n%s", state, err, token.report(ctx))
	}
	b.do(chromedp.Click(chromedp.CSS(".btn-done")), chromedp.WaitNotPresent(chromedp.CSS(".modal-ux")))

	op := "#operations-users-getMe"
	b.do(chromedp.Click(chromedp.CSS(op+" .opblock-summary")), chromedp.WaitVisible(chromedp.CSS(op+" .try-out__btn")))
	b.do(chromedp.Click(chromedp.CSS(op+" .try-out__btn")), chromedp.WaitVisible(chromedp.CSS(op+" .execute")))
	b.do(chromedp.Click(chromedp.CSS(op+" .execute")),
		chromedp.WaitVisible(chromedp.CSS(op+" .live-responses-table tbody .response-col_status")))
	// The live response only: the documented example below it has a
	// username too.
	status := strings.TrimSpace(b.text(op + " .live-responses-table tbody .response-col_status"))
	body := b.text(op + " .live-responses-table tbody .response-col_description")
	if !strings.HasPrefix(status, "200") || !strings.Contains(body, `"username": "alice"`) {
		t.Fatalf("Try it out on GET /api/users/me: status %q, body %q\n%s", status, body, token.report(ctx))
	}
	b.do(chromedp.Sleep(200 * time.Millisecond)) // let the highlighter finish before the picture
	browsertest.Screenshot(t, ctx, filepath.Join(screenshots, "api-docs.png"))
}

// tokenExchanges keeps what the page sent to /api/token and what came
// back, so that a failure says exactly what Swagger UI sent (a Basic
// header, client_id or scope in the body) and how the server answered,
// instead of only that a button never changed.
type tokenExchanges struct {
	mu    sync.Mutex
	ids   []network.RequestID
	lines []string
}

// recordTokenRequests starts recording before the page makes any request.
func recordTokenRequests(t *testing.T, ctx context.Context) *tokenExchanges {
	t.Helper()
	x := &tokenExchanges{}
	// Listen's func runs in the tab's read loop: it only appends, under
	// the lock, and runs no command.
	err := chromedp.Listen(ctx, func(ev any) {
		x.mu.Lock()
		defer x.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			if !strings.HasSuffix(ev.Request.URL, "/api/token") {
				return
			}
			var body []byte
			for _, e := range ev.Request.PostDataEntries {
				body = append(body, e.Bytes...)
			}
			x.ids = append(x.ids, ev.RequestID)
			x.lines = append(x.lines, fmt.Sprintf("sent %s %s\n  headers %v\n  body %s",
				ev.Request.Method, ev.Request.URL, ev.Request.Headers, body))
		case *network.EventResponseReceived:
			if slices.Contains(x.ids, ev.RequestID) {
				x.lines = append(x.lines, fmt.Sprintf("answered %d for request %s\n  headers %v",
					ev.Response.Status, ev.RequestID, ev.Response.Headers))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// report lists the exchanges with the answers' bodies, read from the
// browser now (the listener may not run commands). The test's context may
// have run out by then, so the read gets a few seconds of its own.
func (x *tokenExchanges) report(ctx context.Context) string {
	x.mu.Lock()
	ids, lines := slices.Clone(x.ids), slices.Clone(x.lines)
	x.mu.Unlock()
	if len(ids) == 0 {
		return "the page sent no request to /api/token"
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for _, id := range ids {
		res, err := chromedp.Call(rctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: id})
		if err != nil {
			lines = append(lines, fmt.Sprintf("body of the answer to %s: %v", id, err))
			continue
		}
		lines = append(lines, fmt.Sprintf("body of the answer to %s: %s", id, res.Body))
	}
	return "token exchanges:\n" + strings.Join(lines, "\n")
}
