package api_test

import (
	"net/http"
	"slices"
	"testing"
)

// TestValidationReportsEverything: an unknown field or a value of the
// wrong type no longer hides the other problems of a body: one answer
// names every field at fault, each with its own code, in the project's
// words.
func TestValidationReportsEverything(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "bob")
	bob := s.login(t, "bob")
	tests := []struct {
		name, method, path, body, bearer string
		want                             []string // location:code, in order
	}{
		{"register: unknown field and rule breaks", "POST", "/api/users",
			`{"username":"x","email":"nope","password":"short","extra":1}`, "",
			[]string{"body.extra:unknown_field", "body.username:username_length", "body.email:email_invalid", "body.password:password_too_short"}},
		{"register: wrong type and rule breaks", "POST", "/api/users",
			`{"username":5,"email":"nope","password":"correct horse battery"}`, "",
			[]string{"body.username:wrong_type", "body.email:email_invalid"}},
		{"profile: unknown field and a bad address", "PATCH", "/api/users/me",
			`{"email":"nope","role":"admin"}`, bob.AccessToken,
			[]string{"body.role:unknown_field", "body.email:email_invalid"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := s.do(t, tc.method, tc.path, "application/json", tc.body, tc.bearer)
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("%d %s", res.status, res.body)
			}
			p := s.problem(t, res)
			var got []string
			for _, f := range p.Errors {
				got = append(got, f.Location+":"+f.Code)
				if f.Code == "wrong_type" && f.Message != "Send text (a JSON string) here." {
					t.Errorf("wrong_type says %q", f.Message)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("errors %v, want %v", got, tc.want)
			}
		})
	}
}
