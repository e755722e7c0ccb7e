package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/auth"
)

// TestEveryBodyMayBeOneMiB: each operation with a JSON body takes one of
// exactly MaxBodyBytes (DESIGN.md: 1 MiB) and refuses one byte more, so no
// operation falls back to huma's own limit. The operations are read from
// the document, so a new one is covered when it is added.
func TestEveryBodyMayBeOneMiB(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	// An admin, so that the admin operations read their bodies rather
	// than answer 403 first.
	if _, err := s.svc.SetRole(context.Background(), nil, "alice", auth.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	tok := s.login(t, "alice").AccessToken
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct{ Content map[string]any }
		}
	}
	if err := json.Unmarshal(fetchSpec(t, s).raw, &doc); err != nil {
		t.Fatal(err)
	}
	body := func(n int) string { return "{}" + strings.Repeat(" ", n-2) } // one JSON value, padded
	var n int
	for path, item := range doc.Paths {
		for method, o := range item {
			if _, ok := o.RequestBody.Content["application/json"]; !ok {
				continue
			}
			n++
			p := strings.ReplaceAll(path, "{id}", "0199a8c0-0000-7000-8000-000000000000")
			m := strings.ToUpper(method)
			if res := s.do(t, m, p, "application/json", body(api.MaxBodyBytes), tok); res.status == http.StatusRequestEntityTooLarge {
				t.Errorf("%s %s refused a body of exactly %d bytes", m, path, api.MaxBodyBytes)
			}
			if res := s.do(t, m, p, "application/json", body(api.MaxBodyBytes+1), tok); res.status != http.StatusRequestEntityTooLarge {
				t.Errorf("%s %s: a body of %d bytes got %d, want 413", m, path, api.MaxBodyBytes+1, res.status)
			}
		}
	}
	if n < 6 {
		t.Fatalf("only %d operations with a JSON body in the document", n)
	}
}
