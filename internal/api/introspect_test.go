package api_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/auth"
)

// The introspection clients of these tests. billing's secret has
// characters that RFC 6749 §2.3.1's form encoding changes.
var (
	billing = auth.IntrospectionClient{Name: "billing", Secret: "billing+secret/0123456789=="}
	search  = auth.IntrospectionClient{Name: "search", Secret: "search-secret-0123456789"}
)

func newIntrospectionServer(t *testing.T, o serverOptions) *testServer {
	t.Helper()
	o.introspectionClients = []auth.IntrospectionClient{billing, search}
	return newServer(t, o)
}

// introspect asks s about tok as a resource server would, with net/http
// alone: golang.org/x/oauth2 has no introspection client.
func (s *testServer) introspect(t testing.TB, c auth.IntrospectionClient, form url.Values) response {
	t.Helper()
	req := s.request(t, "POST", "/api/token/introspect", "application/x-www-form-urlencoded", form.Encode(), "")
	req.SetBasicAuth(c.Name, c.Secret)
	return s.send(t, req)
}

func (s *testServer) send(t testing.TB, req *http.Request) response {
	t.Helper()
	res, err := s.Client().Do(req)
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

// answer is an introspection answer, every field a resource server reads.
func (r response) answer(t testing.TB) map[string]any {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("introspection: %d %s", r.status, r.body)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var m map[string]any
	r.json(t, &m)
	return m
}

// assertInactive checks that the answer is {"active":false} and nothing
// else: no hint of why.
func assertInactive(t testing.TB, what string, r response) {
	t.Helper()
	r.answer(t)
	if r.body != `{"active":false}`+"\n" {
		t.Errorf("%s: %s, want {\"active\":false} alone", what, r.body)
	}
}

func TestIntrospectActiveTokens(t *testing.T) {
	s := newIntrospectionServer(t, serverOptions{})
	s.register(t, "Alice")
	before := time.Now().Unix()
	tok := s.login(t, "alice")
	var me struct{ ID string }
	s.do(t, "GET", "/api/users/me", "", "", tok.AccessToken).json(t, &me)
	var sessions struct{ Items []struct{ ID string } }
	s.do(t, "GET", "/api/sessions", "", "", tok.AccessToken).json(t, &sessions)
	if len(sessions.Items) != 1 {
		t.Fatalf("sessions %+v", sessions)
	}
	sid := sessions.Items[0].ID

	for _, tt := range []struct {
		name, token, tokenType, aud string
		lifetime                    time.Duration
	}{
		{"access token", tok.AccessToken, "bearer", s.URL, 15 * time.Minute},
		{"refresh token", tok.RefreshToken, "N_A", s.URL, 7 * 24 * time.Hour},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, hint := range []string{"", "access_token", "refresh_token"} { // the hint changes nothing
				form := url.Values{"token": {tt.token}}
				if hint != "" {
					form.Set("token_type_hint", hint)
				}
				got := s.introspect(t, billing, form).answer(t)
				iat, exp := int64(got["iat"].(float64)), int64(got["exp"].(float64))
				if iat < before || iat > time.Now().Unix() || exp-iat < int64(tt.lifetime/time.Second)-1 || exp-iat > int64(tt.lifetime/time.Second) {
					t.Errorf("iat %d, exp %d: want issued since %d and a lifetime of %s", iat, exp, before, tt.lifetime)
				}
				delete(got, "iat")
				delete(got, "exp")
				want := map[string]any{"active": true, "scope": "", "token_type": tt.tokenType, "sub": me.ID, "username": "Alice",
					"role": "user", "sid": sid, "iss": s.URL, "aud": tt.aud}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("hint %q:\n got %v\nwant %v", hint, got, want)
				}
			}
		})
	}
}

// TestIntrospectInactiveTokens: every token Latchkey's own endpoints
// refuse is {"active":false}, on either database.
func TestIntrospectInactiveTokens(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// spoil does something to the fresh tokens of user name and
		// returns the token to ask about.
		spoil func(t *testing.T, s *testServer, name string, tok tokenPair) string
	}{
		{"unknown opaque token", func(*testing.T, *testServer, string, tokenPair) string { return auth.NewOpaqueToken() }},
		{"malformed JWT", func(*testing.T, *testServer, string, tokenPair) string { return "eyJhbGciOiJFUzI1NiJ9.e30.c2ln" }},
		{"access token with another signature", func(_ *testing.T, _ *testServer, _ string, tok tokenPair) string {
			head, _, _ := strings.Cut(tok.AccessToken, ".")
			return tok.AccessToken[:strings.LastIndex(tok.AccessToken, ".")+1] + head
		}},
		{"access token of a revoked session", func(t *testing.T, s *testServer, name string, tok tokenPair) string {
			revoke(t, s, tok.RefreshToken)
			return tok.AccessToken
		}},
		{"refresh token of a revoked session", func(t *testing.T, s *testServer, name string, tok tokenPair) string {
			revoke(t, s, tok.AccessToken)
			return tok.RefreshToken
		}},
		{"access token of a disabled user", func(t *testing.T, s *testServer, name string, tok tokenPair) string {
			if _, err := s.svc.SetDisabled(ctx, nil, name, true); err != nil {
				t.Fatal(err)
			}
			return tok.AccessToken
		}},
		{"refresh token of a disabled user", func(t *testing.T, s *testServer, name string, tok tokenPair) string {
			if _, err := s.svc.SetDisabled(ctx, nil, name, true); err != nil {
				t.Fatal(err)
			}
			return tok.RefreshToken
		}},
		{"access token of a deleted user", func(t *testing.T, s *testServer, name string, tok tokenPair) string {
			if res := s.do(t, "DELETE", "/api/users/me", "application/json", `{"current_password":"`+goodPassword+`"}`, tok.AccessToken); res.status != 204 {
				t.Fatalf("delete: %d %s", res.status, res.body)
			}
			return tok.AccessToken
		}},
	}
	s := newIntrospectionServer(t, serverOptions{})
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "user" + strconv.Itoa(i) // an account of its own
			s.register(t, name)
			assertInactive(t, tt.name, s.introspect(t, billing, url.Values{"token": {tt.spoil(t, s, name, s.login(t, name))}}))
		})
	}
}

func revoke(t *testing.T, s *testServer, token string) {
	t.Helper()
	if res := s.postForm(t, "/api/token/revoke", url.Values{"token": {token}}); res.status != 200 {
		t.Fatalf("revoke: %d %s", res.status, res.body)
	}
}

// TestIntrospectExpiredAccessToken: an access token past its exp is
// inactive although its session lives on.
func TestIntrospectExpiredAccessToken(t *testing.T) {
	s := newIntrospectionServer(t, serverOptions{accessTTL: time.Second})
	s.register(t, "alice")
	tok := s.login(t, "alice")
	time.Sleep(2 * time.Second) // exp has whole seconds
	assertInactive(t, "expired access token", s.introspect(t, billing, url.Values{"token": {tok.AccessToken}}))
	if !s.introspect(t, billing, url.Values{"token": {tok.RefreshToken}}).answer(t)["active"].(bool) {
		t.Error("the session's refresh token went inactive with its access token")
	}
}

// TestIntrospectAfterRefresh: once the client has refreshed, the refresh
// token it used is inactive and the new one active; the session, and so
// the access token it had, lives on. Asking about the used token is no
// reuse: it does not end the session.
func TestIntrospectAfterRefresh(t *testing.T) {
	s := newIntrospectionServer(t, serverOptions{})
	s.register(t, "alice")
	tok := s.login(t, "alice")
	if !s.introspect(t, billing, url.Values{"token": {tok.RefreshToken}}).answer(t)["active"].(bool) {
		t.Fatal("a fresh refresh token is inactive")
	}
	time.Sleep(auth.RefreshMinInterval)
	res := s.postForm(t, "/api/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
	if res.status != 200 {
		t.Fatalf("refresh: %d %s", res.status, res.body)
	}
	var next tokenPair
	res.json(t, &next)
	assertInactive(t, "the used refresh token", s.introspect(t, billing, url.Values{"token": {tok.RefreshToken}}))
	for _, tok := range []string{next.RefreshToken, next.AccessToken, tok.AccessToken} {
		if !s.introspect(t, search, url.Values{"token": {tok}}).answer(t)["active"].(bool) {
			t.Errorf("a token of the live session is inactive")
		}
	}
}

// TestIntrospectionClientAuthentication: only a configured client gets an
// answer; everyone else gets the same 401 with the Basic challenge,
// whether the name exists or not, before the body is even read.
func TestIntrospectionClientAuthentication(t *testing.T) {
	s := newIntrospectionServer(t, serverOptions{})
	s.register(t, "alice")
	token := s.login(t, "alice").AccessToken
	body := url.Values{"token": {token}}.Encode()

	basic := func(name, secret string) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth(name, secret) }
	}
	header := func(v string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", v) }
	}
	tests := []struct {
		name string
		auth func(*http.Request)
		want int
	}{
		{"right secret", basic(billing.Name, billing.Secret), 200},
		{"right secret, form-encoded as RFC 6749 §2.3.1 says", basic(billing.Name, url.QueryEscape(billing.Secret)), 200},
		{"the other client", basic(search.Name, search.Secret), 200},
		{"no Authorization", func(*http.Request) {}, 401},
		{"wrong secret", basic(billing.Name, search.Secret), 401},
		{"unknown name", basic("payroll", billing.Secret), 401},
		{"empty secret", basic(billing.Name, ""), 401},
		{"empty name", basic("", billing.Secret), 401},
		{"name in another case", basic("Billing", billing.Secret), 401},
		{"secret with a byte more", basic(billing.Name, billing.Secret+"x"), 401},
		{"bearer token instead", header("Bearer " + token), 401},
		{"Basic without base64", header("Basic not*base64"), 401},
		{"Basic without a colon", header("Basic YmlsbGluZw=="), 401}, // "billing"
		{"Basic with nothing", header("Basic "), 401},
		{"Basic, NUL and invalid UTF-8", basic("bill\x00ing", "\xff\xfe"+billing.Secret), 401},
	}
	var first401 *response
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := s.request(t, "POST", "/api/token/introspect", "application/x-www-form-urlencoded", body, "")
			tt.auth(req)
			res := s.send(t, req)
			if res.status != tt.want {
				t.Fatalf("status %d, want %d: %s", res.status, tt.want, res.body)
			}
			if tt.want == 200 {
				if !res.answer(t)["active"].(bool) {
					t.Error("the token is inactive")
				}
				return
			}
			if got := res.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Basic realm="latchkey"`) {
				t.Errorf("WWW-Authenticate %q", got)
			}
			var e api.OAuthError
			res.json(t, &e)
			if e.Error != "invalid_client" {
				t.Errorf("error %q, want invalid_client", e.Error)
			}
			// The same answer, word for word, for every refusal: it
			// tells no name that exists from one that does not.
			if first401 == nil {
				first401 = &res
			} else if res.body != first401.body || !reflect.DeepEqual(res.header["Www-Authenticate"], first401.header["Www-Authenticate"]) {
				t.Errorf("refusal %q differs from the first, %q", res.body, first401.body)
			}
		})
	}

	// Credentials come first: a stranger with a bad body learns nothing
	// about the body either.
	req := s.request(t, "POST", "/api/token/introspect", "application/json", `{"token":"x"}`, "")
	req.SetBasicAuth("payroll", "guess")
	if res := s.send(t, req); res.status != 401 {
		t.Errorf("stranger with a JSON body: %d, want 401", res.status)
	}
	// A client with a bad request gets RFC 6749 errors.
	for _, tt := range []struct {
		name, contentType, body string
		want                    int
	}{
		{"no token", "application/x-www-form-urlencoded", "token_type_hint=access_token", 400},
		{"empty token", "application/x-www-form-urlencoded", "token=", 400},
		{"token twice", "application/x-www-form-urlencoded", "token=a&token=b", 400},
		{"JSON body", "application/json", `{"token":"` + token + `"}`, 400},
	} {
		req := s.request(t, "POST", "/api/token/introspect", tt.contentType, tt.body, "")
		req.SetBasicAuth(billing.Name, billing.Secret)
		res := s.send(t, req)
		var e api.OAuthError
		res.json(t, &e)
		if res.status != tt.want || e.Error != "invalid_request" {
			t.Errorf("%s: %d %s, want %d invalid_request", tt.name, res.status, res.body, tt.want)
		}
	}
}

// TestIntrospectionOff: with no LATCHKEY_INTROSPECTION_CLIENTS nobody is a
// client, so every caller gets the 401 (the endpoint stays, so that a
// resource server's operator reads the same answer as for a wrong secret
// and the document does not change with the setting).
func TestIntrospectionOff(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	token := s.login(t, "alice").AccessToken
	for _, c := range []auth.IntrospectionClient{billing, {}, {Name: "billing"}} {
		res := s.introspect(t, c, url.Values{"token": {token}})
		if res.status != 401 || !strings.HasPrefix(res.header.Get("WWW-Authenticate"), "Basic ") {
			t.Errorf("client %q: %d %v, want 401 with the Basic challenge", c.Name, res.status, res.header)
		}
	}
}

// TestIntrospectHostileTokens: whatever the token, the answer is inactive
// or a 413 for a body over the limit, never a 500, on either database.
func TestIntrospectHostileTokens(t *testing.T) {
	s := newIntrospectionServer(t, serverOptions{})
	const room = api.MaxBodyBytes - len("token=")
	for _, tt := range []struct {
		name, token string
		want        int
	}{
		{"NUL", "ab\x00cd", 200},
		{"NUL in a JWT", "a\x00.b.c", 200},
		{"invalid UTF-8", "\xff\xfe\xfd", 200},
		{"invalid UTF-8 in a JWT", "\xff.\xfe.\xfd", 200},
		{"control characters", "\x1b[2J\r\n", 200},
		{"dots only", "..", 200},
		{"a long JWT-shaped token", strings.Repeat("a", 100_000) + ".b.c", 200},
		{"the most the body holds", strings.Repeat("a", room), 200},
		{"1 MiB", strings.Repeat("a", 1<<20), http.StatusRequestEntityTooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := s.introspect(t, billing, url.Values{"token": {tt.token}})
			if res.status != tt.want {
				t.Fatalf("status %d, want %d: %.200s", res.status, tt.want, res.body)
			}
			if tt.want == 200 {
				assertInactive(t, tt.name, res)
			}
		})
	}
}
