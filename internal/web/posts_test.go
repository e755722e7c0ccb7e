package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestPostPages(t *testing.T) {
	s := newSite(t)
	alice, bob, anon := s.browser(t), s.browser(t), s.browser(t)
	do(t, alice, "POST", s.URL+"/register", registration("alice"))
	do(t, bob, "POST", s.URL+"/register", registration("bob"))

	if p := do(t, anon, "GET", s.URL+"/posts/new", nil); p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?next=%2Fposts%2Fnew" {
		t.Fatalf("new post page without a session: %d %q", p.status, p.header.Get("Location"))
	}
	p := do(t, alice, "POST", s.URL+"/posts/new", url.Values{"title": {""}, "body": {"draft text"}})
	if p.status != 422 || !strings.Contains(p.body, `aria-describedby="title-error" autofocus`) || !strings.Contains(p.body, "draft text") {
		t.Fatalf("post without a title: %d", p.status)
	}
	p = do(t, alice, "POST", s.URL+"/posts/new", url.Values{"title": {"Hello <world>"}, "body": {"First post."}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/posts/") {
		t.Fatalf("publish: %d %q", p.status, p.header.Get("Location"))
	}
	path, done, _ := strings.Cut(p.header.Get("Location"), "?")
	postURL := s.URL + path
	if notice := do(t, alice, "GET", postURL+"?"+done, nil); done != "done=published" || !strings.Contains(notice.body, "Post published.") {
		t.Fatalf("after publishing: %q, no notice", done)
	}

	p = do(t, alice, "GET", postURL, nil)
	if p.status != 200 || !strings.Contains(p.body, "Hello &lt;world&gt;") || !strings.Contains(p.body, `id="edit-post"`) {
		t.Fatalf("author's view: %d", p.status)
	}
	for name, c := range map[string]*http.Client{"another user": bob, "a visitor": anon} {
		p = do(t, c, "GET", postURL, nil)
		if p.status != 200 || strings.Contains(p.body, `id="edit-post"`) || strings.Contains(p.body, `id="delete-post"`) {
			t.Fatalf("%s sees the edit buttons (status %d)", name, p.status)
		}
	}
	if p := do(t, bob, "GET", postURL+"/edit", nil); p.status != http.StatusForbidden {
		t.Fatalf("another user's edit page: %d", p.status)
	}
	if p := do(t, bob, "POST", postURL+"/edit", url.Values{"title": {"Hijacked"}, "body": {""}}); p.status != http.StatusForbidden {
		t.Fatalf("another user's edit: %d", p.status)
	}
	if p := do(t, bob, "POST", postURL+"/delete", url.Values{}); p.status != http.StatusForbidden {
		t.Fatalf("another user's delete: %d", p.status)
	}
	if p := do(t, alice, "POST", postURL+"/edit", url.Values{"title": {"Hello again"}, "body": {"Edited."}}); p.status != http.StatusSeeOther {
		t.Fatalf("author's edit: %d", p.status)
	}
	if p := do(t, anon, "GET", s.URL+"/", nil); !strings.Contains(p.body, "Hello again") || !strings.Contains(p.body, "by alice") {
		t.Fatal("home page does not list the edited post with its author")
	}
	if p := do(t, alice, "POST", postURL+"/delete", url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("author's delete: %d", p.status)
	}
	if p := do(t, anon, "GET", postURL, nil); p.status != http.StatusNotFound {
		t.Fatalf("deleted post: %d", p.status)
	}
	if p := do(t, anon, "GET", s.URL+"/posts/not-an-id", nil); p.status != http.StatusNotFound {
		t.Fatalf("malformed post id: %d", p.status)
	}
}

func TestOversizedFormIs413(t *testing.T) {
	s := newSite(t)
	c := s.browser(t)
	do(t, c, "POST", s.URL+"/register", registration("alice"))
	p := do(t, c, "POST", s.URL+"/posts/new", url.Values{"title": {"Big"}, "body": {strings.Repeat("b", 1<<20)}})
	if p.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 1 MiB post body: %d, want 413", p.status)
	}
}
