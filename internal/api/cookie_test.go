package api_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/auth"
)

func (s *testServer) withCookie(t *testing.T, method, path, body, token string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.AddCookie(&http.Cookie{Name: "latchkey_session", Value: token})
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// TestAPIAcceptsTheSessionCookie: the site's own scripts call the API with
// the browser session cookie; a password change through it renews the
// cookie and the old value stops working.
func TestAPIAcceptsTheSessionCookie(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	bs, err := s.svc.LoginBrowser(context.Background(), "alice", goodPassword, true, auth.Client{})
	if err != nil {
		t.Fatal(err)
	}
	if res := s.withCookie(t, "GET", "/api/users/me", "", bs.Token); res.StatusCode != 200 {
		t.Fatalf("GET /me with the cookie: %d", res.StatusCode)
	}
	if res := s.withCookie(t, "GET", "/api/users/me", "", "forged"); res.StatusCode != 401 {
		t.Fatalf("GET /me with a forged cookie: %d", res.StatusCode)
	}
	res := s.withCookie(t, "POST", "/api/users/me/password",
		`{"current_password":"`+goodPassword+`","new_password":"a brand new passphrase"}`, bs.Token)
	if res.StatusCode != 204 {
		t.Fatalf("password change: %d", res.StatusCode)
	}
	var fresh *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "latchkey_session" {
			fresh = c
		}
	}
	if fresh == nil || fresh.Value == "" || fresh.Value == bs.Token || !fresh.HttpOnly || fresh.SameSite != http.SameSiteLaxMode {
		t.Fatalf("renewed cookie %+v", fresh)
	}
	if res := s.withCookie(t, "GET", "/api/users/me", "", bs.Token); res.StatusCode != 401 {
		t.Fatalf("old cookie value after a password change: %d", res.StatusCode)
	}
	if res := s.withCookie(t, "GET", "/api/users/me", "", fresh.Value); res.StatusCode != 200 {
		t.Fatalf("renewed cookie: %d", res.StatusCode)
	}
}
