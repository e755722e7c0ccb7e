package api_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

func TestBearerAuthentication(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	pair := s.login(t, "alice")
	realm, invalid := `Bearer realm="latchkey"`, `Bearer realm="latchkey", error="invalid_token"`
	tests := []struct {
		name   string
		header string
		status int
		www    string
	}{
		{"valid", "Bearer " + pair.AccessToken, 200, ""},
		{"scheme in lower case", "bearer " + pair.AccessToken, 200, ""},
		{"no credentials", "", 401, realm},
		{"other scheme", "Basic YWxpY2U6cHc=", 401, realm},
		{"garbage token", "Bearer garbage", 401, invalid},
		{"tampered token", "Bearer " + tamper(pair.AccessToken), 401, invalid},
		{"refresh token as access token", "Bearer " + pair.RefreshToken, 401, invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", s.URL+"/api/users/me", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			res, err := s.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tt.status || res.Header.Get("WWW-Authenticate") != tt.www {
				t.Fatalf("got %d %q, want %d %q", res.StatusCode, res.Header.Get("WWW-Authenticate"), tt.status, tt.www)
			}
		})
	}
}

// tamper changes the role claim in a JWT's payload, keeping the signature.
func tamper(jwt string) string {
	parts := strings.Split(jwt, ".")
	payload, _ := decodeSegment(parts[1])
	forged := strings.Replace(string(payload), `"role":"user"`, `"role":"admin"`, 1)
	parts[1] = encodeSegment([]byte(forged))
	return strings.Join(parts, ".")
}

func TestExpiredAndDisabled(t *testing.T) {
	s := newServer(t, serverOptions{accessTTL: time.Second})
	s.register(t, "alice")
	s.register(t, "bob")
	short := s.login(t, "alice")
	time.Sleep(2100 * time.Millisecond) // JWT times have whole seconds
	if res := s.do(t, "GET", "/api/users/me", "", "", short.AccessToken); res.status != 401 {
		t.Fatalf("expired token: %d", res.status)
	}
	bob := s.login(t, "bob")
	if _, err := s.svc.SetDisabled(context.Background(), nil, "bob@example.com", true); err != nil {
		t.Fatal(err)
	}
	if res := s.do(t, "GET", "/api/users/me", "", "", bob.AccessToken); res.status != 401 {
		t.Fatalf("disabled user's token: %d", res.status)
	}
	res := s.postForm(t, "/api/token", url.Values{"username": {"bob"}, "password": {goodPassword}})
	if res.status != 400 || !strings.Contains(res.body, "invalid_grant") {
		t.Fatalf("disabled user's login: %d %s", res.status, res.body)
	}
}

func TestMe(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	s.register(t, "bob")
	pair := s.login(t, "alice")
	at := pair.AccessToken

	res := s.do(t, "GET", "/api/users/me", "", "", at)
	var me map[string]any
	res.json(t, &me)
	if res.status != 200 || me["username"] != "alice" || me["email"] != "alice@example.com" || me["role"] != "user" || me["email_verified"] != false || me["mfa_enabled"] != false || len(me) != 7 {
		t.Fatalf("GET /me: %d %v", res.status, me)
	}

	patch := func(body string) response { return s.do(t, "PATCH", "/api/users/me", "application/json", body, at) }
	if res := patch(`{"username":"ALICE"}`); res.status != 200 || !strings.Contains(res.body, `"username":"ALICE"`) {
		t.Fatalf("rename to own casing: %d %s", res.status, res.body)
	}
	if res := patch(`{"username":"Bob"}`); res.status != 409 || s.problem(t, res).Code != auth.CodeUsernameTaken {
		t.Fatalf("rename to a taken name: %d %s", res.status, res.body)
	}
	res = patch(`{"email":"new@example.com"}`)
	if res.status != 422 || s.problem(t, res).Errors[0].Location != "body.current_password" {
		t.Fatalf("email change without password: %d %s", res.status, res.body)
	}
	if res := patch(`{"email":"new@example.com","current_password":"` + goodPassword + `"}`); res.status != 200 ||
		!strings.Contains(res.body, `"email":"alice@example.com"`) || !strings.Contains(res.body, `"pending_email":"new@example.com"`) {
		t.Fatalf("email change: %d %s", res.status, res.body)
	}
	if res := patch(`{"role":"admin"}`); res.status != 422 {
		t.Fatalf("role escalation through PATCH: %d %s", res.status, res.body)
	}
}

func TestChangePasswordOverHTTP(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	current, other := s.login(t, "alice"), s.login(t, "alice")
	body := `{"current_password":"` + goodPassword + `","new_password":"a brand new passphrase"}`
	res := s.do(t, "POST", "/api/users/me/password", "application/json", body, current.AccessToken)
	if res.status != 204 {
		t.Fatalf("change password: %d %s", res.status, res.body)
	}
	if res := s.do(t, "GET", "/api/users/me", "", "", other.AccessToken); res.status != 401 {
		t.Fatalf("other session after password change: %d", res.status)
	}
	if res := s.do(t, "GET", "/api/users/me", "", "", current.AccessToken); res.status != 200 {
		t.Fatalf("current session after password change: %d", res.status)
	}
	time.Sleep(auth.RefreshMinInterval) // the session's refresh budget
	res = s.postForm(t, "/api/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {current.RefreshToken}})
	if res.status != 200 {
		t.Fatalf("current session's refresh token after password change: %d %s", res.status, res.body)
	}
}

func TestDeleteMe(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	pair := s.login(t, "alice")
	if res := s.do(t, "DELETE", "/api/users/me", "application/json", `{"current_password":"wrong password"}`, pair.AccessToken); res.status != 422 {
		t.Fatalf("delete with a wrong password: %d %s", res.status, res.body)
	}
	if res := s.do(t, "DELETE", "/api/users/me", "application/json", `{"current_password":"`+goodPassword+`"}`, pair.AccessToken); res.status != 204 {
		t.Fatalf("delete: %d %s", res.status, res.body)
	}
	if res := s.do(t, "GET", "/api/users/me", "", "", pair.AccessToken); res.status != 401 {
		t.Fatalf("deleted user's token: %d", res.status)
	}
	s.register(t, "alice") // the name is free again
}

func TestPublicUserNeverShowsEmail(t *testing.T) {
	s := newServer(t, serverOptions{})
	res := s.post(t, "/api/users", "application/json", `{"username":"alice","email":"alice@example.com","password":"`+goodPassword+`"}`)
	var created struct{ ID string }
	res.json(t, &created)

	res = s.do(t, "GET", "/api/users/"+created.ID, "", "", "")
	var pub map[string]any
	res.json(t, &pub)
	if res.status != 200 || pub["username"] != "alice" || len(pub) != 3 || strings.Contains(res.body, "@") {
		t.Fatalf("public user: %d %s", res.status, res.body)
	}
	for _, id := range []string{"0199a8c0-0000-7000-8000-000000000000", "not-a-uuid", "%00"} {
		if res := s.do(t, "GET", "/api/users/"+id, "", "", ""); res.status != 404 || s.problem(t, res).Code != auth.CodeNotFound {
			t.Fatalf("GET /api/users/%s: %d %s", id, res.status, res.body)
		}
	}
}

func TestSessionsOverHTTP(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	s.register(t, "bob")
	a1, a2 := s.login(t, "alice"), s.login(t, "alice")
	b := s.login(t, "bob")

	var list struct {
		Items []struct {
			ID, Kind, UserAgent, IP string
			Current                 bool
			CreatedAt               time.Time `json:"created_at"`
			LastSeenAt              time.Time `json:"last_seen_at"`
		}
		NextCursor string `json:"next_cursor"`
	}
	res := s.do(t, "GET", "/api/sessions", "", "", a1.AccessToken)
	res.json(t, &list)
	if res.status != 200 || len(list.Items) != 2 {
		t.Fatalf("sessions: %d %s", res.status, res.body)
	}
	var current, other string
	for _, it := range list.Items {
		if it.Current {
			current = it.ID
		} else {
			other = it.ID
		}
		if it.Kind != "api" || it.IP != "127.0.0.1" || it.CreatedAt.IsZero() || it.LastSeenAt.IsZero() {
			t.Errorf("session %+v", it)
		}
	}
	if current == "" || other == "" {
		t.Fatalf("no session marked current: %s", res.body)
	}

	var bobs struct{ Items []struct{ ID string } }
	s.do(t, "GET", "/api/sessions", "", "", b.AccessToken).json(t, &bobs)
	if res := s.do(t, "DELETE", "/api/sessions/"+bobs.Items[0].ID, "", "", a1.AccessToken); res.status != 404 {
		t.Fatalf("deleting another user's session: %d", res.status)
	}
	if res := s.do(t, "GET", "/api/users/me", "", "", b.AccessToken); res.status != 200 {
		t.Fatalf("bob's session after alice's attempt: %d", res.status)
	}
	if res := s.do(t, "DELETE", "/api/sessions/"+other, "", "", a1.AccessToken); res.status != 204 {
		t.Fatalf("delete own session: %d %s", res.status, res.body)
	}
	if res := s.do(t, "GET", "/api/users/me", "", "", a2.AccessToken); res.status != 401 {
		t.Fatalf("revoked session's token: %d", res.status)
	}
}

// TestSessionsArePaged: GET /api/sessions takes ?limit= and ?cursor= like
// every list, each session appears on exactly one page, and bad values
// are 422.
func TestSessionsArePaged(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	var last tokenPair
	for range 5 {
		last = s.login(t, "alice")
	}
	type page struct {
		Items []struct {
			ID        string
			Current   bool
			CreatedAt time.Time `json:"created_at"`
		}
		NextCursor *string `json:"next_cursor"`
	}
	var (
		order []string
		times []time.Time
		seen  = map[string]bool{}
		pages int
	)
	for cursor := ""; ; {
		res := s.do(t, "GET", "/api/sessions?limit=2&cursor="+cursor, "", "", last.AccessToken)
		var p page
		res.json(t, &p)
		pages++
		if res.status != 200 || len(p.Items) == 0 || len(p.Items) > 2 {
			t.Fatalf("page %d: %d %s", pages, res.status, res.body)
		}
		for _, it := range p.Items {
			if seen[it.ID] {
				t.Fatalf("session %s on two pages", it.ID)
			}
			seen[it.ID] = true
			if it.Current != (len(order) == 0) {
				t.Errorf("session %d of the list: current %v; want only the first, the newest, to be the caller's", len(order)+1, it.Current)
			}
			order, times = append(order, it.ID), append(times, it.CreatedAt)
		}
		if p.NextCursor == nil {
			break
		}
		if *p.NextCursor == "" || len(p.Items) < 2 {
			t.Fatalf("page %d: next_cursor %q after %d items; want it absent unless a full page has more after it", pages, *p.NextCursor, len(p.Items))
		}
		cursor = *p.NextCursor
	}
	if len(order) != 5 || pages != 3 {
		t.Fatalf("%d sessions over %d pages; want 5 over 3", len(order), pages)
	}
	for i := 1; i < len(times); i++ {
		if times[i].After(times[i-1]) || (times[i].Equal(times[i-1]) && order[i] > order[i-1]) {
			t.Errorf("session %d (%s) listed after session %d (%s): want newest first", i+1, times[i], i, times[i-1])
		}
	}

	for q, param := range map[string]string{"limit=0": "limit", "limit=101": "limit", "limit=two": "limit", "cursor=not-a-cursor": "cursor"} {
		res := s.do(t, "GET", "/api/sessions?"+q, "", "", last.AccessToken)
		var problem struct{ Errors []struct{ Location string } }
		res.json(t, &problem)
		if res.status != 422 || len(problem.Errors) != 1 || problem.Errors[0].Location != "query."+param {
			t.Errorf("?%s: %d %s, want 422 with one error at query.%s", q, res.status, res.body, param)
		}
	}
}

// TestNoPasswordHashAnywhere sweeps the answers of every endpoint for
// anything that looks like a password hash.
func TestNoPasswordHashAnywhere(t *testing.T) {
	s := newServer(t, serverOptions{})
	res := s.post(t, "/api/users", "application/json", `{"username":"alice","email":"alice@example.com","password":"`+goodPassword+`"}`)
	var created struct{ ID string }
	res.json(t, &created)
	pair := s.login(t, "alice")
	bodies := []response{
		res,
		s.do(t, "GET", "/api/users/me", "", "", pair.AccessToken),
		s.do(t, "GET", "/api/users/"+created.ID, "", "", ""),
		s.do(t, "GET", "/api/sessions", "", "", pair.AccessToken),
		s.do(t, "PATCH", "/api/users/me", "application/json", `{"username":"Alice"}`, pair.AccessToken),
		s.post(t, "/api/users", "application/json", `{"username":"alice","email":"alice@example.com","password":"`+goodPassword+`"}`),
		s.postForm(t, "/api/token", url.Values{"username": {"alice"}, "password": {goodPassword}}),
		s.do(t, "GET", "/openapi.json", "", "", ""),
	}
	for i, r := range bodies {
		for _, bad := range []string{"$argon2", "$2a$", "$2b$", "password_hash", goodPassword} {
			if strings.Contains(r.body, bad) {
				t.Errorf("answer %d contains %q: %s", i, bad, r.body)
			}
		}
	}
}
