package forwardauth_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/blog"
	"github.com/latchkey/latchkey/internal/forwardauth"
	"github.com/latchkey/latchkey/internal/hosts"
	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/sessioncookie"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/storetest"
	"github.com/latchkey/latchkey/internal/token"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// base is the test deployment's public URL; the apps behind forward
// authentication are on app.example.com (default ports) and
// tools.example.com:8443.
const base = "http://auth.example.com"

const pw = "correct horse battery"

type testServer struct {
	*httptest.Server
	svc     *auth.Service
	cookies sessioncookie.Jar
	store   *flakyStore
}

// flakyStore is a store whose session look-ups fail as an unreachable
// database's do while down is set.
type flakyStore struct {
	*store.Store
	down atomic.Bool
}

func (f *flakyStore) SessionByTokenHash(ctx context.Context, hash string) (*auth.Session, *auth.User, error) {
	if f.down.Load() {
		return nil, nil, auth.ErrUnavailable
	}
	return f.Store.SessionByTokenHash(ctx, hash)
}

func (f *flakyStore) SessionWithUser(ctx context.Context, id string) (*auth.Session, *auth.User, error) {
	if f.down.Load() {
		return nil, nil, auth.ErrUnavailable
	}
	return f.Store.SessionWithUser(ctx, id)
}

// newServer serves GET /auth/verify, and the API beside it (for the
// benchmark's /api/users/me), on a real HTTP server over a fresh database,
// with real tokens and cheap hashing.
func newServer(t testing.TB) *testServer {
	t.Helper()
	ctx := context.Background()
	st := &flakyStore{Store: storetest.OpenBackend(t, "")}
	tokens, err := token.New(ctx, st.Store, token.Options{Alg: "ES256", Issuer: base, Audience: base, TTL: 15 * time.Minute, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	svc := auth.NewService(auth.Deps{
		Store: st, Hasher: password.NewHasher(authtest.CheapParams, password.NewPool(2, 50*time.Millisecond)), Tokens: tokens,
	}, auth.DefaultOptions())
	baseURL, _ := url.Parse(base)
	cookies := sessioncookie.New(baseURL, "")
	log := slog.New(slog.DiscardHandler)
	mux := http.NewServeMux()
	api.New(mux, api.Deps{Auth: svc, Blog: blog.NewService(blog.Deps{Store: st, Accounts: svc}), Log: log,
		JWKS: tokens.JWKS, JWKSMaxAge: tokens.JWKSMaxAge(), BaseURL: base, Cookies: cookies})
	mux.Handle("GET /auth/verify", forwardauth.Handler(forwardauth.Deps{
		Auth: svc, Log: log, Cookies: cookies, BaseURL: baseURL,
		Hosts: hosts.NewList(baseURL, []hosts.Host{{Name: "app.example.com"}, {Name: "tools.example.com", Port: 8443}}),
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, svc: svc, cookies: cookies, store: st}
}

// register makes an account; an admin when admin is set.
func (s *testServer) register(t testing.TB, name string, admin bool) *auth.User {
	t.Helper()
	ctx := context.Background()
	u, err := s.svc.Register(ctx, auth.Registration{Username: name, Email: name + "@example.com", Password: pw}, auth.Client{})
	if err != nil {
		t.Fatal(err)
	}
	if admin {
		if u, err = s.svc.SetRole(ctx, nil, name, auth.RoleAdmin); err != nil {
			t.Fatal(err)
		}
	}
	return u
}

// browser logs in as a browser does and returns the session cookie.
func (s *testServer) browser(t testing.TB, name string) (*http.Cookie, *auth.BrowserSession) {
	t.Helper()
	bs, err := s.svc.LoginBrowser(context.Background(), name, pw, false, auth.Client{})
	if err != nil {
		t.Fatal(err)
	}
	return s.cookies.Cookie(bs.Token, bs.Session, time.Now()), bs
}

// bearer logs in with the password grant and returns the grant.
func (s *testServer) bearer(t testing.TB, name string) *auth.Grant {
	t.Helper()
	g, err := s.svc.PasswordGrant(context.Background(), name, pw, auth.Client{})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// answer is a response read to the end.
type answer struct {
	status int
	header http.Header
	body   string
}

// verify sends GET /auth/verify with query, the cookie (if not nil) and
// headers given as name, value pairs (a name given twice is sent twice).
func (s *testServer) verify(t testing.TB, query string, cookie *http.Cookie, headers ...string) answer {
	t.Helper()
	u := s.URL + "/auth/verify"
	if query != "" {
		u += "?" + query
	}
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	// Not following redirects, as a proxy does not: the 302 is the answer.
	c := &http.Client{Transport: s.Client().Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{res.StatusCode, res.Header, string(b)}
}
