package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/auth"
	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"
)

// code is what an authenticator app shows for secret, steps of 30 s from
// now. The server refuses a step's code once one of it was accepted, and
// takes one step of drift either way, so a test that needs two codes
// uses steps 0 and 1.
func code(t *testing.T, secret string, steps int) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, time.Now().Add(time.Duration(steps)*30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enableTOTP turns two-step verification on for the holder of at, as an
// app would, and returns the secret and the recovery codes.
func (s *testServer) enableTOTP(t *testing.T, at string) (string, []string) {
	t.Helper()
	res := s.do(t, "POST", "/api/users/me/totp", "application/json", `{"current_password":"`+goodPassword+`"}`, at)
	var en api.TOTPEnrolment
	res.json(t, &en)
	if res.status != http.StatusOK || en.Secret == "" || !strings.HasPrefix(en.OTPAuthURL, "otpauth://totp/") {
		t.Fatalf("POST /api/users/me/totp: %d %s", res.status, res.body)
	}
	res = s.do(t, "POST", "/api/users/me/totp/confirm", "application/json", `{"code":"`+code(t, en.Secret, 0)+`"}`, at)
	var rc api.RecoveryCodes
	res.json(t, &rc)
	if res.status != http.StatusOK || len(rc.RecoveryCodes) != 10 {
		t.Fatalf("POST /api/users/me/totp/confirm: %d %s", res.status, res.body)
	}
	return en.Secret, rc.RecoveryCodes
}

// mfaRequired takes the password grant's first step and returns the
// mfa_token of the answer.
func (s *testServer) mfaRequired(t *testing.T, username string) string {
	t.Helper()
	res := s.postForm(t, "/api/token", url.Values{"grant_type": {"password"}, "username": {username}, "password": {goodPassword}})
	var body struct {
		Error    string `json:"error"`
		MFAToken string `json:"mfa_token"`
	}
	res.json(t, &body)
	if res.status != http.StatusBadRequest || body.Error != "mfa_required" || body.MFAToken == "" ||
		res.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("password grant with TOTP on: %d %s", res.status, res.body)
	}
	return body.MFAToken
}

func (s *testServer) mfaGrant(t *testing.T, params url.Values) response {
	t.Helper()
	params.Set("grant_type", api.MFAGrant)
	return s.postForm(t, "/api/token", params)
}

// TestMFAFlowOverHTTP is the whole flow as an app sees it, from a plain
// HTTP client.
func TestMFAFlowOverHTTP(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	at := s.login(t, "alice").AccessToken
	secret, recovery := s.enableTOTP(t, at)
	if me := s.me(t, at); !me.MFAEnabled {
		t.Fatalf("GET /me after enrolment: %+v", me)
	}
	// On already: enrolling again is a conflict.
	res := s.do(t, "POST", "/api/users/me/totp", "application/json", `{"current_password":"`+goodPassword+`"}`, at)
	if p := s.problem(t, res); res.status != http.StatusConflict || p.Code != "conflict" {
		t.Fatalf("second enrolment: %d %s", res.status, res.body)
	}

	mfa := s.mfaRequired(t, "alice")
	for name, params := range map[string]url.Values{
		"no mfa_token":     {"otp": {"123456"}},
		"no code":          {"mfa_token": {mfa}},
		"otp and recovery": {"mfa_token": {mfa}, "otp": {"123456"}, "recovery_code": {recovery[0]}},
	} {
		res := s.mfaGrant(t, params)
		if res.status != http.StatusBadRequest || !strings.Contains(res.body, `"invalid_request"`) {
			t.Errorf("%s: %d %s", name, res.status, res.body)
		}
	}
	// The enrolment's code is spent: replayed here, it is refused.
	if res := s.mfaGrant(t, url.Values{"mfa_token": {mfa}, "otp": {code(t, secret, 0)}}); res.status != 400 || !strings.Contains(res.body, `"invalid_grant"`) {
		t.Fatalf("replayed code: %d %s", res.status, res.body)
	}
	res = s.mfaGrant(t, url.Values{"mfa_token": {mfa}, "otp": {code(t, secret, 1)}})
	var pair tokenPair
	res.json(t, &pair)
	if res.status != http.StatusOK || pair.AccessToken == "" || pair.RefreshToken == "" {
		t.Fatalf("mfa-otp grant: %d %s", res.status, res.body)
	}
	if me := s.me(t, pair.AccessToken); me.Username != "alice" {
		t.Fatalf("GET /me with the new token: %+v", me)
	}
	// The mfa_token is used up.
	if res := s.mfaGrant(t, url.Values{"mfa_token": {mfa}, "recovery_code": {recovery[0]}}); res.status != 400 || !strings.Contains(res.body, `"invalid_grant"`) {
		t.Fatalf("used mfa_token: %d %s", res.status, res.body)
	}

	// A recovery code works once.
	res = s.mfaGrant(t, url.Values{"mfa_token": {s.mfaRequired(t, "alice")}, "recovery_code": {recovery[0]}})
	if res.status != http.StatusOK {
		t.Fatalf("recovery code: %d %s", res.status, res.body)
	}
	if res := s.mfaGrant(t, url.Values{"mfa_token": {s.mfaRequired(t, "alice")}, "recovery_code": {recovery[0]}}); res.status != 400 {
		t.Fatalf("recovery code again: %d %s", res.status, res.body)
	}

	// New codes, after the password.
	res = s.do(t, "POST", "/api/users/me/recovery-codes", "application/json", `{"current_password":"`+goodPassword+`"}`, at)
	var fresh api.RecoveryCodes
	res.json(t, &fresh)
	if res.status != http.StatusOK || len(fresh.RecoveryCodes) != 10 || fresh.RecoveryCodes[0] == recovery[0] {
		t.Fatalf("new recovery codes: %d %s", res.status, res.body)
	}

	// Off, with the password and a (recovery) code; a wrong code is 422.
	res = s.do(t, "DELETE", "/api/users/me/totp", "application/json", `{"current_password":"`+goodPassword+`","code":"000000"}`, at)
	if p := s.problem(t, res); res.status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Location != "body.code" {
		t.Fatalf("turning off with a wrong code: %d %s", res.status, res.body)
	}
	res = s.do(t, "DELETE", "/api/users/me/totp", "application/json", `{"current_password":"`+goodPassword+`","code":"`+fresh.RecoveryCodes[3]+`"}`, at)
	if res.status != http.StatusNoContent {
		t.Fatalf("turning off: %d %s", res.status, res.body)
	}
	if me := s.me(t, at); me.MFAEnabled {
		t.Fatal("GET /me: still on")
	}
	s.login(t, "alice") // the password alone again
}

// TestMFAFiveWrongCodes: five wrong codes use the mfa_token up.
func TestMFAFiveWrongCodes(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	secret, _ := s.enableTOTP(t, s.login(t, "alice").AccessToken)
	mfa := s.mfaRequired(t, "alice")
	for range 5 {
		if res := s.mfaGrant(t, url.Values{"mfa_token": {mfa}, "otp": {"000000"}}); res.status != 400 || !strings.Contains(res.body, `"invalid_grant"`) {
			t.Fatalf("wrong code: %d %s", res.status, res.body)
		}
	}
	res := s.mfaGrant(t, url.Values{"mfa_token": {mfa}, "otp": {code(t, secret, 1)}})
	if res.status != 400 || !strings.Contains(res.body, "start again") {
		t.Fatalf("right code after five wrong: %d %s", res.status, res.body)
	}
}

// TestMFAHostileValues: bytes no database column may hold, in every
// parameter of the grant, are a clean invalid_grant on both databases.
func TestMFAHostileValues(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	at := s.login(t, "alice").AccessToken
	s.enableTOTP(t, at)
	mfa := s.mfaRequired(t, "alice")
	for _, bad := range []string{"12\x0034", "\xff\xfe", strings.Repeat("9", 5000)} {
		for _, params := range []url.Values{
			{"mfa_token": {bad}, "otp": {"123456"}},
			{"mfa_token": {mfa}, "otp": {bad}},
			{"mfa_token": {mfa}, "recovery_code": {bad}},
		} {
			res := s.mfaGrant(t, params)
			if res.status != http.StatusBadRequest || !strings.Contains(res.body, `"invalid_grant"`) {
				t.Errorf("%q: %d %s", params, res.status, res.body)
			}
		}
	}
	// And in the JSON bodies: a code that cannot be right is 422 naming
	// it, never a 500.
	for _, bad := range []string{"12\x0034", "\xff\xfe"} {
		body, _ := json.Marshal(map[string]string{"current_password": goodPassword, "code": bad})
		res := s.do(t, "DELETE", "/api/users/me/totp", "application/json", string(body), at)
		if p := s.problem(t, res); res.status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Location != "body.code" {
			t.Errorf("turning off with %q: %d %s", bad, res.status, res.body)
		}
	}
}

// TestMFAWithOAuth2ClientLibrary: a standard client sees mfa_required as
// an RFC 6749 error it can read the mfa_token from.
func TestMFAWithOAuth2ClientLibrary(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	s.enableTOTP(t, s.login(t, "alice").AccessToken)
	conf := &oauth2.Config{Endpoint: oauth2.Endpoint{TokenURL: s.URL + "/api/token", AuthStyle: oauth2.AuthStyleInParams}}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, s.Client())
	_, err := conf.PasswordCredentialsToken(ctx, "alice", goodPassword)
	var re *oauth2.RetrieveError
	if !asRetrieveError(err, &re) || re.ErrorCode != "mfa_required" || re.Response.StatusCode != 400 {
		t.Fatalf("password grant through the client: %v", err)
	}
	var body struct {
		MFAToken string `json:"mfa_token"`
	}
	if err := json.Unmarshal(re.Body, &body); err != nil || body.MFAToken == "" {
		t.Fatalf("the client's error body holds no mfa_token: %s", re.Body)
	}
}

// TestPasswordResetAsksForTheCode: a reset link of an account with TOTP
// on also needs a code; without it the link stays good.
func TestPasswordResetAsksForTheCode(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	secret, _ := s.enableTOTP(t, s.login(t, "alice").AccessToken)
	if res := s.postJSON(t, "/api/password-reset", `{"email":"alice@example.com"}`, ""); res.status != http.StatusAccepted {
		t.Fatalf("asking for a reset: %d %s", res.status, res.body)
	}
	link := s.mailTo(t, "alice@example.com", auth.MailResetPassword).Token
	res := s.post(t, "/api/password-reset/confirm", "application/json", `{"token":"`+link+`","new_password":"a brand new password"}`)
	if p := s.problem(t, res); res.status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Location != "body.otp" {
		t.Fatalf("reset without the code: %d %s", res.status, res.body)
	}
	res = s.post(t, "/api/password-reset/confirm", "application/json", `{"token":"`+link+`","new_password":"a brand new password","otp":"`+code(t, secret, 1)+`"}`)
	if res.status != http.StatusNoContent {
		t.Fatalf("reset with the code: %d %s", res.status, res.body)
	}
}

// TestAdminResetsMFA: an admin turns it off for a user; then the password
// alone logs in.
func TestAdminResetsMFA(t *testing.T) {
	s := newServer(t, serverOptions{})
	root := s.makeAdmin(t, "root").AccessToken
	s.register(t, "alice")
	at := s.login(t, "alice").AccessToken
	s.enableTOTP(t, at)
	id := s.me(t, at).ID
	res := s.do(t, "GET", "/api/admin/users/"+id, "", "", root)
	if res.status != 200 || !strings.Contains(res.body, `"mfa_enabled":true`) {
		t.Fatalf("admin's view: %d %s", res.status, res.body)
	}
	if res := s.do(t, "DELETE", "/api/admin/users/"+id+"/totp", "", "", root); res.status != http.StatusNoContent {
		t.Fatalf("reset: %d %s", res.status, res.body)
	}
	if res := s.do(t, "DELETE", "/api/admin/users/"+id+"/totp", "", "", root); res.status != http.StatusConflict {
		t.Fatalf("reset again: %d %s", res.status, res.body)
	}
	s.login(t, "alice")
}
