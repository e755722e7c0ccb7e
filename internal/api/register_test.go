package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/store"
)

type testServer struct {
	*httptest.Server
	pool *password.Pool
}

// newServer serves the API on a real HTTP server over a fresh SQLite file.
func newServer(t *testing.T, perIP int) *testServer {
	t.Helper()
	s, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "api.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	pool := password.NewPool(2, 50*time.Millisecond)
	h := password.NewHasher(authtest.CheapParams, pool)
	var lim auth.Limiter
	if perIP > 0 {
		lim = auth.NewMemoryLimiter(perIP)
	}
	svc := auth.NewService(s, h, lim, auth.Options{PasswordMinLength: 8}, time.Now)
	mux := http.NewServeMux()
	api.Routes(mux, api.Deps{Auth: svc, Log: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, pool: pool}
}

type response struct {
	status int
	header http.Header
	body   string
}

func (s *testServer) post(t *testing.T, path, contentType, body string) response {
	t.Helper()
	res, err := s.Client().Post(s.URL+path, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, string(b)}
}

const alice = `{"username":"Alice","email":"Alice@Example.com","password":"correct horse battery"}`

func TestRegisterCreated(t *testing.T) {
	s := newServer(t, 0)
	res := s.post(t, "/api/users", "application/json", alice)
	if res.status != http.StatusCreated {
		t.Fatalf("status %d: %s", res.status, res.body)
	}
	var u map[string]any
	if err := json.Unmarshal([]byte(res.body), &u); err != nil {
		t.Fatal(err)
	}
	if u["username"] != "Alice" || u["email"] != "alice@example.com" || u["role"] != "user" {
		t.Fatalf("body %s", res.body)
	}
	if len(u) != 5 {
		t.Fatalf("private user has fields %v; want exactly id, username, email, role, created_at", u)
	}
	if _, err := time.Parse(time.RFC3339, u["created_at"].(string)); err != nil || !strings.HasSuffix(u["created_at"].(string), "Z") {
		t.Fatalf("created_at %v is not RFC 3339 UTC", u["created_at"])
	}
	if res.header.Get("Location") != "/api/users/"+u["id"].(string) {
		t.Fatalf("Location %q", res.header.Get("Location"))
	}
	if strings.Contains(res.body, "argon2") || strings.Contains(res.body, "correct horse") {
		t.Fatal("response leaks the password or its hash")
	}
}

func TestRegisterErrors(t *testing.T) {
	s := newServer(t, 0)
	if res := s.post(t, "/api/users", "application/json", alice); res.status != http.StatusCreated {
		t.Fatalf("setup: %d %s", res.status, res.body)
	}
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		code        string
		locations   string
	}{
		{"taken username in other case", "application/json", `{"username":"ALICE","email":"b@example.com","password":"correct horse battery"}`,
			409, "username_taken", "body.username"},
		{"taken email", "application/json", `{"username":"bob","email":"alice@example.com","password":"correct horse battery"}`,
			409, "email_taken", "body.email"},
		{"every field invalid", "application/json", `{"username":"a","email":"nope","password":"password"}`,
			422, "validation_failed", "body.username,body.email,body.password"},
		{"missing fields", "application/json", `{}`, 422, "validation_failed", "body.username,body.email,body.password"},
		{"wrong type", "application/json", `{"username":1}`, 422, "validation_failed", "body.username"},
		{"unknown field", "application/json", `{"username":"bob","email":"b@example.com","password":"correct horse battery","admin":true}`,
			422, "validation_failed", "body.admin"},
		{"malformed JSON", "application/json", `{"username":`, 400, "bad_request", ""},
		{"two JSON values", "application/json", alice + `{}`, 400, "bad_request", ""},
		{"empty body", "application/json", ``, 400, "bad_request", ""},
		{"not JSON", "application/x-www-form-urlencoded", `username=bob`, 415, "unsupported_media_type", ""},
		{"over 1 MiB", "application/json", `{"username":"` + strings.Repeat("a", 1<<20) + `"}`, 413, "body_too_large", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.post(t, "/api/users", tt.contentType, tt.body)
			var p api.Problem
			if err := json.Unmarshal([]byte(res.body), &p); err != nil {
				t.Fatalf("status %d, body %q is not a problem: %v", res.status, res.body, err)
			}
			if res.status != tt.status || p.Status != tt.status || string(p.Code) != tt.code {
				t.Fatalf("got %d %s, want %d %s: %s", res.status, p.Code, tt.status, tt.code, res.body)
			}
			if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q", ct)
			}
			var locs []string
			for _, f := range p.Errors {
				locs = append(locs, f.Location)
				if f.Message == "" || f.Code == "" {
					t.Errorf("field error without code or message: %+v", f)
				}
			}
			if strings.Join(locs, ",") != tt.locations {
				t.Errorf("locations %v, want %s", locs, tt.locations)
			}
			if p.Detail == "" {
				t.Error("problem has no detail")
			}
			if strings.Contains(res.body, "correct horse") || strings.Contains(res.body, `"password"`+":") {
				t.Error("problem repeats the submitted password")
			}
		})
	}
}

func TestRegisterThrottledPerIP(t *testing.T) {
	s := newServer(t, 2)
	s.post(t, "/api/users", "application/json", `{}`)
	s.post(t, "/api/users", "application/json", `{}`)
	res := s.post(t, "/api/users", "application/json", alice)
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "30" {
		t.Fatalf("got %d Retry-After %q: %s", res.status, res.header.Get("Retry-After"), res.body)
	}
}

func TestRegisterBusy(t *testing.T) {
	s := newServer(t, 0)
	done := make(chan struct{})
	defer close(done)
	for range 2 {
		held := make(chan struct{})
		go s.pool.Do(context.Background(), func() { close(held); <-done })
		<-held
	}
	res := s.post(t, "/api/users", "application/json", alice)
	if res.status != http.StatusServiceUnavailable || res.header.Get("Retry-After") == "" || !strings.Contains(res.body, `"busy"`) {
		t.Fatalf("got %d Retry-After %q: %s", res.status, res.header.Get("Retry-After"), res.body)
	}
}
