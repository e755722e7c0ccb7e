package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

// adminSite is a site with an admin, root, signed in on a browser.
type adminSite struct {
	*site
	root     *http.Client
	rootUser *auth.User
}

func newAdminSite(t *testing.T) *adminSite {
	t.Helper()
	s := newSite(t)
	root := s.browser(t)
	if p := do(t, root, "POST", s.URL+"/register", registration("root")); p.status != http.StatusSeeOther {
		t.Fatalf("register root: %d", p.status)
	}
	u, err := s.svc.SetRole(context.Background(), nil, "root", auth.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	return &adminSite{site: s, root: root, rootUser: u}
}

// events are the audit events of type typ about userID, newest first.
func (s *site) events(t *testing.T, userID string, typ auth.EventType) []*auth.Event {
	t.Helper()
	list, _, err := s.svc.EventsPage(context.Background(), userID, typ, "", auth.MaxPageSize)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestAdminPagesNeedAnAdmin tries every admin route as a visitor (the
// login page, with next for a page) and as a signed-in user who is not an
// admin (403), and checks that nothing they posted changed anything; an
// admin gets every page.
func TestAdminPagesNeedAnAdmin(t *testing.T) {
	s := newAdminSite(t)
	bob, _ := s.member(t, "bob")
	carolBrowser, carol := s.member(t, "carol")
	s.turnOnMFA(t, carolBrowser, time.Now()) // for the refused reset to have something to change
	sid := sessionIDOf(t, s.site, carolBrowser)
	before := len(s.events(t, carol.ID, ""))
	u := "/admin/users/" + carol.ID
	routes := []struct {
		method, path string
		form         url.Values
		adminGets    int
	}{
		{"GET", "/admin", nil, http.StatusSeeOther},
		{"GET", "/admin/users", nil, http.StatusOK},
		{"GET", "/admin/users?q=car", nil, http.StatusOK},
		{"GET", u, nil, http.StatusOK},
		{"GET", u + "/delete", nil, http.StatusOK},
		{"GET", "/admin/events", nil, http.StatusOK},
		{"GET", "/admin/events?type=user.registered&user=carol", nil, http.StatusOK},
		{"POST", u + "/disable", url.Values{}, 0},
		{"POST", u + "/enable", url.Values{}, 0},
		{"POST", u + "/role", url.Values{"role": {"admin"}}, 0},
		{"POST", u + "/password-reset", url.Values{}, 0},
		{"POST", u + "/sessions/" + sid + "/revoke", url.Values{}, 0},
		{"POST", u + "/sessions/revoke-all", url.Values{}, 0},
		{"POST", u + "/mfa/reset", url.Values{}, 0},
		{"POST", u + "/delete", url.Values{"confirm": {"yes"}}, 0},
	}
	for _, tt := range routes {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			p := do(t, s.browser(t), tt.method, s.URL+tt.path, tt.form)
			path, _, _ := strings.Cut(tt.path, "?")
			want := "/login?next=" + url.QueryEscape(path) // the path: DESIGN.md's "/login?next=<path>"
			if tt.method != "GET" {
				want = "/login?next=%2F" // a form post cannot be replayed after login
			}
			if p.status != http.StatusSeeOther || p.header.Get("Location") != want {
				t.Errorf("a visitor: %d %q, want 303 to %q", p.status, p.header.Get("Location"), want)
			}
			p = do(t, bob, tt.method, s.URL+tt.path, tt.form)
			if p.status != http.StatusForbidden || !strings.Contains(p.body, "<h1>Forbidden</h1>") || !strings.Contains(p.body, auth.ErrNotAdmin.Message) {
				t.Errorf("a signed-in user who is not an admin: %d, want the 403 page", p.status)
			}
			if strings.Contains(p.body, carol.Email) {
				t.Error("the 403 page shows the user's e-mail")
			}
		})
	}
	got, err := s.svc.FindUser(context.Background(), carol.ID)
	if err != nil {
		t.Fatalf("carol after the refused posts: %v", err)
	}
	if got.Role != auth.RoleUser || got.Disabled() || !got.MFAEnabled() {
		t.Errorf("carol after the refused posts: role %s, disabled %v, two-step verification %v", got.Role, got.Disabled(), got.MFAEnabled())
	}
	if !s.signedIn(t, carolBrowser) {
		t.Error("the refused posts ended carol's session")
	}
	if after := len(s.events(t, carol.ID, "")); after != before {
		t.Errorf("the refused posts wrote %d events about carol", after-before)
	}

	// The same pages, as the admin.
	for _, tt := range routes {
		if tt.method != "GET" {
			continue
		}
		if p := do(t, s.root, "GET", s.URL+tt.path, nil); p.status != tt.adminGets {
			t.Errorf("the admin: GET %s: %d, want %d", tt.path, p.status, tt.adminGets)
		}
	}
	// Only an admin's header links to the admin pages.
	if p := do(t, s.root, "GET", s.URL+"/", nil); !strings.Contains(p.body, `href="/admin"`) {
		t.Error("the admin's header has no link to /admin")
	}
	if p := do(t, bob, "GET", s.URL+"/", nil); strings.Contains(p.body, `href="/admin"`) {
		t.Error("a user who is not an admin sees the link to /admin")
	}
}

// act posts an admin action and checks it redirects back to the user's
// page with its notice.
func (s *adminSite) act(t *testing.T, path string, form url.Values, done string) {
	t.Helper()
	p := do(t, s.root, "POST", s.URL+path, form)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != done {
		t.Fatalf("POST %s: %d %q, want 303 to %q\n%s", path, p.status, p.header.Get("Location"), done, p.body)
	}
}

// byRoot checks that exactly one event of typ about userID was written,
// by the admin, from their session, and returns it.
func (s *adminSite) byRoot(t *testing.T, userID string, typ auth.EventType, before int) *auth.Event {
	t.Helper()
	list := s.events(t, userID, typ)
	if len(list) != before+1 {
		t.Fatalf("%d %s events about the user, want %d", len(list), typ, before+1)
	}
	e := list[0]
	if e.ActorID != s.rootUser.ID || e.SessionID != sessionIDOf(t, s.site, s.root) || e.IP == "" {
		t.Errorf("%s: actor %q session %q ip %q, want the admin's", typ, e.ActorID, e.SessionID, e.IP)
	}
	return e
}

func TestAdminActions(t *testing.T) {
	s := newAdminSite(t)
	bobBrowser, bob := s.member(t, "bob")
	u := "/admin/users/" + bob.ID
	back := func(done string) string { return u + "?done=" + done }

	p := do(t, s.root, "GET", s.URL+"/admin/users?q=BO", nil)
	if p.status != http.StatusOK || !strings.Contains(p.body, `href="`+u+`"`) || strings.Contains(p.body, ">root</a></th>") {
		t.Fatalf("search for bob: %d\n%s", p.status, p.body)
	}
	p = do(t, s.root, "GET", s.URL+u, nil)
	bobSession := sessionIDOf(t, s.site, bobBrowser)
	for _, want := range []string{"<h1>bob</h1>", "bob@example.com", u + "/sessions/" + bobSession + "/revoke", "Signed in after registering", "Account created"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("bob's page lacks %q", want)
		}
	}

	t.Run("password reset link", func(t *testing.T) {
		s.act(t, u+"/password-reset", url.Values{}, back("reset"))
		s.byRoot(t, bob.ID, auth.EventPasswordResetAsked, 0)
		if p := do(t, s.root, "GET", s.URL+back("reset"), nil); !strings.Contains(p.body, "A password reset link is on its way to bob@example.com.") {
			t.Error("no notice after sending the link")
		}
		// bob sees on his own page that an admin did it.
		if p := do(t, bobBrowser, "GET", s.URL+"/account", nil); !strings.Contains(p.body, "Password reset link requested</strong> <span class=\"by\">by an admin</span>") {
			t.Errorf("bob's activity does not say an admin asked for the link:\n%s", p.body)
		}
		// Once a minute at most: the page says so, with the status.
		p := do(t, s.root, "POST", s.URL+u+"/password-reset", url.Values{})
		if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" || !strings.Contains(p.body, "too recently") || !strings.Contains(p.body, `role="alert"`) {
			t.Errorf("a second link at once: %d %q", p.status, p.header.Get("Retry-After"))
		}
	})

	t.Run("disable", func(t *testing.T) {
		s.act(t, u+"/disable", url.Values{}, back("disabled"))
		s.byRoot(t, bob.ID, auth.EventUserDisabled, 0)
		if got, _ := s.svc.FindUser(context.Background(), bob.ID); !got.Disabled() {
			t.Fatal("bob is not disabled")
		}
		if s.signedIn(t, bobBrowser) {
			t.Fatal("bob's session outlived his account's disabling")
		}
		p := do(t, s.root, "GET", s.URL+back("disabled"), nil)
		if !strings.Contains(p.body, "bob is disabled") || !strings.Contains(p.body, `id="enable"`) {
			t.Error("the page does not say bob is disabled, or offers no Enable")
		}
		// A disabled account gets no reset link: said on the page, 422.
		p = do(t, s.root, "POST", s.URL+u+"/password-reset", url.Values{})
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "enable it first") {
			t.Errorf("a reset link for a disabled account: %d", p.status)
		}
	})

	t.Run("enable", func(t *testing.T) {
		s.act(t, u+"/enable", url.Values{}, back("enabled"))
		s.byRoot(t, bob.ID, auth.EventUserEnabled, 0)
		if got, _ := s.svc.FindUser(context.Background(), bob.ID); got.Disabled() {
			t.Fatal("bob is still disabled")
		}
		bobBrowser = s.signIn(t, "bob")
	})

	t.Run("make admin and back", func(t *testing.T) {
		s.act(t, u+"/role", url.Values{"role": {"admin"}}, back("admin"))
		e := s.byRoot(t, bob.ID, auth.EventUserRoleChanged, 0)
		if e.Details["new_role"] != "admin" {
			t.Errorf("role change details %v", e.Details)
		}
		// At once, on bob's live session.
		if p := do(t, bobBrowser, "GET", s.URL+"/admin/users", nil); p.status != http.StatusOK {
			t.Errorf("bob, now an admin, gets /admin/users: %d", p.status)
		}
		s.act(t, u+"/role", url.Values{"role": {"user"}}, back("user"))
		s.byRoot(t, bob.ID, auth.EventUserRoleChanged, 1)
		if p := do(t, bobBrowser, "GET", s.URL+"/admin/users", nil); p.status != http.StatusForbidden {
			t.Errorf("bob, an admin no more, gets /admin/users: %d", p.status)
		}
		p := do(t, s.root, "POST", s.URL+u+"/role", url.Values{"role": {"root"}})
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "Use admin or user.") {
			t.Errorf("an unknown role: %d", p.status)
		}
		if got, _ := s.svc.FindUser(context.Background(), bob.ID); got.Role != auth.RoleUser {
			t.Errorf("bob's role is %s", got.Role)
		}
	})

	t.Run("turn off two-step verification", func(t *testing.T) {
		p := do(t, s.root, "GET", s.URL+u, nil)
		if !strings.Contains(p.body, `<dd id="mfa">off</dd>`) || strings.Contains(p.body, `id="reset-mfa"`) {
			t.Error("bob's page does not say two-step verification is off, or offers to turn it off")
		}
		s.turnOnMFA(t, bobBrowser, time.Now())
		p = do(t, s.root, "GET", s.URL+u, nil)
		if !strings.Contains(p.body, `<dd id="mfa">on since <time`) || !strings.Contains(p.body, `action="`+u+`/mfa/reset"`) {
			t.Fatal("bob's page does not say two-step verification is on, or offers no way to turn it off")
		}
		s.act(t, u+"/mfa/reset", url.Values{}, back("mfa"))
		s.byRoot(t, bob.ID, auth.EventMFAReset, 0)
		if got, _ := s.svc.FindUser(context.Background(), bob.ID); got.MFAEnabled() {
			t.Fatal("bob's two-step verification is still on")
		}
		if p := do(t, s.root, "GET", s.URL+back("mfa"), nil); !strings.Contains(p.body, "Two-step verification is off for bob") || !strings.Contains(p.body, `<dd id="mfa">off</dd>`) {
			t.Error("no notice after turning it off")
		}
		s.signIn(t, "bob") // the password alone
		// Off already: the 409 message on the page.
		p = do(t, s.root, "POST", s.URL+u+"/mfa/reset", url.Values{})
		if p.status != http.StatusConflict || !strings.Contains(p.body, auth.ErrMFAOff.Message) || !strings.Contains(p.body, `role="alert"`) {
			t.Errorf("turning off what is off: %d", p.status)
		}
	})

	t.Run("revoke sessions", func(t *testing.T) {
		other := s.signIn(t, "bob")
		sid := sessionIDOf(t, s.site, bobBrowser)
		s.act(t, u+"/sessions/"+sid+"/revoke", url.Values{}, back("session"))
		if e := s.byRoot(t, bob.ID, auth.EventSessionRevoked, 0); e.Details["revoked"] != sid {
			t.Errorf("revocation details %v", e.Details)
		}
		if s.signedIn(t, bobBrowser) || !s.signedIn(t, other) {
			t.Fatal("revoking one session did not end exactly that one")
		}
		s.act(t, u+"/sessions/revoke-all", url.Values{}, back("sessions"))
		if e := s.byRoot(t, bob.ID, auth.EventSessionRevoked, 1); e.Details["revoked"] != "all" {
			t.Errorf("revocation details %v", e.Details)
		}
		if s.signedIn(t, other) {
			t.Fatal("Revoke all left a session")
		}
		if p := do(t, s.root, "GET", s.URL+u, nil); !strings.Contains(p.body, "No live session.") {
			t.Error("the page still lists sessions")
		}
	})

	t.Run("delete", func(t *testing.T) {
		p := do(t, s.root, "GET", s.URL+u+"/delete", nil)
		if p.status != http.StatusOK || !strings.Contains(p.body, "<h1>Delete bob?</h1>") || !strings.Contains(p.body, `name="confirm" value="yes"`) {
			t.Fatalf("the confirmation page: %d", p.status)
		}
		// A post that skipped the confirmation is sent to it.
		p = do(t, s.root, "POST", s.URL+u+"/delete", url.Values{})
		if p.status != http.StatusSeeOther || p.header.Get("Location") != u+"/delete" {
			t.Fatalf("delete without confirm: %d %q", p.status, p.header.Get("Location"))
		}
		if _, err := s.svc.FindUser(context.Background(), bob.ID); err != nil {
			t.Fatal("deleted without the confirmation")
		}
		s.act(t, u+"/delete", url.Values{"confirm": {"yes"}}, "/admin/users?done=deleted")
		if _, err := s.svc.FindUser(context.Background(), bob.ID); auth.ErrorCode(err) != auth.CodeNotFound {
			t.Fatalf("bob after deletion: %v", err)
		}
		s.byRoot(t, bob.ID, auth.EventUserDeleted, 0)
		if p := do(t, s.root, "GET", s.URL+"/admin/users?done=deleted", nil); !strings.Contains(p.body, "The user was deleted.") || strings.Contains(p.body, "bob@example.com") {
			t.Error("the list after deletion")
		}
		if p := do(t, s.root, "GET", s.URL+u, nil); p.status != http.StatusNotFound {
			t.Errorf("a deleted user's page: %d", p.status)
		}
		// The log outlives the account: filtered by its id, it says whose.
		p = do(t, s.root, "GET", s.URL+"/admin/events?user="+bob.ID, nil)
		if p.status != http.StatusOK || !strings.Contains(p.body, "Account deleted") || !strings.Contains(p.body, "deleted user") {
			t.Errorf("the log of a deleted user: %d", p.status)
		}
	})
}

// TestTheLastAdminStays: the only admin cannot demote, disable or delete
// themselves; each refusal is the 409 message on their page, and nothing
// changes. With a second admin, demoting yourself works and ends your
// way in.
func TestTheLastAdminStays(t *testing.T) {
	s := newAdminSite(t)
	u := "/admin/users/" + s.rootUser.ID
	before := len(s.events(t, s.rootUser.ID, ""))
	for _, tt := range []struct {
		path string
		form url.Values
	}{
		{u + "/role", url.Values{"role": {"user"}}},
		{u + "/disable", url.Values{}},
		{u + "/delete", url.Values{"confirm": {"yes"}}},
	} {
		p := do(t, s.root, "POST", s.URL+tt.path, tt.form)
		if p.status != http.StatusConflict || !strings.Contains(p.body, auth.ErrLastAdmin.Message) || !strings.Contains(p.body, "<h1>root</h1>") {
			t.Errorf("POST %s: %d, want 409 with the message on root's page", tt.path, p.status)
		}
	}
	got, err := s.svc.FindUser(context.Background(), s.rootUser.ID)
	if err != nil || got.Role != auth.RoleAdmin || got.Disabled() {
		t.Fatalf("root after the refusals: %v", err)
	}
	if after := len(s.events(t, s.rootUser.ID, "")); after != before {
		t.Errorf("the refusals wrote %d events", after-before)
	}
	if p := do(t, s.root, "GET", s.URL+"/admin/users", nil); p.status != http.StatusOK {
		t.Fatalf("root after the refusals: %d", p.status)
	}

	if _, err := s.svc.SetRole(context.Background(), nil, "bob", auth.RoleAdmin); auth.ErrorCode(err) != auth.CodeNotFound {
		t.Fatalf("bob before he exists: %v", err)
	}
	s.member(t, "bob")
	if _, err := s.svc.SetRole(context.Background(), nil, "bob", auth.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	p := do(t, s.root, "POST", s.URL+u+"/role", url.Values{"role": {"user"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/" {
		t.Fatalf("root demotes himself: %d %q, want 303 home", p.status, p.header.Get("Location"))
	}
	if p := do(t, s.root, "GET", s.URL+"/admin/users", nil); p.status != http.StatusForbidden {
		t.Errorf("root, an admin no more: %d", p.status)
	}
}

func TestAdminNotFound(t *testing.T) {
	s := newAdminSite(t)
	bobBrowser, bob := s.member(t, "bob")
	const nobody = "01900000-0000-7000-8000-000000000000" // well formed, no one's
	rootSession := sessionIDOf(t, s.site, s.root)
	tests := []struct {
		method, path string
		form         url.Values
	}{
		{"GET", "/admin/users/" + nobody, nil},
		{"GET", "/admin/users/not-an-id", nil},
		{"GET", "/admin/users/bob", nil}, // a username is not an id here
		{"GET", "/admin/users/" + nobody + "/delete", nil},
		{"GET", "/admin/users/x/delete", nil},
		{"POST", "/admin/users/" + nobody + "/disable", url.Values{}},
		{"POST", "/admin/users/x/enable", url.Values{}},
		{"POST", "/admin/users/" + nobody + "/role", url.Values{"role": {"admin"}}},
		{"POST", "/admin/users/" + nobody + "/password-reset", url.Values{}},
		{"POST", "/admin/users/" + nobody + "/sessions/revoke-all", url.Values{}},
		{"POST", "/admin/users/" + nobody + "/delete", url.Values{"confirm": {"yes"}}},
		{"POST", "/admin/users/x/delete", url.Values{}},
		{"POST", "/admin/users/" + bob.ID + "/sessions/" + nobody + "/revoke", url.Values{}},
		{"POST", "/admin/users/" + bob.ID + "/sessions/x/revoke", url.Values{}},
		// root's own session is not bob's to revoke.
		{"POST", "/admin/users/" + bob.ID + "/sessions/" + rootSession + "/revoke", url.Values{}},
	}
	for _, tt := range tests {
		p := do(t, s.root, tt.method, s.URL+tt.path, tt.form)
		if p.status != http.StatusNotFound || !strings.Contains(p.body, "<h1>Not found</h1>") {
			t.Errorf("%s %s: %d, want the 404 page", tt.method, tt.path, p.status)
		}
	}
	if !s.signedIn(t, s.root) || !s.signedIn(t, bobBrowser) {
		t.Error("a 404 ended a session")
	}
}

// TestAdminHostileQueries sends what PostgreSQL refuses and SQLite
// stores (a NUL, bytes that are not UTF-8) and LIKE's wildcards in every
// query value of the admin pages, on whichever database the suite runs
// on: a 422 naming the field, or a first page for a cursor, never a 500.
func TestAdminHostileQueries(t *testing.T) {
	s := newAdminSite(t)
	s.member(t, "bob")
	page := "/admin/users/" + s.rootUser.ID
	for _, bad := range []string{"\x00", "a\x00b", "\xff", "bo\xffb", "\x7f"} {
		tests := []struct {
			path, param string
			status      int
			want        string
		}{
			{"/admin/users", "q", 422, `aria-describedby="q-error"`},
			{"/admin/users", "cursor", 200, ">bob</a>"},
			{"/admin/events", "type", 422, `aria-describedby="type-error"`},
			{"/admin/events", "user", 422, `aria-describedby="user-error"`},
			{"/admin/events", "cursor", 200, "Account created"},
			{page, "cursor", 200, "<h1>root</h1>"},
		}
		for _, tt := range tests {
			p := do(t, s.root, "GET", s.URL+tt.path+"?"+url.Values{tt.param: {bad}}.Encode(), nil)
			if p.status != tt.status || !strings.Contains(p.body, tt.want) {
				t.Errorf("%s?%s=%q: %d, want %d with %s", tt.path, tt.param, bad, p.status, tt.status, tt.want)
			}
		}
	}
	// LIKE's wildcards are plain characters: no username starts with them.
	for _, q := range []string{"_", "%", `\`, "b_b", "%b"} {
		p := do(t, s.root, "GET", s.URL+"/admin/users?"+url.Values{"q": {q}}.Encode(), nil)
		if p.status != http.StatusOK || strings.Contains(p.body, ">bob</a>") || !strings.Contains(p.body, "starts with “") {
			t.Errorf("q=%q: %d, or it matched bob", q, p.status)
		}
	}
	if logs := s.logs.String(); strings.Contains(logs, "level=ERROR") {
		t.Errorf("a hostile query was logged as an error:\n%s", logs)
	}
}

func TestAdminUsersPaged(t *testing.T) {
	s := newAdminSite(t)
	ctx := context.Background()
	const n = 54 // with root, 55: a full page and five more
	for i := range n {
		name := fmt.Sprintf("user%02d", i)
		if _, err := s.svc.Register(ctx, auth.Registration{Username: name, Email: name + "@example.com", Password: pw}, auth.Client{}); err != nil {
			t.Fatal(err)
		}
	}
	rows := func(body string) int { return strings.Count(body, `<th scope="row" data-label="Username">`) }
	p := do(t, s.root, "GET", s.URL+"/admin/users", nil)
	if p.status != 200 || rows(p.body) != 50 || strings.Index(p.body, ">user53</a>") > strings.Index(p.body, ">user52</a>") {
		t.Fatalf("first page: %d, %d rows, want 50 newest first", p.status, rows(p.body))
	}
	next := link(t, p.body, "Older →")
	p = do(t, s.root, "GET", s.URL+next, nil)
	if p.status != 200 || rows(p.body) != 5 || !strings.Contains(p.body, ">root</a>") || strings.Contains(p.body, "Older →") || !strings.Contains(p.body, "← Newest") {
		t.Fatalf("second page %s: %d, %d rows", next, p.status, rows(p.body))
	}

	// A search pages too, its query kept in the link.
	p = do(t, s.root, "GET", s.URL+"/admin/users?q=USER0", nil)
	if rows(p.body) != 10 || strings.Contains(p.body, "Older →") || strings.Contains(p.body, ">user10</a>") {
		t.Fatalf("search USER0: %d rows", rows(p.body))
	}
	p = do(t, s.root, "GET", s.URL+"/admin/users?q=user", nil)
	if next := link(t, p.body, "Older →"); !strings.Contains(next, "q=user") {
		t.Fatalf("the next page's link %q drops the search", next)
	}
	if p = do(t, s.root, "GET", s.URL+"/admin/users?q=user"+"%40", nil); rows(p.body) != 0 || !strings.Contains(p.body, "No user's username or e-mail starts with") {
		t.Errorf("search user@: %d rows", rows(p.body))
	}
	// By e-mail.
	if p = do(t, s.root, "GET", s.URL+"/admin/users?q=user07%40ex", nil); rows(p.body) != 1 || !strings.Contains(p.body, ">user07</a>") {
		t.Errorf("search user07@ex: %d rows", rows(p.body))
	}
}

// link is the href of the page's link with the text, HTML-unescaped.
func link(t *testing.T, body, text string) string {
	t.Helper()
	end := strings.Index(body, `>`+text+`</a>`)
	if end < 0 {
		t.Fatalf("no link %q on the page", text)
	}
	start := strings.LastIndex(body[:end], `href="`) + len(`href="`)
	href, _, _ := strings.Cut(body[start:], `"`)
	return strings.ReplaceAll(href, "&amp;", "&")
}

func TestAdminEventsFiltered(t *testing.T) {
	s := newAdminSite(t)
	ctx := context.Background()
	_, bob := s.member(t, "bob")
	do(t, s.browser(t), "POST", s.URL+"/login", url.Values{"identifier": {"bob"}, "password": {"wrong password"}})
	rows := func(body string) int { return strings.Count(body, `<td data-label="When">`) }

	p := do(t, s.root, "GET", s.URL+"/admin/events", nil)
	if p.status != 200 || !strings.Contains(p.body, "Sign-in failed: wrong password") || !strings.Contains(p.body, `<option value="login.failed">`) {
		t.Fatalf("the whole log: %d", p.status)
	}
	p = do(t, s.root, "GET", s.URL+"/admin/events?type=login.failed", nil)
	if rows(p.body) != 1 || !strings.Contains(p.body, `<option value="login.failed" selected>`) || !strings.Contains(p.body, `href="/admin/users/`+bob.ID+`">bob</a>`) {
		t.Errorf("filtered by type: %d rows", rows(p.body))
	}
	for _, who := range []string{"bob", "BOB@example.com", bob.ID} {
		p = do(t, s.root, "GET", s.URL+"/admin/events?"+url.Values{"user": {who}}.Encode(), nil)
		// bob's: registered, signed in, a confirmation link sent, a
		// failed sign-in.
		if p.status != 200 || rows(p.body) != 4 || !strings.Contains(p.body, "The events of <a") || strings.Contains(p.body, ">root</a></td>") {
			t.Errorf("filtered by user %q: %d, %d rows", who, p.status, rows(p.body))
		}
	}
	p = do(t, s.root, "GET", s.URL+"/admin/events?user=nobody", nil)
	if p.status != 422 || !strings.Contains(p.body, "No user has this id, e-mail or username.") {
		t.Errorf("an unknown user: %d", p.status)
	}
	p = do(t, s.root, "GET", s.URL+"/admin/events?type=login.nope", nil)
	if p.status != 422 || !strings.Contains(p.body, "Choose one of the listed types.") {
		t.Errorf("an unknown type: %d", p.status)
	}

	// Paged, the filters kept in the link.
	for range 30 {
		for _, role := range []auth.Role{auth.RoleAdmin, auth.RoleUser} {
			if _, err := s.svc.SetRole(ctx, nil, bob.ID, role); err != nil {
				t.Fatal(err)
			}
		}
	}
	p = do(t, s.root, "GET", s.URL+"/admin/events?type=user.role_changed&user=bob", nil)
	if rows(p.body) != 50 || !strings.Contains(p.body, "command line") {
		t.Fatalf("first page: %d rows", rows(p.body))
	}
	next := link(t, p.body, "Older →")
	p = do(t, s.root, "GET", s.URL+next, nil)
	if rows(p.body) != 10 || strings.Contains(p.body, "Older →") || strings.Contains(p.body, `data-label="What">Account created`) {
		t.Fatalf("second page %s: %d rows", next, rows(p.body))
	}
}
