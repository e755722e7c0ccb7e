package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestHostileTextIsNeverA500 posts what PostgreSQL refuses and SQLite
// stores (a NUL, bytes that are not UTF-8) through the pages' forms, on
// whichever database the suite runs on: each form answers 422 naming the
// field and keeps what was typed; a Latin-1 User-Agent logs in.
func TestHostileTextIsNeverA500(t *testing.T) {
	s := newSite(t)
	do(t, s.browser(t), "POST", s.URL+"/register", registration("alice"))

	latin1 := s.browser(t)
	p := do(t, latin1, "POST", s.URL+"/login", url.Values{"identifier": {"alice"}, "password": {pw}}, "User-Agent", "Navigateur caf\xe9/1.0")
	if p.status != http.StatusSeeOther {
		t.Fatalf("login with a Latin-1 User-Agent: %d, want 303", p.status)
	}

	for _, identifier := range []string{"ab\x00cd", "a\xffb"} {
		p := do(t, s.browser(t), "POST", s.URL+"/login", url.Values{"identifier": {identifier}, "password": {pw}})
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `aria-describedby="identifier-error"`) {
			t.Errorf("login as %q: %d, want 422 naming the identifier", identifier, p.status)
		}
	}

	for _, tt := range []struct {
		name, title, body, field string
	}{
		{"a byte that is not UTF-8 in the title", "a\xffb", "kept text", "title"},
		{"a NUL in the title", "a\x00b", "kept text", "title"},
		{"a NUL in the body", "Title", "kept text\x00", "body"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := do(t, latin1, "POST", s.URL+"/posts/new", url.Values{"title": {tt.title}, "body": {tt.body}})
			if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `aria-describedby="`+tt.field+`-error"`) || !strings.Contains(p.body, "kept text") {
				t.Fatalf("%d, want 422 naming %s with the text kept", p.status, tt.field)
			}
		})
	}
}
