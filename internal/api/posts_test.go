package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
)

// TestPostErrorsOverHTTP complements blog_test.go with the answers of the
// write operations that it does not reach: no credentials, an id that is
// unknown or malformed, and a refused edit.
func TestPostErrorsOverHTTP(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	s.register(t, "bob")
	alice, bob := s.login(t, "alice").AccessToken, s.login(t, "bob").AccessToken
	var post postJSON
	s.do(t, "POST", "/api/posts", "application/json", `{"title":"Hello","body":"World"}`, alice).json(t, &post)
	path := "/api/posts/" + post.ID
	unknown := "/api/posts/0199a8c0-0000-7000-8000-000000000000"

	tests := []struct {
		name, method, path, body, token string
		status                          int
		code                            auth.Code
		location                        string // of the first field error
	}{
		{"PATCH without a token", "PATCH", path, `{"title":"x"}`, "", 401, auth.CodeUnauthenticated, ""},
		{"DELETE without a token", "DELETE", path, "", "", 401, auth.CodeUnauthenticated, ""},
		{"PATCH of an unknown id", "PATCH", unknown, `{"title":"x"}`, bob, 404, auth.CodeNotFound, ""},
		{"PATCH of a malformed id", "PATCH", "/api/posts/not-an-id", `{"title":"x"}`, bob, 404, auth.CodeNotFound, ""},
		{"DELETE of an unknown id", "DELETE", unknown, "", bob, 404, auth.CodeNotFound, ""},
		{"DELETE of a malformed id", "DELETE", "/api/posts/not-an-id", "", bob, 404, auth.CodeNotFound, ""},
		{"posts of a malformed user id", "GET", "/api/users/not-an-id/posts", "", "", 404, auth.CodeNotFound, ""},
		{"PATCH to a blank title", "PATCH", path, `{"title":"  "}`, alice, 422, auth.CodeInvalid, "body.title"},
		{"PATCH to a 201-character title", "PATCH", path, `{"title":"` + strings.Repeat("t", 201) + `"}`, alice, 422, auth.CodeInvalid, "body.title"},
		{"another user's PATCH to a blank title", "PATCH", path, `{"title":""}`, bob, 403, auth.CodeForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := ""
			if tt.body != "" {
				ct = "application/json"
			}
			res := s.do(t, tt.method, tt.path, ct, tt.body, tt.token)
			if res.status != tt.status {
				t.Fatalf("%d %s, want %d", res.status, res.body, tt.status)
			}
			p := s.problem(t, res)
			authtest.Equal(t, p.Code, tt.code)
			if tt.location != "" && (len(p.Errors) == 0 || p.Errors[0].Location != tt.location) {
				t.Fatalf("errors %+v, want one at %s", p.Errors, tt.location)
			}
			if tt.status == http.StatusUnauthorized && !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("401 without a Bearer challenge: %q", res.header.Get("WWW-Authenticate"))
			}
		})
	}

	// None of the refusals changed the post; PATCH answers what GET shows.
	got := s.do(t, "GET", path, "", "", "")
	if !strings.Contains(got.body, `"title":"Hello"`) || !strings.Contains(got.body, `"body":"World"`) {
		t.Fatalf("the post changed: %s", got.body)
	}
	patched := s.do(t, "PATCH", path, "application/json", `{"title":"Hello again"}`, alice)
	if again := s.do(t, "GET", path, "", "", ""); patched.status != 200 || patched.body != again.body {
		t.Fatalf("PATCH answered\n%s\nGET shows\n%s", patched.body, again.body)
	}
}
