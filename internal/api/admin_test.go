package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/auth"
)

// makeAdmin registers username, makes them an admin from the command line
// and logs them in.
func (s *testServer) makeAdmin(t *testing.T, username string) tokenPair {
	t.Helper()
	s.register(t, username)
	if _, err := s.svc.SetRole(context.Background(), nil, username, auth.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	return s.login(t, username)
}

// me is the caller's private user.
func (s *testServer) me(t testing.TB, token string) api.PrivateUser {
	t.Helper()
	res := s.do(t, "GET", "/api/users/me", "", "", token)
	if res.status != http.StatusOK {
		t.Fatalf("GET /api/users/me: %d %s", res.status, res.body)
	}
	var u api.PrivateUser
	res.json(t, &u)
	return u
}

// wantStatus fails the test unless res has the status and, for an error,
// the problem code.
func (s *testServer) wantStatus(t *testing.T, what string, res response, status int, code auth.Code) {
	t.Helper()
	if res.status != status {
		t.Fatalf("%s: %d %s, want %d", what, res.status, res.body, status)
	}
	if code != "" {
		if p := s.problem(t, res); p.Code != code {
			t.Fatalf("%s: code %q, want %q", what, p.Code, code)
		}
	}
}

// adminEvents is the audit log as GET /api/admin/events lists it for the
// query.
func (s *testServer) adminEvents(t *testing.T, token string, query url.Values) []api.EventView {
	t.Helper()
	res := s.do(t, "GET", "/api/admin/events?"+query.Encode(), "", "", token)
	s.wantStatus(t, "GET /api/admin/events", res, http.StatusOK, "")
	var list struct{ Items []api.EventView }
	res.json(t, &list)
	return list.Items
}

// eventsBy are the events of the type about the user done by the actor.
func (s *testServer) eventsBy(t *testing.T, adminToken, userID string, typ auth.EventType, actorID string) []api.EventView {
	t.Helper()
	var by []api.EventView
	for _, e := range s.adminEvents(t, adminToken, url.Values{"user_id": {userID}, "type": {string(typ)}, "limit": {"100"}}) {
		if e.UserID == nil || *e.UserID != userID || auth.EventType(e.Type) != typ {
			t.Fatalf("asked for %s about %s, got %+v", typ, userID, e)
		}
		if e.ActorID != nil && *e.ActorID == actorID {
			by = append(by, e)
		}
	}
	return by
}

// wantOneEvent fails the test unless exactly one event of the type about
// the user was done by the actor, and returns it.
func (s *testServer) wantOneEvent(t *testing.T, adminToken, userID string, typ auth.EventType, actorID string) api.EventView {
	t.Helper()
	list := s.eventsBy(t, adminToken, userID, typ, actorID)
	if len(list) != 1 {
		t.Fatalf("%d %s events about %s by %s, want 1: %+v", len(list), typ, userID, actorID, list)
	}
	return list[0]
}

// adminRoutes are the admin API's operations, {id} and {sid} standing for
// a user's id and one of their sessions'.
var adminRoutes = []struct{ method, path, body string }{
	{"GET", "/api/admin/users", ""},
	{"GET", "/api/admin/users/{id}", ""},
	{"PATCH", "/api/admin/users/{id}", `{"role":"user"}`},
	{"DELETE", "/api/admin/users/{id}", ""},
	{"GET", "/api/admin/users/{id}/sessions", ""},
	{"DELETE", "/api/admin/users/{id}/sessions", ""},
	{"DELETE", "/api/admin/users/{id}/sessions/{sid}", ""},
	{"POST", "/api/admin/users/{id}/password-reset", ""},
	{"DELETE", "/api/admin/users/{id}/totp", ""},
	{"GET", "/api/admin/events", ""},
}

// TestAdminRoutesAreForAdminsOnly: every admin operation answers 401
// without credentials and 403 (forbidden) to a signed-in user who is not
// an admin, changing nothing; to an admin, a user named by anything but
// an id they have (a malformed id, an unknown one, a username, an e-mail)
// is 404.
func TestAdminRoutesAreForAdminsOnly(t *testing.T) {
	s := newServer(t, serverOptions{})
	root := s.makeAdmin(t, "root").AccessToken
	s.register(t, "bob")
	bob := s.login(t, "bob").AccessToken
	bobID := s.me(t, bob).ID
	s.register(t, "carol")
	carol := s.login(t, "carol").AccessToken
	var sessions api.SessionList
	s.do(t, "GET", "/api/sessions", "", "", bob).json(t, &sessions)
	if len(sessions.Items) != 1 {
		t.Fatalf("bob has %d sessions, want 1", len(sessions.Items))
	}
	sid := sessions.Items[0].ID

	// The table is every admin operation the document lists.
	var doc struct {
		Paths map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(fetchSpec(t, s).raw, &doc); err != nil {
		t.Fatal(err)
	}
	var documented, tested []string
	for path, item := range doc.Paths {
		for method := range item {
			if strings.HasPrefix(path, "/api/admin") {
				documented = append(documented, strings.ToUpper(method)+" "+path)
			}
		}
	}
	for _, r := range adminRoutes {
		tested = append(tested, r.method+" "+r.path)
	}
	slices.Sort(documented)
	slices.Sort(tested)
	if !slices.Equal(documented, tested) {
		t.Fatalf("documented admin operations %q, tested %q", documented, tested)
	}

	path := func(p, id string) string {
		return strings.NewReplacer("{id}", id, "{sid}", sid).Replace(p)
	}
	for _, r := range adminRoutes {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			ct := ""
			if r.body != "" {
				ct = "application/json"
			}
			res := s.do(t, r.method, path(r.path, bobID), ct, r.body, "")
			s.wantStatus(t, "without credentials", res, http.StatusUnauthorized, auth.CodeUnauthenticated)
			if res.header.Get("WWW-Authenticate") == "" {
				t.Error("a 401 without WWW-Authenticate")
			}
			s.wantStatus(t, "a user", s.do(t, r.method, path(r.path, bobID), ct, r.body, carol), http.StatusForbidden, auth.CodeForbidden)
			s.wantStatus(t, "bob on himself", s.do(t, r.method, path(r.path, bobID), ct, r.body, bob), http.StatusForbidden, auth.CodeForbidden)
			if !strings.Contains(r.path, "{id}") {
				return
			}
			for _, id := range []string{"root", "root@example.com", "0199a8c0-0000-7000-8000-000000000000", strings.ToUpper(bobID), bobID + "0", "%00", "%FF", "a%00b"} {
				s.wantStatus(t, "id "+id, s.do(t, r.method, path(r.path, id), ct, r.body, root), http.StatusNotFound, auth.CodeNotFound)
			}
		})
	}
	// Nothing of it changed bob or root.
	if u := s.me(t, bob); u.Role != auth.RoleUser {
		t.Errorf("bob is %s", u.Role)
	}
	s.wantStatus(t, "root after all", s.do(t, "GET", "/api/admin/users", "", "", root), http.StatusOK, "")
	s.me(t, bob) // his session lives
	for _, typ := range []auth.EventType{auth.EventUserRoleChanged, auth.EventUserDisabled, auth.EventUserDeleted, auth.EventSessionRevoked, auth.EventPasswordResetAsked} {
		for _, actor := range []string{bobID, s.me(t, carol).ID} {
			if list := s.eventsBy(t, root, bobID, typ, actor); len(list) != 0 {
				t.Errorf("a refused request was recorded: %+v", list)
			}
		}
	}
}

// adminUserJSON is an admin's view of a user with its nulls visible.
type adminUserJSON struct {
	api.AdminUser
	raw map[string]json.RawMessage
}

func (s *testServer) adminUser(t *testing.T, token, id string) adminUserJSON {
	t.Helper()
	res := s.do(t, "GET", "/api/admin/users/"+id, "", "", token)
	s.wantStatus(t, "GET /api/admin/users/{id}", res, http.StatusOK, "")
	var u adminUserJSON
	res.json(t, &u.AdminUser)
	res.json(t, &u.raw)
	return u
}

func TestAdminGetsAndListsUsers(t *testing.T) {
	s := newServer(t, serverOptions{})
	root := s.makeAdmin(t, "root").AccessToken
	for _, name := range []string{"bob", "bea", "carol"} {
		s.register(t, name)
	}
	bob := s.login(t, "bob").AccessToken
	bobID := s.me(t, bob).ID

	u := s.adminUser(t, root, bobID)
	if u.ID != bobID || u.Username != "bob" || u.Email != "bob@example.com" || u.Role != auth.RoleUser || u.EmailVerified || u.CreatedAt.IsZero() {
		t.Errorf("bob as an admin sees him: %+v", u.AdminUser)
	}
	if string(u.raw["disabled_at"]) != "null" || u.LastSeenAt == nil {
		t.Errorf("bob, active and logged in: disabled_at %s, last_seen_at %v", u.raw["disabled_at"], u.LastSeenAt)
	}
	for _, field := range []string{"email_verified", "disabled_at", "last_seen_at"} {
		if _, ok := u.raw[field]; !ok {
			t.Errorf("%s is absent", field)
		}
	}
	for _, field := range []string{"password_hash", "password"} {
		if _, ok := u.raw[field]; ok {
			t.Errorf("%s is shown", field)
		}
	}
	var carolID string
	list := func(query string) api.AdminUserList {
		t.Helper()
		res := s.do(t, "GET", "/api/admin/users?"+query, "", "", root)
		s.wantStatus(t, "GET /api/admin/users?"+query, res, http.StatusOK, "")
		var l api.AdminUserList
		res.json(t, &l)
		if query == "" && !strings.Contains(res.body, `"last_seen_at":null`) {
			t.Errorf("carol and bea never logged in, but no null last_seen_at in %s", res.body)
		}
		return l
	}
	names := func(l api.AdminUserList) []string {
		var out []string
		for _, u := range l.Items {
			out = append(out, u.Username)
			if u.Username == "carol" {
				carolID = u.ID
			}
		}
		return out
	}
	all := list("")
	if got, want := names(all), []string{"carol", "bea", "bob", "root"}; !slices.Equal(got, want) {
		t.Errorf("all users %q, want %q, newest first", got, want)
	}
	if got, want := names(list("q=B")), []string{"bea", "bob"}; !slices.Equal(got, want) {
		t.Errorf("q=B: %q, want %q", got, want)
	}
	if got := names(list("q=carol%40example")); !slices.Equal(got, []string{"carol"}) {
		t.Errorf("by e-mail prefix: %q", got)
	}
	if got := names(list("q=arol")); len(got) != 0 {
		t.Errorf("q matches inside a name: %q", got)
	}
	// Two pages of two.
	first := list("limit=2")
	if first.NextCursor == "" {
		t.Fatal("no next cursor after 2 of 4")
	}
	second := list("limit=2&cursor=" + url.QueryEscape(first.NextCursor))
	if got := append(names(first), names(second)...); !slices.Equal(got, names(all)) || second.NextCursor != "" {
		t.Errorf("paged: %q (next %q), want %q", got, second.NextCursor, names(all))
	}
	for _, q := range []string{"limit=0", "limit=101", "limit=x", "cursor=nope"} {
		s.wantStatus(t, q, s.do(t, "GET", "/api/admin/users?"+q, "", "", root), http.StatusUnprocessableEntity, auth.CodeInvalid)
	}
	if c := s.adminUser(t, root, carolID); string(c.raw["last_seen_at"]) != "null" {
		t.Errorf("carol never logged in, but was last seen %s", c.raw["last_seen_at"])
	}
}

// TestAdminRoleTakesEffectAtOnce: a promotion lets the user into the admin
// API with the token they already hold, a demotion shuts them out of it,
// each an audit event with the admin as actor.
func TestAdminRoleTakesEffectAtOnce(t *testing.T) {
	s := newServer(t, serverOptions{})
	root := s.makeAdmin(t, "root").AccessToken
	rootID := s.me(t, root).ID
	s.register(t, "bob")
	bob := s.login(t, "bob").AccessToken
	bobID := s.me(t, bob).ID
	s.wantStatus(t, "bob before", s.do(t, "GET", "/api/admin/users", "", "", bob), http.StatusForbidden, auth.CodeForbidden)

	res := s.do(t, "PATCH", "/api/admin/users/"+bobID, "application/json", `{"role":"admin"}`, root)
	s.wantStatus(t, "promote", res, http.StatusOK, "")
	var u api.AdminUser
	res.json(t, &u)
	if u.Role != auth.RoleAdmin || u.ID != bobID {
		t.Fatalf("promoted: %+v", u)
	}
	s.wantStatus(t, "bob promoted", s.do(t, "GET", "/api/admin/users", "", "", bob), http.StatusOK, "")
	e := s.wantOneEvent(t, root, bobID, auth.EventUserRoleChanged, rootID)
	if e.Details["old_role"] != "user" || e.Details["new_role"] != "admin" {
		t.Errorf("role change details %v", e.Details)
	}

	// The same role again changes nothing and records nothing.
	s.wantStatus(t, "promote again", s.do(t, "PATCH", "/api/admin/users/"+bobID, "application/json", `{"role":"admin"}`, root), http.StatusOK, "")
	s.wantOneEvent(t, root, bobID, auth.EventUserRoleChanged, rootID)

	// Bob, now an admin, demotes root; root's token loses the admin API.
	s.wantStatus(t, "demote root", s.do(t, "PATCH", "/api/admin/users/"+rootID, "application/json", `{"role":"user"}`, bob), http.StatusOK, "")
	s.wantStatus(t, "root demoted", s.do(t, "GET", "/api/admin/events", "", "", root), http.StatusForbidden, auth.CodeForbidden)
	s.wantOneEvent(t, bob, rootID, auth.EventUserRoleChanged, bobID)
	if got := s.me(t, root).Role; got != auth.RoleUser {
		t.Errorf("root is %s", got)
	}

	for _, body := range []string{`{"role":"root"}`, `{"role":""}`, `{"role":"Admin"}`, `{"role":7}`} {
		res := s.do(t, "PATCH", "/api/admin/users/"+rootID, "application/json", body, bob)
		p := s.problem(t, res)
		if res.status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Location != "body.role" {
			t.Errorf("PATCH %s: %d %+v, want 422 naming body.role", body, res.status, p)
		}
	}
	res = s.do(t, "PATCH", "/api/admin/users/"+rootID, "application/json", `{"disabled":"yes"}`, bob)
	if p := s.problem(t, res); res.status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Location != "body.disabled" {
		t.Errorf(`PATCH {"disabled":"yes"}: %d %+v, want 422 naming body.disabled`, res.status, p)
	}
	if got := s.me(t, root).Role; got != auth.RoleUser {
		t.Errorf("a refused PATCH made root %s", got)
	}
}

// TestAdminDisableEndsSessionsAtOnce: disabling a user makes their tokens
// worthless on the next request and their login fail; enabling lets them
// log in again.
func TestAdminDisableEndsSessionsAtOnce(t *testing.T) {
	s := newServer(t, serverOptions{})
	root := s.makeAdmin(t, "root").AccessToken
	rootID := s.me(t, root).ID
	s.register(t, "bob")
	bob := s.login(t, "bob")
	bobID := s.me(t, bob.AccessToken).ID

	res := s.do(t, "PATCH", "/api/admin/users/"+bobID, "application/json", `{"disabled":true}`, root)
	s.wantStatus(t, "disable", res, http.StatusOK, "")
	var u api.AdminUser
	res.json(t, &u)
	if u.DisabledAt == nil {
		t.Fatalf("disabled, but disabled_at is null: %s", res.body)
	}
	s.wantStatus(t, "bob's token", s.do(t, "GET", "/api/users/me", "", "", bob.AccessToken), http.StatusUnauthorized, "")
	refresh := s.postForm(t, "/api/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {bob.RefreshToken}})
	if refresh.status == http.StatusOK {
		t.Fatal("a disabled user's refresh token still works")
	}
	login := s.postForm(t, "/api/token", url.Values{"grant_type": {"password"}, "username": {"bob"}, "password": {goodPassword}})
	if login.status == http.StatusOK {
		t.Fatal("a disabled user logged in")
	}
	var sessions api.SessionList
	s.do(t, "GET", "/api/admin/users/"+bobID+"/sessions", "", "", root).json(t, &sessions)
	if len(sessions.Items) != 0 {
		t.Errorf("a disabled user has %d live sessions", len(sessions.Items))
	}
	s.wantOneEvent(t, root, bobID, auth.EventUserDisabled, rootID)

	res = s.do(t, "PATCH", "/api/admin/users/"+bobID, "application/json", `{"disabled":false}`, root)
	s.wantStatus(t, "enable", res, http.StatusOK, "")
	if !strings.Contains(res.body, `"disabled_at":null`) {
		t.Errorf("enabled, but %s", res.body)
	}
	s.login(t, "bob")
	s.wantOneEvent(t, root, bobID, auth.EventUserEnabled, rootID)
}

// TestTheLastAdminStays: the only active admin cannot demote, disable or
// delete themselves (409, last_admin), and stays an admin; with a second
// admin they can.
func TestTheLastAdminStays(t *testing.T) {
	s := newServer(t, serverOptions{})
	root := s.makeAdmin(t, "root").AccessToken
	rootID := s.me(t, root).ID
	for _, tt := range []struct{ method, body string }{
		{"PATCH", `{"role":"user"}`},
		{"PATCH", `{"disabled":true}`},
		{"PATCH", `{"role":"user","disabled":true}`},
		{"DELETE", ""},
	} {
		ct := ""
		if tt.body != "" {
			ct = "application/json"
		}
		s.wantStatus(t, tt.method+" "+tt.body, s.do(t, tt.method, "/api/admin/users/"+rootID, ct, tt.body, root), http.StatusConflict, auth.CodeLastAdmin)
	}
	if u := s.adminUser(t, root, rootID); u.Role != auth.RoleAdmin || u.DisabledAt != nil {
		t.Fatalf("after refusals root is %+v", u.AdminUser)
	}
	for _, typ := range []auth.EventType{auth.EventUserRoleChanged, auth.EventUserDisabled, auth.EventUserDeleted} {
		if list := s.eventsBy(t, root, rootID, typ, rootID); len(list) != 0 {
			t.Errorf("a refused change was recorded: %+v", list)
		}
	}

	s.makeAdmin(t, "ada")
	s.wantStatus(t, "demote with another admin", s.do(t, "PATCH", "/api/admin/users/"+rootID, "application/json", `{"role":"user"}`, root), http.StatusOK, "")
}

func TestAdminDeletesUser(t *testing.T) {
	s := newServer(t, serverOptions{})
	root := s.makeAdmin(t, "root").AccessToken
	rootID := s.me(t, root).ID
	s.register(t, "bob")
	bob := s.login(t, "bob").AccessToken
	bobID := s.me(t, bob).ID
	s.wantStatus(t, "bob writes", s.do(t, "POST", "/api/posts", "application/json", `{"title":"mine"}`, bob), http.StatusCreated, "")

	res := s.do(t, "DELETE", "/api/admin/users/"+bobID, "", "", root)
	s.wantStatus(t, "delete", res, http.StatusNoContent, "")
	if res.body != "" {
		t.Errorf("204 with a body %q", res.body)
	}
	s.wantStatus(t, "bob gone", s.do(t, "GET", "/api/admin/users/"+bobID, "", "", root), http.StatusNotFound, auth.CodeNotFound)
	s.wantStatus(t, "bob's token", s.do(t, "GET", "/api/users/me", "", "", bob), http.StatusUnauthorized, "")
	s.wantStatus(t, "again", s.do(t, "DELETE", "/api/admin/users/"+bobID, "", "", root), http.StatusNotFound, auth.CodeNotFound)
	var posts api.PostList
	s.do(t, "GET", "/api/posts", "", "", "").json(t, &posts)
	if len(posts.Items) != 0 {
		t.Errorf("bob's posts outlived him: %+v", posts.Items)
	}
	// The event outlives the user it concerns.
	e := s.wantOneEvent(t, root, bobID, auth.EventUserDeleted, rootID)
	if e.Details["username"] != "bob" {
		t.Errorf("user.deleted details %v", e.Details)
	}
}

func TestAdminRevokesSessions(t *testing.T) {
	s := newServer(t, serverOptions{})
	rootTokens := s.makeAdmin(t, "root")
	root := rootTokens.AccessToken
	rootID := s.me(t, root).ID
	s.register(t, "bob")
	bob1, bob2 := s.login(t, "bob").AccessToken, s.login(t, "bob").AccessToken
	bobID := s.me(t, bob1).ID

	sessions := func(id, query string) api.SessionList {
		t.Helper()
		res := s.do(t, "GET", "/api/admin/users/"+id+"/sessions?"+query, "", "", root)
		s.wantStatus(t, "sessions", res, http.StatusOK, "")
		var l api.SessionList
		res.json(t, &l)
		return l
	}
	list := sessions(bobID, "")
	if len(list.Items) != 2 || list.Items[0].Current || list.Items[0].IP == "" {
		t.Fatalf("bob's sessions as root sees them: %+v", list.Items)
	}
	page := sessions(bobID, "limit=1")
	if len(page.Items) != 1 || page.NextCursor == "" {
		t.Fatalf("a page of one: %+v", page)
	}
	if next := sessions(bobID, "limit=1&cursor="+url.QueryEscape(page.NextCursor)); len(next.Items) != 1 || next.Items[0].ID == page.Items[0].ID {
		t.Fatalf("the second page: %+v after %+v", next, page)
	}
	s.wantStatus(t, "bad cursor", s.do(t, "GET", "/api/admin/users/"+bobID+"/sessions?cursor=x", "", "", root), http.StatusUnprocessableEntity, auth.CodeInvalid)
	if own := sessions(rootID, ""); len(own.Items) != 1 || !own.Items[0].Current {
		t.Errorf("root's own session is not marked current: %+v", own.Items)
	}

	// Root's own session is not bob's to lose; nor are unknown or
	// malformed ids anyone's.
	rootSession := sessions(rootID, "").Items[0].ID
	for _, sid := range []string{rootSession, "0199a8c0-0000-7000-8000-000000000000", "nope", "%00"} {
		s.wantStatus(t, "session "+sid, s.do(t, "DELETE", "/api/admin/users/"+bobID+"/sessions/"+sid, "", "", root), http.StatusNotFound, auth.CodeNotFound)
	}
	s.me(t, root)

	var victim string
	for _, ss := range list.Items {
		victim = ss.ID
	}
	s.wantStatus(t, "revoke one", s.do(t, "DELETE", "/api/admin/users/"+bobID+"/sessions/"+victim, "", "", root), http.StatusNoContent, "")
	if left := sessions(bobID, ""); len(left.Items) != 1 || left.Items[0].ID == victim {
		t.Fatalf("after revoking %s: %+v", victim, left.Items)
	}
	// The older session was revoked: bob1's token is dead, bob2's lives.
	s.wantStatus(t, "revoked token", s.do(t, "GET", "/api/users/me", "", "", bob1), http.StatusUnauthorized, "")
	s.me(t, bob2)
	e := s.wantOneEvent(t, root, bobID, auth.EventSessionRevoked, rootID)
	if e.Details["revoked"] != victim {
		t.Errorf("session.revoked details %v, want revoked %s", e.Details, victim)
	}

	s.wantStatus(t, "revoke all", s.do(t, "DELETE", "/api/admin/users/"+bobID+"/sessions", "", "", root), http.StatusNoContent, "")
	s.wantStatus(t, "bob2 after all", s.do(t, "GET", "/api/users/me", "", "", bob2), http.StatusUnauthorized, "")
	if left := sessions(bobID, ""); len(left.Items) != 0 {
		t.Errorf("after revoking all: %+v", left.Items)
	}
	s.me(t, root) // the admin's own sessions are not bob's
}

func TestAdminSendsPasswordReset(t *testing.T) {
	s := newServer(t, serverOptions{})
	root := s.makeAdmin(t, "root").AccessToken
	rootID := s.me(t, root).ID
	s.register(t, "bob")
	bobID := s.me(t, s.login(t, "bob").AccessToken).ID

	res := s.do(t, "POST", "/api/admin/users/"+bobID+"/password-reset", "", "", root)
	s.wantStatus(t, "reset link", res, http.StatusAccepted, "")
	m := s.mailTo(t, "bob@example.com", auth.MailResetPassword)
	if m.Token == "" {
		t.Fatal("the reset mail has no link")
	}
	s.wantOneEvent(t, root, bobID, auth.EventPasswordResetAsked, rootID)
	// The link works: it is the ordinary reset.
	s.wantStatus(t, "use the link", s.postJSON(t, "/api/password-reset/confirm",
		`{"token":"`+m.Token+`","new_password":"a brand new passphrase"}`, ""), http.StatusNoContent, "")

	res = s.do(t, "POST", "/api/admin/users/"+bobID+"/password-reset", "", "", root)
	s.wantStatus(t, "again at once", res, http.StatusTooManyRequests, auth.CodeTooManyAttempts)
	if res.header.Get("Retry-After") != "60" {
		t.Errorf("Retry-After %q, want 60", res.header.Get("Retry-After"))
	}

	s.register(t, "carol")
	carolID := s.me(t, s.login(t, "carol").AccessToken).ID
	s.wantStatus(t, "disable carol", s.do(t, "PATCH", "/api/admin/users/"+carolID, "application/json", `{"disabled":true}`, root), http.StatusOK, "")
	s.wantStatus(t, "a disabled account", s.do(t, "POST", "/api/admin/users/"+carolID+"/password-reset", "", "", root),
		http.StatusConflict, auth.CodeAccountDisabled)
	s.noMailTo(t, "carol@example.com", auth.MailResetPassword)
}

func TestAdminEvents(t *testing.T) {
	s := newServer(t, serverOptions{})
	root := s.makeAdmin(t, "root").AccessToken
	rootID := s.me(t, root).ID
	s.register(t, "bob")
	bobID := s.me(t, s.login(t, "bob").AccessToken).ID
	if res := s.postForm(t, "/api/token", url.Values{"grant_type": {"password"}, "username": {"bob"}, "password": {"wrong password"}}); res.status != http.StatusBadRequest {
		t.Fatalf("a wrong password: %d", res.status)
	}

	all := s.adminEvents(t, root, url.Values{"limit": {"100"}})
	if len(all) < 6 {
		t.Fatalf("%d events after two registrations and three logins", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].At.After(all[i-1].At) {
			t.Fatalf("events not newest first: %v after %v", all[i].At, all[i-1].At)
		}
	}
	bobs := s.adminEvents(t, root, url.Values{"user_id": {bobID}})
	var types []auth.EventType
	for _, e := range bobs {
		if e.UserID == nil || *e.UserID != bobID {
			t.Errorf("an event about %v among bob's", e.UserID)
		}
		types = append(types, auth.EventType(e.Type))
	}
	if len(types) == 0 || types[0] != auth.EventLoginFailed {
		t.Fatalf("bob's events %q: the failed login is not the newest", types)
	}
	slices.Sort(types)
	if want := []auth.EventType{auth.EventVerificationSent, auth.EventLoginFailed, auth.EventLoginSucceeded, auth.EventUserRegistered}; !slices.Equal(types, want) {
		t.Errorf("bob's events %q, want %q", types, want)
	}
	failed := bobs[0]
	if failed.Details["reason"] != auth.ReasonInvalidCredentials || failed.ActorID != nil || failed.SessionID != nil || failed.IP == nil {
		t.Errorf("the failed login: %+v", failed)
	}
	logins := s.adminEvents(t, root, url.Values{"type": {string(auth.EventLoginSucceeded)}})
	if len(logins) != 2 {
		t.Errorf("%d logins, want root's and bob's", len(logins))
	}
	for _, e := range logins {
		if e.SessionID == nil || e.ActorID == nil || *e.ActorID != *e.UserID {
			t.Errorf("a login: %+v", e)
		}
	}
	if both := s.adminEvents(t, root, url.Values{"type": {string(auth.EventLoginSucceeded)}, "user_id": {rootID}}); len(both) != 1 || *both[0].UserID != rootID {
		t.Errorf("root's logins: %+v", both)
	}
	if none := s.adminEvents(t, root, url.Values{"user_id": {"0199a8c0-0000-7000-8000-000000000000"}}); len(none) != 0 {
		t.Errorf("an unknown user's events: %+v", none)
	}

	// Walk the whole log two at a time.
	var walked []string
	cursor := ""
	for range 50 {
		q := url.Values{"limit": {"2"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		res := s.do(t, "GET", "/api/admin/events?"+q.Encode(), "", "", root)
		var page api.EventList
		res.json(t, &page)
		for _, e := range page.Items {
			walked = append(walked, e.ID)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	var ids []string
	for _, e := range all {
		ids = append(ids, e.ID)
	}
	if !slices.Equal(walked, ids) {
		t.Errorf("paged walk %q, want %q", walked, ids)
	}

	for _, q := range []string{"type=login", "type=LOGIN.SUCCEEDED", "type=%00"} {
		res := s.do(t, "GET", "/api/admin/events?"+q, "", "", root)
		p := s.problem(t, res)
		if res.status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Location != "query.type" {
			t.Errorf("%s: %d %+v, want 422 naming query.type", q, res.status, p)
		}
	}
}

// TestAdminHostileQueries sends what PostgreSQL refuses and SQLite
// stores (a NUL, bytes that are not UTF-8, control characters) and LIKE's
// wildcards in every query parameter of the admin lists and the caller's
// events: each is a 422 or an empty list, never a 500, on either
// database.
func TestAdminHostileQueries(t *testing.T) {
	s := newServer(t, serverOptions{})
	root := s.makeAdmin(t, "root").AccessToken
	rootID := s.me(t, root).ID
	hostile := []string{"\x00", "a\x00b", "\xff", "caf\xe9", "\x1b[2J", "%", "_", `\`, strings.Repeat("x", 5000)}
	lists := []struct{ path, param string }{
		{"/api/admin/users", "q"},
		{"/api/admin/users", "cursor"},
		{"/api/admin/events", "type"},
		{"/api/admin/events", "user_id"},
		{"/api/admin/events", "cursor"},
		{"/api/admin/users/" + rootID + "/sessions", "cursor"},
		{"/api/users/me/events", "cursor"},
	}
	for _, l := range lists {
		for _, v := range hostile {
			res := s.do(t, "GET", l.path+"?"+url.Values{l.param: {v}}.Encode(), "", "", root)
			switch res.status {
			case http.StatusUnprocessableEntity:
				if p := s.problem(t, res); len(p.Errors) == 0 || p.Errors[0].Location != "query."+l.param {
					t.Errorf("%s?%s=%q: %+v, want the field named", l.path, l.param, v, p)
				}
			case http.StatusOK:
				var list struct{ Items []json.RawMessage }
				res.json(t, &list)
				if len(list.Items) != 0 {
					t.Errorf("%s?%s=%q: %d items, want none", l.path, l.param, v, len(list.Items))
				}
			default:
				t.Errorf("%s?%s=%q: %d %s", l.path, l.param, v, res.status, res.body)
			}
		}
	}
}

// TestAdminResponsesMatchDocument: what the admin API and the caller's
// events answer, nulls included, is what the document says.
func TestAdminResponsesMatchDocument(t *testing.T) {
	s := newServer(t, serverOptions{})
	root := s.makeAdmin(t, "root").AccessToken
	rootID := s.me(t, root).ID
	s.register(t, "bob")
	bob := s.login(t, "bob").AccessToken
	bobID := s.me(t, bob).ID
	v := newValidator(t, fetchSpec(t, s))
	for _, tt := range []struct {
		method, path, body, token string
		status                    int
	}{
		{"GET", "/api/admin/users", "", root, http.StatusOK},
		{"GET", "/api/admin/users?q=b&limit=1", "", root, http.StatusOK},
		{"GET", "/api/admin/users/" + bobID, "", root, http.StatusOK},
		{"GET", "/api/admin/users/" + bobID + "/sessions", "", root, http.StatusOK},
		{"GET", "/api/admin/events", "", root, http.StatusOK},
		{"GET", "/api/admin/events?type=user.registered&user_id=" + bobID, "", root, http.StatusOK},
		{"GET", "/api/users/me/events", "", bob, http.StatusOK},
		{"POST", "/api/admin/users/" + rootID + "/password-reset", "", bob, http.StatusForbidden},
		{"POST", "/api/admin/users/" + bobID + "/password-reset", "", root, http.StatusAccepted},
		{"POST", "/api/admin/users/" + bobID + "/password-reset", "", root, http.StatusTooManyRequests},
		{"PATCH", "/api/admin/users/" + bobID, `{"role":"admin","disabled":true}`, root, http.StatusOK},
		{"PATCH", "/api/admin/users/" + bobID, `{"disabled":false}`, root, http.StatusOK},
		{"PATCH", "/api/admin/users/" + bobID, `{"role":"user"}`, root, http.StatusOK},
		{"PATCH", "/api/admin/users/" + rootID, `{"role":"user"}`, root, http.StatusConflict},
		{"DELETE", "/api/admin/users/" + bobID + "/sessions", "", root, http.StatusNoContent},
		{"DELETE", "/api/admin/users/" + bobID, "", root, http.StatusNoContent},
		{"GET", "/api/admin/users/" + bobID, "", root, http.StatusNotFound},
		{"GET", "/api/admin/events", "", "", http.StatusUnauthorized},
	} {
		ct := ""
		if tt.body != "" {
			ct = "application/json"
		}
		req, res := exchange(t, s, tt.method, tt.path, ct, tt.body, tt.token)
		name := fmt.Sprintf("%s %s %d", tt.method, tt.path, tt.status)
		if res.StatusCode != tt.status {
			t.Fatalf("%s: got %d", name, res.StatusCode)
		}
		_, errs := v.ValidateHttpResponse(req, res)
		reportValidation(t, name, errs)
	}
}
