package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/auth"
)

// TestHostileTextIsNeverA500 sends what PostgreSQL refuses and SQLite
// stores (a NUL, bytes that are not UTF-8) wherever a client can put text,
// on whichever database the suite runs on (LATCHKEY_TEST_STORE): a field
// refuses it by name, a header is stored made valid, nothing is a 500.
func TestHostileTextIsNeverA500(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")

	// A correct login from a browser whose User-Agent is Latin-1.
	req := s.request(t, "POST", "/api/token", "application/x-www-form-urlencoded",
		url.Values{"username": {"alice"}, "password": {goodPassword}}.Encode(), "")
	req.Header.Set("User-Agent", "Navigateur caf\xe9/1.0")
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("login with a Latin-1 User-Agent: %d, want 200", res.StatusCode)
	}
	alice := s.login(t, "alice").AccessToken
	var sessions struct {
		Items []struct {
			UserAgent string `json:"user_agent"`
		}
	}
	s.do(t, "GET", "/api/sessions", "", "", alice).json(t, &sessions)
	found := false
	for _, ss := range sessions.Items {
		found = found || ss.UserAgent == "Navigateur caf\uFFFD/1.0"
	}
	if !found {
		t.Errorf("the Latin-1 User-Agent was not kept made valid: %+v", sessions.Items)
	}

	for _, username := range []string{"ab\x00cd", "a\xffb", "alice\x1b"} {
		res := s.postForm(t, "/api/token", url.Values{"username": {username}, "password": {goodPassword}})
		if res.status != http.StatusBadRequest || !strings.Contains(res.body, `"invalid_grant"`) {
			t.Errorf("token request for username %q: %d %s, want 400 invalid_grant", username, res.status, res.body)
		}
	}

	var post struct{ ID string }
	s.do(t, "POST", "/api/posts", "application/json", `{"title":"Hello","body":"World"}`, alice).json(t, &post)
	for _, tt := range []struct {
		name, method, path, body, location string
	}{
		{"a NUL in a new post's title", "POST", "/api/posts", `{"title":"a\u0000b","body":"x"}`, "body.title"},
		{"a NUL in a new post's body", "POST", "/api/posts", `{"title":"t","body":"a\u0000b"}`, "body.body"},
		{"an escape character in a new post's body", "POST", "/api/posts", `{"title":"t","body":"a\u001bb"}`, "body.body"},
		{"a NUL in a PATCH of the title", "PATCH", "/api/posts/" + post.ID, `{"title":"\u0000"}`, "body.title"},
		{"a NUL in a PATCH of the body", "PATCH", "/api/posts/" + post.ID, `{"body":"\u0000"}`, "body.body"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := s.do(t, tt.method, tt.path, "application/json", tt.body, alice)
			p := s.problem(t, res)
			if res.status != http.StatusUnprocessableEntity || p.Code != auth.CodeInvalid || len(p.Errors) == 0 || p.Errors[0].Location != tt.location {
				t.Fatalf("%d %+v, want 422 naming %s", res.status, p, tt.location)
			}
		})
	}
	var got struct{ Title, Body string }
	s.do(t, "GET", "/api/posts/"+post.ID, "", "", "").json(t, &got)
	if got.Title != "Hello" || got.Body != "World" {
		t.Errorf("a refused PATCH changed the post: %+v", got)
	}
	// Tabs and line breaks are text.
	if res := s.do(t, "POST", "/api/posts", "application/json", `{"title":"t","body":"a\tb\r\nc"}`, alice); res.status != http.StatusCreated {
		t.Errorf("a body with a tab and line breaks: %d %s", res.status, res.body)
	}
}

// TestHostileTextInRequestsForMail: the requests for mail and the reset's
// confirmation take a NUL, bytes that are not UTF-8 or an escape character
// in any field without a 500, on either database: an address refuses it by
// name, a token is simply dead, a next is dropped.
func TestHostileTextInRequestsForMail(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	// JSON escapes for the control characters, the raw byte for the rest.
	for _, bad := range []string{`a\u0000b@example.com`, "a\xffb@example.com", `a\u001bb@example.com`} {
		for _, path := range []string{"/api/password-reset", "/api/login-link"} {
			res := s.postJSON(t, path, `{"email":"`+bad+`"}`, "")
			if res.status != http.StatusUnprocessableEntity || s.problem(t, res).Errors[0].Location != "body.email" {
				t.Errorf("%s with email %q: %d %s, want 422 naming body.email", path, bad, res.status, res.body)
			}
		}
	}
	for _, token := range []string{"a\x00b", "a\xffb"} {
		res := s.postJSON(t, "/api/password-reset/confirm", `{"token":"`+strings.ReplaceAll(token, "\x00", `\u0000`)+`","new_password":"a brand new passphrase"}`, "")
		if res.status != http.StatusBadRequest || s.problem(t, res).Code != auth.CodeInvalidToken {
			t.Errorf("reset confirmation with token %q: %d %s", token, res.status, res.body)
		}
		grant := s.postForm(t, "/api/token", url.Values{"grant_type": {"urn:latchkey:grant-type:login-link"}, "token": {token}})
		if grant.status != http.StatusBadRequest || !strings.Contains(grant.body, `"invalid_grant"`) {
			t.Errorf("login-link grant with token %q: %d %s", token, grant.status, grant.body)
		}
	}
	// Each to an account of its own: the per-address limit would drop a
	// second request for one address within the minute. A control
	// character drops the next; a byte that is not UTF-8 arrives decoded
	// as U+FFFD, valid text in a local path, checked again when used.
	s.register(t, "bob")
	for _, tc := range []struct{ who, next, kept string }{
		{"alice", `/a\u0000b`, ""},
		{"bob", "/a\xffb", "/a\uFFFDb"},
	} {
		res := s.postJSON(t, "/api/login-link", `{"email":"`+tc.who+`@example.com","next":"`+tc.next+`"}`, "")
		if res.status != http.StatusAccepted {
			t.Errorf("sign-in link with next %q: %d %s", tc.next, res.status, res.body)
		}
		// Stored and delivered on either database.
		if m := s.mailTo(t, tc.who+"@example.com", auth.MailLoginLink); m.Next != tc.kept {
			t.Errorf("next %q was kept as %q, want %q", tc.next, m.Next, tc.kept)
		}
	}
}
