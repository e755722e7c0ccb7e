package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzTokenForm posts any body under any Content-Type to the token
// endpoint of a real server (SQLite, cheap hashing) with one account, and
// checks the promises of RFC 6749 and DESIGN.md that a parsing slip would
// break: never a 5xx, always a JSON answer that is not cached, a repeated
// parameter refused as invalid_request (RFC 6749 §3.2), and tokens only
// for the account's real password.
func FuzzTokenForm(f *testing.F) {
	s := newServer(f, serverOptions{})
	s.register(f, "alice")
	const form = "application/x-www-form-urlencoded"
	for _, seed := range []struct{ contentType, body string }{
		{form, "grant_type=password&username=alice&password=" + url.QueryEscape(goodPassword)},
		{form, "username=ALICE%40example.com&password=" + url.QueryEscape(goodPassword)},
		{form, "grant_type=password&username=alice&password=wrong"},
		{form, "grant_type=password&username=alice&username=bob&password=x"},
		{form, "grant_type=refresh_token&refresh_token=abc"},
		{form, "grant_type=client_credentials"},
		{form, "grant_type=password&username=al%00ice&password=x"},
		{form, "grant_type=password&username=%ff&password=%ff"},
		{form, "a=%zz"},
		{form, "grant_type=password;username=alice"},
		{form + "; charset=utf-8", "grant_type=password&username=alice&password=x"},
		{"application/json", `{"grant_type":"password","username":"alice","password":"x"}`},
		{"", ""},
		{"text/plain; charset=\"", "x"},
	} {
		f.Add(seed.contentType, seed.body)
	}
	h := s.Config.Handler
	f.Fuzz(func(t *testing.T, contentType, body string) {
		r := httptest.NewRequest("POST", "/api/token", strings.NewReader(body))
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%q %q: %d %s", contentType, body, w.Code, w.Body)
		}
		if w.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("%q %q: Cache-Control %q", contentType, body, w.Header().Get("Cache-Control"))
		}
		var answer struct {
			AccessToken string `json:"access_token"`
			Error       string `json:"error"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &answer); err != nil {
			t.Fatalf("%q %q: %d %q is not JSON: %v", contentType, body, w.Code, w.Body, err)
		}
		values, perr := url.ParseQuery(body)
		if w.Code == http.StatusOK {
			if answer.AccessToken == "" || perr != nil || values.Get("password") != goodPassword {
				t.Fatalf("%q %q: tokens without the password: %s", contentType, body, w.Body)
			}
		} else if answer.Error == "" {
			t.Fatalf("%q %q: %d without an error code: %s", contentType, body, w.Code, w.Body)
		}
		if perr != nil || !strings.HasPrefix(contentType, form) {
			return
		}
		for k, vs := range values {
			if len(vs) > 1 && (w.Code != http.StatusBadRequest || answer.Error != "invalid_request") {
				t.Fatalf("%q: %q repeated, answered %d %s", body, k, w.Code, w.Body)
			}
		}
	})
}
