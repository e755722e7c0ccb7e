package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/password"
	"golang.org/x/oauth2"
)

// TestOAuth2ClientLibrary: golang.org/x/oauth2, unchanged, logs in with
// the password grant and refreshes by itself when the token expires.
func TestOAuth2ClientLibrary(t *testing.T) {
	// Access tokens live 5 s, inside x/oauth2's 10 s expiry margin, so its
	// TokenSource must refresh before the first call.
	s := newServer(t, serverOptions{accessTTL: 5 * time.Second})
	s.register(t, "alice")
	conf := &oauth2.Config{Endpoint: oauth2.Endpoint{TokenURL: s.URL + "/api/token", AuthStyle: oauth2.AuthStyleInParams}}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, s.Client())

	tok, err := conf.PasswordCredentialsToken(ctx, "alice", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.TokenType != "bearer" || tok.Expiry.IsZero() {
		t.Fatalf("token %+v", tok)
	}
	src := conf.TokenSource(ctx, tok)
	time.Sleep(auth.RefreshMinInterval) // the session's refresh budget
	res, err := oauth2.NewClient(ctx, src).Get(s.URL + "/api/users/me")
	if err != nil {
		t.Fatal(err)
	}
	var me struct{ Username string }
	json.NewDecoder(res.Body).Decode(&me)
	res.Body.Close()
	if res.StatusCode != 200 || me.Username != "alice" {
		t.Fatalf("GET /me through the client: %d %+v", res.StatusCode, me)
	}
	time.Sleep(auth.RefreshMinInterval)
	refreshed, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	if refreshed.RefreshToken == tok.RefreshToken || refreshed.AccessToken == tok.AccessToken {
		t.Fatal("the client did not refresh (or the server did not rotate the refresh token)")
	}
	// The first refresh token is used up; well past the grace window it
	// would end the session, within it it is only refused.
	_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	var re *oauth2.RetrieveError
	if !asRetrieveError(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("reusing a rotated refresh token: %v", err)
	}
	_, err = conf.PasswordCredentialsToken(ctx, "alice", "wrong password")
	if !asRetrieveError(err, &re) || re.ErrorCode != "invalid_grant" || re.Response.StatusCode != 400 {
		t.Fatalf("wrong password through the client: %v", err)
	}
}

func asRetrieveError(err error, target **oauth2.RetrieveError) bool {
	re, ok := err.(*oauth2.RetrieveError)
	if ok {
		*target = re
	}
	return ok
}

// TestAccessTokenVerifiesWithJWKS: another service verifies our access
// token from the published keys with an independent JOSE library.
func TestAccessTokenVerifiesWithJWKS(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	pair := s.login(t, "alice")

	res := s.do(t, "GET", "/.well-known/jwks.json", "", "", "")
	if res.status != 200 || !strings.HasPrefix(res.header.Get("Content-Type"), "application/jwk-set+json") {
		t.Fatalf("jwks: %d %s", res.status, res.header.Get("Content-Type"))
	}
	// LATCHKEY_JWKS_MAX_AGE's default, which rotations wait for.
	if cc := res.header.Get("Cache-Control"); cc != "public, max-age=300" {
		t.Fatalf("jwks Cache-Control %q", cc)
	}
	var set jose.JSONWebKeySet
	res.json(t, &set)
	jws, err := jose.ParseSignedCompact(pair.AccessToken, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	kid := jws.Signatures[0].Header.KeyID
	keys := set.Key(kid)
	if len(keys) != 1 || keys[0].IsPublic() == false {
		t.Fatalf("kid %q: %d public keys in the JWKS", kid, len(keys))
	}
	payload, err := jws.Verify(keys[0])
	if err != nil {
		t.Fatalf("go-jose refuses our token: %v", err)
	}
	var claims map[string]any
	json.Unmarshal(payload, &claims)
	for _, c := range []string{"iss", "aud", "sub", "sid", "role", "iat", "exp", "jti"} {
		if _, ok := claims[c]; !ok {
			t.Errorf("claim %s missing: %v", c, claims)
		}
	}
	if claims["iss"] != s.URL || claims["role"] != "user" {
		t.Errorf("claims %v", claims)
	}
	if typ := jws.Signatures[0].Protected.ExtraHeaders["typ"]; typ != "at+jwt" {
		t.Errorf("typ %v, want at+jwt", typ)
	}
	if strings.Contains(res.body, `"d"`) {
		t.Fatal("the JWKS publishes private key material")
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	form := "application/x-www-form-urlencoded"
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		errorCode   string
	}{
		{"grant_type missing but username and password given", form, "username=alice&password=" + url.QueryEscape(goodPassword), 200, ""},
		{"login by email", form, "grant_type=password&username=ALICE%40example.com&password=" + url.QueryEscape(goodPassword), 200, ""},
		{"no grant_type", form, "username=alice", 400, "invalid_request"},
		{"unsupported grant", form, "grant_type=client_credentials", 400, "unsupported_grant_type"},
		{"password grant without password", form, "grant_type=password&username=alice", 400, "invalid_request"},
		{"refresh grant without token", form, "grant_type=refresh_token", 400, "invalid_request"},
		{"unknown refresh token", form, "grant_type=refresh_token&refresh_token=nope", 400, "invalid_grant"},
		{"repeated parameter", form, "grant_type=password&username=alice&username=bob&password=x", 400, "invalid_request"},
		{"JSON body", "application/json", `{"grant_type":"password"}`, 400, "invalid_request"},
		{"malformed form", form, "grant_type=%zz", 400, "invalid_request"},
		{"over 1 MiB", form, "grant_type=password&username=" + strings.Repeat("a", 1<<20), 413, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.post(t, "/api/token", tt.contentType, tt.body)
			if res.status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.body)
			}
			if res.header.Get("Cache-Control") != "no-store" || res.header.Get("Pragma") != "no-cache" {
				t.Errorf("Cache-Control %q Pragma %q", res.header.Get("Cache-Control"), res.header.Get("Pragma"))
			}
			var body map[string]any
			res.json(t, &body)
			if tt.errorCode != "" && body["error"] != tt.errorCode {
				t.Fatalf("error %v, want %s", body["error"], tt.errorCode)
			}
			if tt.status == 200 && (body["token_type"] != "bearer" || body["expires_in"] != float64(900)) {
				t.Fatalf("token response %v", body)
			}
		})
	}
}

// TestUnknownAccountAndWrongPasswordAnswerAlike: same status, same body.
func TestUnknownAccountAndWrongPasswordAnswerAlike(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	wrong := s.postForm(t, "/api/token", url.Values{"username": {"alice"}, "password": {"not the password"}})
	unknown := s.postForm(t, "/api/token", url.Values{"username": {"nobody"}, "password": {"not the password"}})
	if wrong.status != 400 || wrong.status != unknown.status || wrong.body != unknown.body {
		t.Fatalf("wrong password: %d %s\nunknown account: %d %s", wrong.status, wrong.body, unknown.status, unknown.body)
	}
}

func TestTokenEndpointThrottled(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	for range 10 {
		s.postForm(t, "/api/token", url.Values{"username": {"alice"}, "password": {"not the password"}})
	}
	res := s.postForm(t, "/api/token", url.Values{"username": {"alice"}, "password": {goodPassword}})
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" || !strings.Contains(res.body, "too_many_attempts") {
		t.Fatalf("got %d Retry-After %q: %s", res.status, res.header.Get("Retry-After"), res.body)
	}
}

// TestRefreshFlood: a client that refreshes as fast as it can is refused
// with 429 and a Retry-After for every refresh within a second of the
// last, across many parallel attempts, and none of them spends the token:
// after the second it refreshes as usual, once.
func TestRefreshFlood(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	pair := s.login(t, "alice")
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {pair.RefreshToken}}
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := s.postForm(t, "/api/token", refresh)
			if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "1" || !strings.Contains(res.body, `"too_many_attempts"`) {
				t.Errorf("refresh at once after login: %d Retry-After %q: %s", res.status, res.header.Get("Retry-After"), res.body)
			}
		}()
	}
	wg.Wait()
	time.Sleep(auth.RefreshMinInterval)
	if res := s.postForm(t, "/api/token", refresh); res.status != 200 {
		t.Fatalf("refresh a second later: %d %s", res.status, res.body)
	}
	if res := s.postForm(t, "/api/token", refresh); res.status != 400 || !strings.Contains(res.body, "invalid_grant") {
		t.Fatalf("the same token again: %d %s", res.status, res.body)
	}
}

// TestTokenEndpointParallelGuesses: wrong passwords for one account sent
// all at once get no more checks than sent one by one. Ten are answered
// as wrong, the rest as throttled, and then the right password is refused
// too.
func TestTokenEndpointParallelGuesses(t *testing.T) {
	// Every guess waits for a hashing slot rather than being turned away
	// busy, so that none escapes the count by not being checked.
	s := newServer(t, serverOptions{hashWait: time.Minute})
	s.register(t, "alice")
	const burst = 30
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[int]int{}
	)
	start := make(chan struct{})
	for range burst {
		req := s.request(t, "POST", "/api/token", "application/x-www-form-urlencoded",
			url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"not the password"}}.Encode(), "")
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := s.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			statuses[res.StatusCode]++
		}()
	}
	close(start)
	wg.Wait()
	if statuses[http.StatusBadRequest] != 10 || statuses[http.StatusTooManyRequests] != burst-10 {
		t.Fatalf("%d simultaneous wrong passwords: statuses %v; want 10 checked (400), the rest 429", burst, statuses)
	}
	res := s.postForm(t, "/api/token", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {goodPassword}})
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
		t.Fatalf("right password after the burst: %d Retry-After %q: %s", res.status, res.header.Get("Retry-After"), res.body)
	}
}

func TestTokenEndpointBusy(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	holdPool(t, s.pool, 2)
	res := s.postForm(t, "/api/token", url.Values{"username": {"alice"}, "password": {goodPassword}})
	if res.status != http.StatusServiceUnavailable || res.header.Get("Retry-After") == "" || !strings.Contains(res.body, "temporarily_unavailable") {
		t.Fatalf("got %d Retry-After %q: %s", res.status, res.header.Get("Retry-After"), res.body)
	}
}

// holdPool occupies n slots of pool until the test ends.
func holdPool(t *testing.T, pool *password.Pool, n int) {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	for range n {
		held := make(chan struct{})
		go pool.Do(context.Background(), func() { close(held); <-done })
		<-held
	}
}

func TestRevokeEndpoint(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	pair := s.login(t, "alice")

	if res := s.postForm(t, "/api/token/revoke", url.Values{}); res.status != 400 || !strings.Contains(res.body, `"invalid_request"`) {
		t.Fatalf("missing token: %d %s", res.status, res.body)
	}
	if res := s.postForm(t, "/api/token/revoke", url.Values{"token": {"unknown"}}); res.status != 200 {
		t.Fatalf("unknown token: %d %s", res.status, res.body)
	}
	if res := s.postForm(t, "/api/token/revoke", url.Values{"token": {pair.RefreshToken}}); res.status != 200 {
		t.Fatalf("revoke: %d %s", res.status, res.body)
	}
	res := s.do(t, "GET", "/api/users/me", "", "", pair.AccessToken)
	if res.status != 401 || res.header.Get("WWW-Authenticate") != `Bearer realm="latchkey", error="invalid_token"` {
		t.Fatalf("access token of a revoked session: %d %q", res.status, res.header.Get("WWW-Authenticate"))
	}
	if res := s.postForm(t, "/api/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {pair.RefreshToken}}); res.status != 400 {
		t.Fatalf("refresh of a revoked session: %d", res.status)
	}
	// Revoking by access token ends that session too.
	second := s.login(t, "alice")
	s.postForm(t, "/api/token/revoke", url.Values{"token": {second.AccessToken}})
	if res := s.do(t, "GET", "/api/users/me", "", "", second.AccessToken); res.status != 401 {
		t.Fatalf("after revoking by access token: %d", res.status)
	}
}
