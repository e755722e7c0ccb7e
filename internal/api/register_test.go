package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/api"
)

const alice = `{"username":"Alice","email":"Alice@Example.com","password":"correct horse battery"}`

func TestRegisterCreated(t *testing.T) {
	s := newServer(t, serverOptions{})
	res := s.post(t, "/api/users", "application/json", alice)
	if res.status != http.StatusCreated {
		t.Fatalf("status %d: %s", res.status, res.body)
	}
	var u map[string]any
	if err := json.Unmarshal([]byte(res.body), &u); err != nil {
		t.Fatal(err)
	}
	if u["username"] != "Alice" || u["email"] != "alice@example.com" || u["role"] != "user" || u["email_verified"] != false {
		t.Fatalf("body %s", res.body)
	}
	if len(u) != 7 || u["mfa_enabled"] != false {
		t.Fatalf("private user has fields %v; want exactly id, username, email, email_verified, role, mfa_enabled, created_at", u)
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
	s := newServer(t, serverOptions{})
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
		{"wrong type", "application/json", `{"username":1,"email":"b@example.com","password":"correct horse battery"}`, 422, "validation_failed", "body.username"},
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
			slices.Sort(locs)
			want := strings.Split(tt.locations, ",")
			slices.Sort(want)
			if strings.Join(locs, ",") != strings.Join(want, ",") {
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
	s := newServer(t, serverOptions{perIP: 2})
	bad := `{"username":"x","email":"x","password":"x"}`
	s.post(t, "/api/users", "application/json", bad)
	s.post(t, "/api/users", "application/json", bad)
	res := s.post(t, "/api/users", "application/json", alice)
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "30" {
		t.Fatalf("got %d Retry-After %q: %s", res.status, res.header.Get("Retry-After"), res.body)
	}
}

func TestRegisterBusy(t *testing.T) {
	s := newServer(t, serverOptions{})
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
