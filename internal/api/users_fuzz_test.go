package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/auth"
)

// FuzzRegister posts any body to POST /api/users on a real server and
// checks that the JSON decoding and the identity rules between them never
// fail with a 5xx, that every refusal is a problem document, and that an
// account is only ever created under a username and email that the rules
// accept as they are, so no stored identity escapes normalisation.
func FuzzRegister(f *testing.F) {
	s := newServer(f, serverOptions{})
	for _, body := range []string{
		alice,
		`{"username":"bob","email":"bob@example.com","password":"correct horse battery","role":"admin"}`,
		`{"username":"ｂｏｂ","email":"BOB@example.com","password":"correct horse battery"}`,
		`{"username":"b\u0000b","email":"b@example.com","password":"correct horse battery"}`,
		`{"username":"carol","email":"carol@example.com","password":"\ud800 horse battery"}`,
		`{"username":"carol","username":"dave","email":"c@example.com","password":"correct horse battery"}`,
		`{"username":1,"email":null,"password":[]}`,
		`{"username":"carol","email":"carol@example.com","password":"correct horse battery"}x`,
		`[]`, `null`, `{`, ``, "\xff",
	} {
		f.Add(body)
	}
	h := s.Config.Handler
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/api/users", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%q: %d %s", body, w.Code, w.Body)
		}
		if w.Code != http.StatusCreated {
			if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("%q: %d with Content-Type %q: %s", body, w.Code, ct, w.Body)
			}
			return
		}
		var u struct{ Username, Email, Role string }
		if err := json.Unmarshal(w.Body.Bytes(), &u); err != nil {
			t.Fatalf("%q: 201 %q: %v", body, w.Body, err)
		}
		if got, errs := auth.CheckUsername(u.Username); got != u.Username || len(errs) > 0 {
			t.Fatalf("%q: created username %q, which the rules read as %q, %v", body, u.Username, got, errs)
		}
		if got, errs := auth.CheckEmail(u.Email); got != u.Email || len(errs) > 0 {
			t.Fatalf("%q: created email %q, which the rules read as %q, %v", body, u.Email, got, errs)
		}
		if u.Role != "user" {
			t.Fatalf("%q: created an account with role %q", body, u.Role)
		}
	})
}
