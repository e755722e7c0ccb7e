package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/auth"
)

type postJSON struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Body   string `json:"body"`
	Author map[string]any
}

func TestPostsOverHTTP(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	s.register(t, "bob")
	if _, err := s.svc.Register(context.Background(), auth.Registration{Username: "root", Email: "root@example.com", Password: goodPassword, Role: auth.RoleAdmin}, auth.Client{}); err != nil {
		t.Fatal(err)
	}
	alice, bob, root := s.login(t, "alice").AccessToken, s.login(t, "bob").AccessToken, s.login(t, "root").AccessToken

	if res := s.do(t, "POST", "/api/posts", "application/json", `{"title":"x","body":"y"}`, ""); res.status != 401 {
		t.Fatalf("create without a token: %d", res.status)
	}
	res := s.do(t, "POST", "/api/posts", "application/json", `{"title":"Hello","body":"World"}`, alice)
	var created postJSON
	res.json(t, &created)
	if res.status != 201 || res.header.Get("Location") != "/api/posts/"+created.ID || created.Author["username"] != "alice" {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	if _, ok := created.Author["email"]; ok || strings.Contains(res.body, "@example.com") {
		t.Fatal("a post shows its author's email")
	}
	got := s.do(t, "GET", "/api/posts/"+created.ID, "", "", "")
	if got.status != 200 || got.body != res.body {
		t.Fatalf("GET differs from the created post:\n%s\n%s", got.body, res.body)
	}
	if res := s.do(t, "POST", "/api/posts", "application/json", `{"title":"","body":"y"}`, alice); res.status != 422 || s.problem(t, res).Errors[0].Location != "body.title" {
		t.Fatalf("empty title: %d %s", res.status, res.body)
	}

	path := "/api/posts/" + created.ID
	if res := s.do(t, "PATCH", path, "application/json", `{"title":"Mine now"}`, bob); res.status != 403 || s.problem(t, res).Code != auth.CodeForbidden {
		t.Fatalf("another user's PATCH: %d %s", res.status, res.body)
	}
	if res := s.do(t, "DELETE", path, "", "", bob); res.status != 403 {
		t.Fatalf("another user's DELETE: %d", res.status)
	}
	if res := s.do(t, "PATCH", path, "application/json", `{"body":"Edited"}`, alice); res.status != 200 || !strings.Contains(res.body, `"body":"Edited"`) || !strings.Contains(res.body, `"title":"Hello"`) {
		t.Fatalf("author's PATCH: %d %s", res.status, res.body)
	}
	if res := s.do(t, "PATCH", path, "application/json", `{"title":"Moderated"}`, root); res.status != 200 {
		t.Fatalf("admin's PATCH: %d %s", res.status, res.body)
	}
	if res := s.do(t, "DELETE", path, "", "", root); res.status != 204 {
		t.Fatalf("admin's DELETE: %d", res.status)
	}
	for _, p := range []string{path, "/api/posts/not-an-id"} {
		if res := s.do(t, "GET", p, "", "", ""); res.status != 404 {
			t.Fatalf("GET %s: %d", p, res.status)
		}
	}
}

func TestPostPaginationOverHTTP(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	tok := s.login(t, "alice").AccessToken
	for i := range 5 {
		s.do(t, "POST", "/api/posts", "application/json", fmt.Sprintf(`{"title":"post %d","body":""}`, i), tok)
	}
	var me struct{ ID string }
	s.do(t, "GET", "/api/users/me", "", "", tok).json(t, &me)

	for _, base := range []string{"/api/posts", "/api/users/" + me.ID + "/posts"} {
		seen, url := map[string]bool{}, base+"?limit=2"
		for pages := 0; url != ""; pages++ {
			var page struct {
				Items      []postJSON
				NextCursor string `json:"next_cursor"`
			}
			res := s.do(t, "GET", url, "", "", "")
			res.json(t, &page)
			if res.status != 200 || len(page.Items) > 2 || pages > 3 {
				t.Fatalf("%s: %d %s", url, res.status, res.body)
			}
			for _, p := range page.Items {
				seen[p.ID] = true
			}
			url = ""
			if page.NextCursor != "" {
				url = base + "?limit=2&cursor=" + page.NextCursor
			} else if strings.Contains(res.body, "next_cursor") {
				t.Fatalf("last page carries next_cursor: %s", res.body)
			}
		}
		if len(seen) != 5 {
			t.Fatalf("%s: %d distinct posts over all pages, want 5", base, len(seen))
		}
	}
	for _, q := range []string{"limit=0", "limit=101", "limit=abc", "limit=1.5", "cursor=garbage!"} {
		res := s.do(t, "GET", "/api/posts?"+q, "", "", "")
		if res.status != http.StatusUnprocessableEntity || !strings.HasPrefix(s.problem(t, res).Errors[0].Location, "query.") {
			t.Errorf("?%s: %d %s", q, res.status, res.body)
		}
	}
	if res := s.do(t, "GET", "/api/users/0199a8c0-0000-7000-8000-000000000000/posts", "", "", ""); res.status != 404 {
		t.Fatalf("posts of an unknown user: %d", res.status)
	}
}

// TestPostEdgesOverHTTP: a post may be only a title, and a PATCH that
// changes nothing leaves updated_at (the "edited" mark) alone.
func TestPostEdgesOverHTTP(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	alice := s.login(t, "alice").AccessToken
	res := s.do(t, "POST", "/api/posts", "application/json", `{"title":"Just a title"}`, alice)
	var created struct {
		ID        string `json:"id"`
		Body      string `json:"body"`
		UpdatedAt string `json:"updated_at"`
	}
	res.json(t, &created)
	if res.status != 201 || created.Body != "" {
		t.Fatalf("a post without a body: %d %s", res.status, res.body)
	}
	path := "/api/posts/" + created.ID
	for _, patch := range []string{`{}`, `{"title":"Just a title"}`, `{"body":""}`} {
		res := s.do(t, "PATCH", path, "application/json", patch, alice)
		var got struct {
			UpdatedAt string `json:"updated_at"`
		}
		res.json(t, &got)
		if res.status != 200 || got.UpdatedAt != created.UpdatedAt {
			t.Errorf("PATCH %s: %d, updated_at %s → %s; a change of nothing moved it", patch, res.status, created.UpdatedAt, got.UpdatedAt)
		}
	}
	res = s.do(t, "PATCH", path, "application/json", `{"body":"Now with words"}`, alice)
	var edited struct {
		UpdatedAt string `json:"updated_at"`
	}
	res.json(t, &edited)
	if res.status != 200 || edited.UpdatedAt == created.UpdatedAt {
		t.Errorf("a real edit: %d, updated_at still %s", res.status, edited.UpdatedAt)
	}
}
