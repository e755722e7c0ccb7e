package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/blog"
	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/storetest"
	"github.com/latchkey/latchkey/internal/token"
)

type testServer struct {
	*httptest.Server
	pool   *password.Pool
	store  *store.Store
	tokens *token.Manager
	svc    *auth.Service
	// mailbox is the mail taken out of the outbox so far (see mailTo).
	mailbox []*auth.Mail
}

type serverOptions struct {
	perIP     int
	accessTTL time.Duration
	backend   string        // "" follows LATCHKEY_TEST_STORE
	hashWait  time.Duration // how long a hash waits for a slot (default 50ms)
	// noLoginLinks turns sign-in links off (LATCHKEY_LOGIN_LINKS=false).
	noLoginLinks bool
	// requireVerified is LATCHKEY_REQUIRE_VERIFIED_EMAIL=true.
	requireVerified bool
	// introspectionClients is LATCHKEY_INTROSPECTION_CLIENTS.
	introspectionClients []auth.IntrospectionClient
}

func TestMain(m *testing.M) { storetest.Main(m) }

// newServer serves the API on a real HTTP server over a fresh SQLite file,
// with real tokens (ES256 keys in the database) and cheap hashing.
func newServer(t testing.TB, o serverOptions) *testServer {
	t.Helper()
	ctx := context.Background()
	s := storetest.OpenBackend(t, o.backend)
	if o.accessTTL == 0 {
		o.accessTTL = 15 * time.Minute
	}
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	tokens, err := token.New(ctx, s, token.Options{Alg: "ES256", Issuer: base, Audience: base, TTL: o.accessTTL, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	if o.hashWait == 0 {
		o.hashWait = 50 * time.Millisecond
	}
	pool := password.NewPool(2, o.hashWait)
	var lim auth.Limiter
	if o.perIP > 0 {
		lim = auth.NewMemoryLimiter(o.perIP)
	}
	opts := auth.DefaultOptions()
	opts.LoginLinks = !o.noLoginLinks
	opts.RequireVerifiedEmail = o.requireVerified
	opts.IntrospectionClients = o.introspectionClients
	svc := auth.NewService(auth.Deps{
		Store: s, Hasher: password.NewHasher(authtest.CheapParams, pool), Limiter: lim, Tokens: tokens,
	}, opts)
	mux := http.NewServeMux()
	posts := blog.NewService(blog.Deps{Store: s, Accounts: svc})
	api.New(mux, api.Deps{Auth: svc, Blog: posts, Log: slog.New(slog.DiscardHandler), JWKS: tokens.JWKS, JWKSMaxAge: tokens.JWKSMaxAge(), BaseURL: base})
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, pool: pool, store: s, tokens: tokens, svc: svc}
}

type response struct {
	status int
	header http.Header
	body   string
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("status %d, body %q: %v", r.status, r.body, err)
	}
}

// request builds a request to s; bearer, when set, goes in Authorization.
func (s *testServer) request(t testing.TB, method, path, contentType, body, bearer string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return req
}

// do sends a request and reads the answer.
func (s *testServer) do(t testing.TB, method, path, contentType, body, bearer string) response {
	t.Helper()
	res, err := s.Client().Do(s.request(t, method, path, contentType, body, bearer))
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

func (s *testServer) post(t testing.TB, path, contentType, body string) response {
	t.Helper()
	return s.do(t, "POST", path, contentType, body, "")
}

func (s *testServer) postForm(t testing.TB, path string, form url.Values) response {
	t.Helper()
	return s.do(t, "POST", path, "application/x-www-form-urlencoded", form.Encode(), "")
}

const goodPassword = "correct horse battery"

// register makes an account over the API.
func (s *testServer) register(t testing.TB, username string) {
	t.Helper()
	body := `{"username":"` + username + `","email":"` + username + `@example.com","password":"` + goodPassword + `"}`
	if res := s.post(t, "/api/users", "application/json", body); res.status != http.StatusCreated {
		t.Fatalf("register %s: %d %s", username, res.status, res.body)
	}
}

type tokenPair struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

// login gets tokens with the password grant.
func (s *testServer) login(t testing.TB, username string) tokenPair {
	t.Helper()
	res := s.postForm(t, "/api/token", url.Values{"grant_type": {"password"}, "username": {username}, "password": {goodPassword}})
	if res.status != http.StatusOK {
		t.Fatalf("login %s: %d %s", username, res.status, res.body)
	}
	var p tokenPair
	res.json(t, &p)
	return p
}

func (s *testServer) problem(t testing.TB, res response) api.Problem {
	t.Helper()
	var p api.Problem
	res.json(t, &p)
	if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("problem with Content-Type %q", ct)
	}
	if p.Status != res.status || p.Code == "" || p.Detail == "" {
		t.Errorf("incomplete problem %+v for status %d", p, res.status)
	}
	return p
}

func decodeSegment(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
func encodeSegment(b []byte) string          { return base64.RawURLEncoding.EncodeToString(b) }
