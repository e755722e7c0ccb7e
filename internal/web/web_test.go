package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/blog"
	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/sessioncookie"
	"github.com/latchkey/latchkey/internal/store/storetest"
	"github.com/latchkey/latchkey/internal/web"
)

type site struct {
	*httptest.Server
	svc  *auth.Service
	pool *password.Pool
	logs *logBuffer
}

func TestMain(m *testing.M) { storetest.Main(m) }

// newSite serves the pages on a real HTTP server over a fresh database.
func newSite(t *testing.T) *site { return newSiteTB(t) }

func newSiteTB(t testing.TB) *site { return newSiteOn(t, storetest.Open(t)) }

// newSiteOn serves the pages over st, their log kept in s.logs.
func newSiteOn(t testing.TB, st Store) *site { return newSiteWith(t, st, auth.DefaultOptions(), nil) }

// newSiteWith is newSiteOn with the session settings opts and the clock
// now (nil: the real one).
func newSiteWith(t testing.TB, st Store, opts auth.Options, now func() time.Time) *site {
	t.Helper()
	return newSiteDeps(t, st, opts, now, nil)
}

// newSiteDeps is newSiteWith whose pages' dependencies edit changes
// before they are built (nil: none).
func newSiteDeps(t testing.TB, st Store, opts auth.Options, now func() time.Time, edit func(*web.Deps)) *site {
	t.Helper()
	pool := password.NewPool(2, 50*time.Millisecond)
	svc := auth.NewService(auth.Deps{Store: st, Hasher: password.NewHasher(authtest.CheapParams, pool), Now: now}, opts)
	logs := &logBuffer{}
	mux := http.NewServeMux()
	d := web.Deps{Auth: svc, Blog: blog.NewService(blog.Deps{Store: st, Accounts: svc, Now: now}), Log: slog.New(slog.NewTextHandler(logs, nil)), Cookies: sessioncookie.New(nil, ""), Now: now}
	if edit != nil {
		edit(&d)
	}
	if err := web.New(mux, d); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &site{Server: srv, svc: svc, pool: pool, logs: logs}
}

// logBuffer keeps what the pages log, for tests that read it; handlers
// write to it from the server's goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so tests see each answer.
func (s *site) browser(*testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type page struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, c *http.Client, method, u string, form url.Values, headers ...string) page {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{res.StatusCode, res.Header, string(b)}
}

const pw = "correct horse battery"

func registration(username string) url.Values {
	return url.Values{"username": {username}, "email": {username + "@example.com"}, "password": {pw}, "confirm_password": {pw}}
}

func (s *site) sessionCookie(t *testing.T, c *http.Client) string {
	u, _ := url.Parse(s.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "latchkey_session" {
			return ck.Value
		}
	}
	return ""
}

func TestRegisterWithoutJavaScript(t *testing.T) {
	s := newSite(t)
	c := s.browser(t)
	if p := do(t, c, "GET", s.URL+"/register", nil); p.status != 200 || !strings.Contains(p.body, `autocomplete="new-password"`) {
		t.Fatalf("GET /register: %d", p.status)
	}

	bad := registration("alice")
	bad.Set("confirm_password", "something else")
	bad.Set("email", "not an email")
	p := do(t, c, "POST", s.URL+"/register", bad)
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid registration: %d", p.status)
	}
	for _, want := range []string{
		`value="alice"`, `value="not an email"`, // typed values kept
		`id="email" name="email" type="email" value="not an email"`,
		`aria-invalid="true" aria-describedby="email-error" autofocus`, // first error focused
		`id="confirm_password-error"`, "do not match",
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("re-rendered form lacks %q", want)
		}
	}
	if strings.Contains(p.body, pw) || strings.Contains(p.body, "something else") {
		t.Error("a password was sent back")
	}
	if s.sessionCookie(t, c) != "" {
		t.Fatal("a failed registration logged in")
	}

	reg := registration("alice")
	reg.Set("next", "/account")
	p = do(t, c, "POST", s.URL+"/register", reg)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/account" {
		t.Fatalf("registration: %d %q", p.status, p.header.Get("Location"))
	}
	if s.sessionCookie(t, c) == "" {
		t.Fatal("registration did not log the user in")
	}
	p = do(t, c, "GET", s.URL+"/account", nil)
	if p.status != 200 || !strings.Contains(p.body, "Signed in as") || !strings.Contains(p.body, ">alice</a>") {
		t.Fatalf("account after registration: %d", p.status)
	}

	p = do(t, s.browser(t), "POST", s.URL+"/register", registration("ALICE"))
	if p.status != 422 || !strings.Contains(p.body, "already taken") {
		t.Fatalf("duplicate registration: %d", p.status)
	}
}

func TestCookieFlagsAndSessionRotation(t *testing.T) {
	s := newSite(t)
	c := s.browser(t)
	p := do(t, c, "POST", s.URL+"/register", registration("alice"))
	setCookie := p.header.Get("Set-Cookie")
	for _, want := range []string{"latchkey_session=", "Path=/", "HttpOnly", "SameSite=Lax"} {
		if !strings.Contains(setCookie, want) {
			t.Errorf("Set-Cookie %q lacks %s", setCookie, want)
		}
	}
	if strings.Contains(setCookie, "Max-Age") {
		t.Errorf("registration cookie should last the browser session: %q", setCookie)
	}
	first := s.sessionCookie(t, c)

	// Log in again on the same browser, with remember me: a new session,
	// a new token, and the old one is dead.
	p = do(t, c, "POST", s.URL+"/login", url.Values{"identifier": {"alice"}, "password": {pw}, "remember_me": {"on"}})
	if p.status != http.StatusSeeOther || !strings.Contains(p.header.Get("Set-Cookie"), "Max-Age=") {
		t.Fatalf("login: %d %q", p.status, p.header.Get("Set-Cookie"))
	}
	second := s.sessionCookie(t, c)
	if second == "" || second == first {
		t.Fatal("login kept the earlier session token")
	}
	if _, err := s.svc.AuthorizeCookie(context.Background(), first, auth.Client{}); err == nil {
		t.Fatal("the earlier session still works after a new login")
	}
}

func TestLogoutAndReplay(t *testing.T) {
	s := newSite(t)
	c := s.browser(t)
	do(t, c, "POST", s.URL+"/register", registration("alice"))
	token := s.sessionCookie(t, c)
	p := do(t, c, "POST", s.URL+"/logout", url.Values{})
	if p.status != http.StatusSeeOther || !strings.Contains(p.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout: %d %q", p.status, p.header.Get("Set-Cookie"))
	}
	// Replaying the logged-out cookie gets nowhere.
	replay := s.browser(t)
	u, _ := url.Parse(s.URL)
	replay.Jar.SetCookies(u, []*http.Cookie{{Name: "latchkey_session", Value: token}})
	p = do(t, replay, "GET", s.URL+"/account", nil)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/login") {
		t.Fatalf("replayed cookie reached the account page: %d", p.status)
	}
}

func TestProtectedPagesRedirect(t *testing.T) {
	s := newSite(t)
	c := s.browser(t)
	p := do(t, c, "GET", s.URL+"/account", nil)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?next=%2Faccount" {
		t.Fatalf("plain request: %d %q", p.status, p.header.Get("Location"))
	}
	p = do(t, c, "GET", s.URL+"/account", nil, "HX-Request", "true")
	if p.header.Get("HX-Redirect") != "/login?next=%2Faccount" {
		t.Fatalf("htmx request: %d %q", p.status, p.header.Get("HX-Redirect"))
	}
}

func TestNextIsOnlyALocalPath(t *testing.T) {
	s := newSite(t)
	s.svc.Register(context.Background(), auth.Registration{Username: "alice", Email: "alice@example.com", Password: pw}, auth.Client{})
	tests := []struct{ next, want string }{
		{"/account", "/account"},
		{"/posts/1?x=y", "/posts/1?x=y"},
		{"//evil.example", "/"},
		{`/\evil.example`, "/"},
		{"https://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"", "/"},
	}
	for _, tt := range tests {
		t.Run(tt.next, func(t *testing.T) {
			p := do(t, s.browser(t), "POST", s.URL+"/login", url.Values{"identifier": {"alice"}, "password": {pw}, "next": {tt.next}})
			if p.status != http.StatusSeeOther || p.header.Get("Location") != tt.want {
				t.Fatalf("next=%q: %d %q, want %q", tt.next, p.status, p.header.Get("Location"), tt.want)
			}
			// The login page itself never carries an unsafe next into its form.
			p = do(t, s.browser(t), "GET", s.URL+"/login?next="+url.QueryEscape(tt.next), nil)
			if !strings.Contains(p.body, `name="next" value="`+htmlEscape(tt.want)+`"`) {
				t.Fatalf("login page for next=%q does not carry %q", tt.next, tt.want)
			}
		})
	}
}

// TestNextCannotLeaveTheSite sends hostile values of next through every
// page that redirects to it, plain and with htmx, and checks the header
// actually sent: a check on the value given was once undone by
// http.Redirect cleaning "/./\evil.example" into "/\evil.example", which
// browsers follow to evil.example.
func TestNextCannotLeaveTheSite(t *testing.T) {
	s := newSite(t)
	alice := s.browser(t)
	if p := do(t, alice, "POST", s.URL+"/register", registration("alice")); p.status != http.StatusSeeOther {
		t.Fatalf("register: %d", p.status)
	}
	check := func(t *testing.T, what string, p page, status int, header, want string) {
		t.Helper()
		got := p.header.Get(header)
		if p.status != status || got != want {
			t.Errorf("%s: %d %s %.60q, want %d %.60q", what, p.status, header, got, status, want)
		}
		if why := web.LeavesSite(got); why != "" {
			t.Errorf("%s: %s %.60q %s", what, header, got, why)
		}
	}
	for i, tt := range web.NextCases {
		t.Run(tt.Name, func(t *testing.T) {
			p := do(t, alice, "GET", s.URL+"/login?next="+url.QueryEscape(tt.Next), nil)
			check(t, "GET /login with a session", p, http.StatusSeeOther, "Location", tt.Want)

			login := url.Values{"identifier": {"alice"}, "password": {pw}, "next": {tt.Next}}
			p = do(t, s.browser(t), "POST", s.URL+"/login", login)
			check(t, "POST /login", p, http.StatusSeeOther, "Location", tt.Want)
			p = do(t, s.browser(t), "POST", s.URL+"/login", login, "HX-Request", "true")
			check(t, "POST /login from htmx", p, http.StatusNoContent, "HX-Redirect", tt.Want)

			reg := registration(fmt.Sprintf("user%d", i))
			reg.Set("next", tt.Next)
			p = do(t, s.browser(t), "POST", s.URL+"/register", reg)
			check(t, "POST /register", p, http.StatusSeeOther, "Location", tt.Want)
		})
	}
}

// TestNextBackToForwardAuthHosts: with the hosts of forward
// authentication, the login (with a session, by form, by htmx) and the
// registration send the browser back to an absolute next on one of them,
// and anything a browser could read as another host home, as the header
// actually sent shows.
func TestNextBackToForwardAuthHosts(t *testing.T) {
	s := newSiteDeps(t, storetest.Open(t), auth.DefaultOptions(), nil, func(d *web.Deps) { d.Hosts = web.AppHosts() })
	alice := s.browser(t)
	if p := do(t, alice, "POST", s.URL+"/register", registration("alice")); p.status != http.StatusSeeOther {
		t.Fatalf("register: %d", p.status)
	}
	check := func(t *testing.T, what string, p page, status int, header, want string) {
		t.Helper()
		got := p.header.Get(header)
		if p.status != status || got != want {
			t.Errorf("%s: %d %s %q, want %d %q", what, p.status, header, got, status, want)
		}
		if why := web.LeavesHosts(got); why != "" {
			t.Errorf("%s: %s %q %s", what, header, got, why)
		}
	}
	for i, tt := range append(web.HostCases, web.NextCases...) {
		t.Run(tt.Name, func(t *testing.T) {
			p := do(t, alice, "GET", s.URL+"/login?next="+url.QueryEscape(tt.Next), nil)
			check(t, "GET /login with a session", p, http.StatusSeeOther, "Location", tt.Want)

			// The login form carries next on, as the header would send it.
			p = do(t, s.browser(t), "GET", s.URL+"/login?next="+url.QueryEscape(tt.Next), nil)
			if field := `name="next" value="` + htmlEscape(tt.Want) + `"`; len(tt.Want) < 1024 && !strings.Contains(p.body, field) {
				t.Errorf("the login page lacks %s", field)
			}

			login := url.Values{"identifier": {"alice"}, "password": {pw}, "next": {tt.Next}}
			p = do(t, s.browser(t), "POST", s.URL+"/login", login)
			check(t, "POST /login", p, http.StatusSeeOther, "Location", tt.Want)
			p = do(t, s.browser(t), "POST", s.URL+"/login", login, "HX-Request", "true")
			check(t, "POST /login from htmx", p, http.StatusNoContent, "HX-Redirect", tt.Want)

			reg := registration(fmt.Sprintf("user%d", i))
			reg.Set("next", tt.Next)
			p = do(t, s.browser(t), "POST", s.URL+"/register", reg)
			check(t, "POST /register", p, http.StatusSeeOther, "Location", tt.Want)
		})
	}
}

// htmlEscape is what html/template does to these values in an attribute.
func htmlEscape(s string) string { return strings.ReplaceAll(s, "&", "&amp;") }

func TestLoginErrors(t *testing.T) {
	s := newSite(t)
	s.svc.Register(context.Background(), auth.Registration{Username: "alice", Email: "alice@example.com", Password: pw}, auth.Client{})
	c := s.browser(t)
	p := do(t, c, "POST", s.URL+"/login", url.Values{"identifier": {"alice"}, "password": {"wrong password"}})
	if p.status != 422 || !strings.Contains(p.body, `value="alice"`) || !strings.Contains(p.body, `role="alert"`) ||
		!strings.Contains(p.body, `aria-invalid="true"`) || strings.Contains(p.body, "wrong password") {
		t.Fatalf("failed login: %d", p.status)
	}
	unknown := do(t, c, "POST", s.URL+"/login", url.Values{"identifier": {"nobody"}, "password": {"wrong password"}})
	if unknown.status != 422 || strings.ReplaceAll(unknown.body, "nobody", "alice") != p.body {
		t.Fatal("an unknown account reads differently from a wrong password")
	}
	for range 10 {
		do(t, c, "POST", s.URL+"/login", url.Values{"identifier": {"alice"}, "password": {"wrong password"}})
	}
	p = do(t, c, "POST", s.URL+"/login", url.Values{"identifier": {"alice"}, "password": {pw}})
	if p.status != 429 || p.header.Get("Retry-After") == "" || !strings.Contains(p.body, "Too many attempts") {
		t.Fatalf("throttled login: %d %q", p.status, p.header.Get("Retry-After"))
	}
	if strings.Contains(p.body, `aria-invalid="true"`) {
		t.Error("a throttled login marks a field as wrong")
	}
}

func TestBusyIsAFriendlyMessage(t *testing.T) {
	s := newSite(t)
	done := make(chan struct{})
	defer close(done)
	for range 2 {
		held := make(chan struct{})
		go s.pool.Do(context.Background(), func() { close(held); <-done })
		<-held
	}
	p := do(t, s.browser(t), "POST", s.URL+"/register", registration("alice"))
	if p.status != 503 || p.header.Get("Retry-After") == "" || !strings.Contains(p.body, "very busy") {
		t.Fatalf("busy: %d", p.status)
	}
}

func TestAccountPage(t *testing.T) {
	s := newSite(t)
	c, other := s.browser(t), s.browser(t)
	do(t, c, "POST", s.URL+"/register", registration("alice"))
	do(t, other, "POST", s.URL+"/login", url.Values{"identifier": {"alice"}, "password": {pw}})

	p := do(t, c, "GET", s.URL+"/account", nil)
	if p.status != 200 || strings.Count(p.body, "/revoke\"") != 2 || !strings.Contains(p.body, "This browser") || !strings.Contains(p.body, "Log out everywhere else") {
		t.Fatalf("account page: %d", p.status)
	}
	// Log the other browser out by its row's button.
	third := s.browser(t)
	do(t, third, "POST", s.URL+"/login", url.Values{"identifier": {"alice"}, "password": {pw}})
	p = do(t, c, "GET", s.URL+"/account", nil)
	thirdID := sessionIDOf(t, s, third)
	if !strings.Contains(p.body, "/account/sessions/"+thirdID+"/revoke") {
		t.Fatal("the account page has no log-out button for the third session")
	}
	if p := do(t, c, "POST", s.URL+"/account/sessions/"+thirdID+"/revoke", url.Values{}); p.status != 303 {
		t.Fatalf("log out one session: %d", p.status)
	}
	if p := do(t, third, "GET", s.URL+"/account", nil); p.status != 303 {
		t.Fatalf("the logged-out session still reaches /account: %d", p.status)
	}
	if p := do(t, c, "POST", s.URL+"/account/sessions/"+thirdID+"x/revoke", url.Values{}); p.status != 404 {
		t.Fatalf("log out an unknown session: %d", p.status)
	}

	if p := do(t, c, "POST", s.URL+"/account/profile", url.Values{"username": {"x"}, "email": {"alice@example.com"}}); p.status != 422 || !strings.Contains(p.body, `aria-describedby="username-error"`) {
		t.Fatalf("bad profile: %d", p.status)
	}
	if p := do(t, c, "POST", s.URL+"/account/profile", url.Values{"username": {"Alice"}, "email": {"alice@example.com"}}); p.status != 303 {
		t.Fatalf("profile: %d", p.status)
	}
	if p := do(t, c, "POST", s.URL+"/account/sessions/revoke-others", url.Values{}); p.status != 303 {
		t.Fatalf("log out everywhere else: %d", p.status)
	}
	if p := do(t, other, "GET", s.URL+"/account", nil); p.status != 303 {
		t.Fatalf("other browser after 'log out everywhere else': %d", p.status)
	}
	old := s.sessionCookie(t, c)
	p = do(t, c, "POST", s.URL+"/account/password", url.Values{"current_password": {pw}, "new_password": {"a brand new passphrase"}, "confirm_password": {"a brand new passphrase"}})
	if p.status != 303 || s.sessionCookie(t, c) == old {
		t.Fatalf("password change: %d, cookie renewed: %v", p.status, s.sessionCookie(t, c) != old)
	}
	if p := do(t, c, "GET", s.URL+"/account", nil); p.status != 200 {
		t.Fatalf("account after password change: %d", p.status)
	}
}

func TestStaticAssetsAreVersioned(t *testing.T) {
	s := newSite(t)
	p := do(t, s.browser(t), "GET", s.URL+"/", nil)
	i := strings.Index(p.body, "/static/app.css?v=")
	if i < 0 {
		t.Fatal("no versioned stylesheet link")
	}
	href := p.body[i : i+strings.IndexByte(p.body[i:], '"')]
	res := do(t, s.browser(t), "GET", s.URL+href, nil)
	if res.status != 200 || !strings.Contains(res.header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(res.header.Get("Content-Type"), "text/css") {
		t.Fatalf("%s: %d %q", href, res.status, res.header.Get("Cache-Control"))
	}
	if res := do(t, s.browser(t), "GET", s.URL+"/static/app.css?v=old", nil); strings.Contains(res.header.Get("Cache-Control"), "immutable") {
		t.Fatal("a stale version is cached as immutable")
	}
	if !strings.Contains(p.body, "/static/vendor/htmx.min.js?v=") || strings.Contains(p.body, "<script>") {
		t.Fatal("htmx not loaded from our own versioned path, or inline script present")
	}
}

// sessionIDOf finds the session id behind a browser's cookie.
func sessionIDOf(t *testing.T, s *site, c *http.Client) string {
	t.Helper()
	p, err := s.svc.AuthorizeCookie(context.Background(), s.sessionCookie(t, c), auth.Client{})
	if err != nil {
		t.Fatal(err)
	}
	return p.Session.ID
}

// member registers name on a browser of its own and returns both.
func (s *site) member(t *testing.T, name string) (*http.Client, *auth.User) {
	t.Helper()
	c := s.browser(t)
	if p := do(t, c, "POST", s.URL+"/register", registration(name)); p.status != http.StatusSeeOther {
		t.Fatalf("register %s: %d", name, p.status)
	}
	u, err := s.svc.FindUser(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return c, u
}

// signIn opens another session of name on a new browser.
func (s *site) signIn(t *testing.T, name string) *http.Client {
	t.Helper()
	c := s.browser(t)
	if p := do(t, c, "POST", s.URL+"/login", url.Values{"identifier": {name}, "password": {pw}}); p.status != http.StatusSeeOther {
		t.Fatalf("log in as %s: %d", name, p.status)
	}
	return c
}

// signedIn reports whether c's session still reaches /account.
func (s *site) signedIn(t *testing.T, c *http.Client) bool {
	t.Helper()
	p := do(t, c, "GET", s.URL+"/account", nil)
	return p.status == http.StatusOK
}
