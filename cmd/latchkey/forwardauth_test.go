package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The forward-auth tests put Latchkey and the apps on hosts under
// latchkey.localhost, on loopback ports, so that LATCHKEY_COOKIE_DOMAIN
// has a domain to widen the cookie to: auth.latchkey.localhost for
// Latchkey, nginx.latchkey.localhost and caddy.latchkey.localhost for the
// proxies. Nothing resolves those names here; the test client dials
// 127.0.0.1 for them (see localhostClient), as browsers do for .localhost.
const cookieDomain = "latchkey.localhost"

// forwardAuthSetup is a running Latchkey configured for forward
// authentication, and the addresses the proxies are to listen on.
type forwardAuthSetup struct {
	base         string // Latchkey's base URL
	addr         string // where it listens
	getenv       func(string) string
	nginx, caddy string // host:port of each proxy, under latchkey.localhost
}

func startForwardAuth(t *testing.T) forwardAuthSetup {
	t.Helper()
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	_, nport, _ := net.SplitHostPort(freeAddr(t))
	_, cport, _ := net.SplitHostPort(freeAddr(t))
	s := forwardAuthSetup{
		base:  "http://auth." + cookieDomain + ":" + port,
		addr:  addr,
		nginx: "nginx." + cookieDomain + ":" + nport,
		caddy: "caddy." + cookieDomain + ":" + cport,
	}
	s.getenv = testEnv(t, "LATCHKEY_ADDR", addr, "LATCHKEY_BASE_URL", s.base,
		"LATCHKEY_COOKIE_DOMAIN", cookieDomain, "LATCHKEY_FORWARD_AUTH_HOSTS", s.nginx+","+s.caddy)
	startServer(t, s.getenv)
	return s
}

// localhostClient is a browser for the tests' hosts: a cookie jar, names
// under .localhost dialled on 127.0.0.1, and redirects not followed, so
// that the test sees each answer.
func localhostClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	transport := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, port, err := net.SplitHostPort(addr); err == nil && strings.HasSuffix(host, ".localhost") {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		return dialer.DialContext(ctx, network, addr)
	}}
	return &http.Client{Jar: jar, Transport: transport, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// TestForwardAuthSettings runs without a proxy: LATCHKEY_COOKIE_DOMAIN
// gives the login's cookie a Domain that reaches a sibling host, the
// login sends the browser back to a host of LATCHKEY_FORWARD_AUTH_HOSTS
// (and to no other), and GET /auth/verify knows the cookie and redirects
// to those hosts only.
func TestForwardAuthSettings(t *testing.T) {
	s := startForwardAuth(t)
	register(t, "http://"+s.addr, "alice")
	c := localhostClient()
	back := "http://" + s.nginx + "/reports?q=1"
	for next, want := range map[string]string{back: back, "http://evil.example/": "/", "http://" + s.nginx + "@evil.example/": "/"} {
		res := send(t, localhostClient(), "POST", s.base+"/login", "application/x-www-form-urlencoded",
			neturl.Values{"identifier": {"alice"}, "password": {testPassword}, "next": {next}}.Encode())
		if res.status != http.StatusSeeOther || res.header.Get("Location") != want {
			t.Errorf("log in with next=%s: %d Location %q, want 303 %q", next, res.status, res.header.Get("Location"), want)
		}
	}
	res := send(t, c, "POST", s.base+"/login", "application/x-www-form-urlencoded",
		neturl.Values{"identifier": {"alice"}, "password": {testPassword}}.Encode())
	if set := res.header.Get("Set-Cookie"); res.status != http.StatusSeeOther || !strings.Contains(set, "; Domain="+cookieDomain+";") {
		t.Fatalf("log in: %d Set-Cookie %q, want Domain=%s", res.status, set, cookieDomain)
	}
	app, _ := neturl.Parse("http://" + s.nginx + "/")
	if len(c.Jar.Cookies(app)) != 1 {
		t.Fatalf("the session cookie does not reach %s", app.Host)
	}

	res = send(t, c, "GET", s.base+"/auth/verify", "", "")
	if res.status != http.StatusNoContent || res.header.Get("X-Latchkey-Username") != "alice" || res.header.Get("X-Latchkey-Role") != "user" {
		t.Errorf("GET /auth/verify with the cookie: %d %v", res.status, res.header)
	}
	fwd := func(host string) []string {
		return []string{"X-Forwarded-Method", "GET", "X-Forwarded-Proto", "http", "X-Forwarded-Host", host, "X-Forwarded-Uri", "/reports?q=1"}
	}
	res = send(t, localhostClient(), "GET", s.base+"/auth/verify?redirect=1", "", "", fwd(s.caddy)...)
	if want := s.base + "/login?next=" + neturl.QueryEscape("http://"+s.caddy+"/reports?q=1"); res.status != http.StatusFound || res.header.Get("Location") != want {
		t.Errorf("anonymous, redirect=1: %d Location %q, want 302 %q", res.status, res.header.Get("Location"), want)
	}
	res = send(t, localhostClient(), "GET", s.base+"/auth/verify?redirect=1", "", "", fwd("evil."+cookieDomain)...)
	if res.status != http.StatusUnauthorized || res.header.Get("Location") != "" {
		t.Errorf("anonymous, redirect=1 to another host: %d Location %q, want 401", res.status, res.header.Get("Location"))
	}
}

// upstream is the app behind a proxy: it answers every request with what
// it received of the X-Latchkey-* headers, and counts the requests that
// reached it.
type upstream struct {
	*httptest.Server
	hits atomic.Int64
}

// seen is the upstream's answer: the path and query it was asked for and
// each X-Latchkey-* header with all its values.
type seen struct {
	URI     string
	Headers map[string][]string
}

func startUpstream(t *testing.T) *upstream {
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		s := seen{URI: r.RequestURI, Headers: map[string][]string{}}
		for k, v := range r.Header {
			if strings.HasPrefix(strings.ToLower(k), "x-latchkey-") {
				s.Headers[k] = v
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s)
	}))
	t.Cleanup(u.Close)
	return u
}

// proxyFile reads a configuration under examples/forward-auth and puts the
// test's addresses in it: each old string must be there, so that the
// README's file and the tested one cannot drift apart unnoticed.
func proxyFile(t *testing.T, name string, replace ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "forward-auth", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i+1 < len(replace); i += 2 {
		if !strings.Contains(s, replace[i]) {
			t.Fatalf("examples/forward-auth/%s no longer has %q", name, replace[i])
		}
		s = strings.ReplaceAll(s, replace[i], replace[i+1])
	}
	return s
}

// lookPath finds a proxy's binary, also where Debian puts nginx (/usr/sbin,
// which is not on every user's PATH), or skips the test.
func lookPath(t *testing.T, name, pkg string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if p := "/usr/sbin/" + name; fileExists(p) {
		return p
	}
	t.Skipf("the forward-auth proxy tests need %s (apt-get install %s)", name, pkg)
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// runProxy starts a proxy's command and waits until it listens on addr;
// it is stopped (SIGTERM, then SIGKILL) when the test ends. Its output
// and logFile, if any, are shown when it fails.
func runProxy(t *testing.T, cmd *exec.Cmd, addr, logFile string) {
	t.Helper()
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // not left behind if the test dies
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	show := func() string {
		s := out.String()
		if logFile != "" {
			b, _ := os.ReadFile(logFile)
			s += "\n" + string(b)
		}
		return s
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("%s said:\n%s", filepath.Base(cmd.Path), show())
		}
	})
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		select {
		case <-exited:
			t.Fatalf("%s exited: %v\n%s", filepath.Base(cmd.Path), cmd.ProcessState, show())
		default:
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not listen on %s\n%s", filepath.Base(cmd.Path), addr, show())
		}
	}
}

// loopback is the address a proxy of the tests listens on: its host's
// port on 127.0.0.1.
func loopback(host string) string {
	_, port, _ := net.SplitHostPort(host)
	return "127.0.0.1:" + port
}

// TestForwardAuthBehindNginx runs examples/forward-auth/nginx.conf, the
// README's, in a real nginx in front of an app, with only its addresses
// changed.
func TestForwardAuthBehindNginx(t *testing.T) {
	bin := lookPath(t, "nginx", "nginx-light")
	s := startForwardAuth(t)
	app := startUpstream(t)
	startNginx(t, bin, s, app)
	checkProxy(t, s, app, "http://"+s.nginx)
}

// TestForwardAuthBehindCaddy runs examples/forward-auth/Caddyfile, the
// README's, in a real Caddy in front of an app, with only its addresses
// changed (and the site bound to loopback, over plain HTTP). Traefik's
// ForwardAuth, which the README also shows, works the same way (the
// answer of /auth/verify?redirect=1 passed to the browser, the headers
// copied); it has no Debian package to test it with.
func TestForwardAuthBehindCaddy(t *testing.T) {
	bin := lookPath(t, "caddy", "caddy")
	s := startForwardAuth(t)
	app := startUpstream(t)
	startCaddy(t, bin, s, app)
	checkProxy(t, s, app, "http://"+s.caddy)
}

// startNginx runs nginx.conf at s.nginx in front of app.
func startNginx(t *testing.T, bin string, s forwardAuthSetup, app *upstream) {
	t.Helper()
	dir := t.TempDir()
	site := proxyFile(t, "nginx.conf",
		"listen 80;", "listen "+loopback(s.nginx)+";",
		"127.0.0.1:8080", s.addr,
		"127.0.0.1:3000", strings.TrimPrefix(app.URL, "http://"))
	if err := os.WriteFile(filepath.Join(dir, "site.conf"), []byte(site), 0o600); err != nil {
		t.Fatal(err)
	}
	// The rest of an nginx.conf, all in the test's directory: nginx runs
	// as whoever runs the test, and as root keeps its workers root, as
	// the directory is root's alone.
	var main bytes.Buffer
	if os.Geteuid() == 0 {
		main.WriteString("user root;\n")
	}
	fmt.Fprintf(&main, `pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 64; }
http {
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    include %[1]s/site.conf;
}
`, dir)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), main.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	runProxy(t, exec.Command(bin, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", filepath.Join(dir, "nginx.conf"), "-g", "daemon off;"),
		loopback(s.nginx), filepath.Join(dir, "error.log"))
}

// startCaddy runs the Caddyfile at s.caddy in front of app.
func startCaddy(t *testing.T, bin string, s forwardAuthSetup, app *upstream) {
	t.Helper()
	dir := t.TempDir()
	site := proxyFile(t, "Caddyfile",
		"app.example.com {", "http://"+s.caddy+" {\n\tbind 127.0.0.1",
		"127.0.0.1:8080", s.addr,
		"127.0.0.1:3000", strings.TrimPrefix(app.URL, "http://"))
	main := fmt.Sprintf(`{
	admin off
	auto_https off
	storage file_system {
		root %[1]s/data
	}
}
import %[1]s/site.caddy
`, dir)
	for name, content := range map[string]string{"site.caddy": site, "Caddyfile": main} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "run", "--config", filepath.Join(dir, "Caddyfile"), "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_DATA_HOME="+dir)
	runProxy(t, cmd, loopback(s.caddy), "")
}

// checkProxy checks a proxy at proxy (its URL) in front of app, with
// Latchkey set up as s: anonymous visitors are sent to the login and
// back, signed-in ones reach the app as themselves, with a cookie or a
// bearer token, whatever X-Latchkey-* headers they send; the admin pages
// are refused to a user; a logout counts at once; and the app never sees
// a request that was refused.
func checkProxy(t *testing.T, s forwardAuthSetup, app *upstream, proxy string) {
	t.Helper()
	register(t, "http://"+s.addr, "alice")
	rootID := createUser(t, s.getenv, "root", "--admin")
	spoof := []string{"X-Latchkey-User-Id", rootID, "X-Latchkey-Username", "root", "X-Latchkey-Role", "admin", "X-Latchkey-Session-Id", "forged"}
	target := proxy + "/reports?q=1&r=%2F"
	toLogin := s.base + "/login?next=" + neturl.QueryEscape(target)

	// Anonymous, whatever it claims to be: to the login page, with the
	// page as next. A form post cannot be replayed after a login: 401.
	for _, headers := range [][]string{nil, spoof} {
		res := send(t, localhostClient(), "GET", target, "", "", headers...)
		if res.status != http.StatusFound || res.header.Get("Location") != toLogin {
			t.Fatalf("anonymous GET (headers %q): %d Location %q\nwant 302 %q\n%s", headers, res.status, res.header.Get("Location"), toLogin, res.body)
		}
	}
	if res := send(t, localhostClient(), "POST", target, "application/x-www-form-urlencoded", "a=b", spoof...); res.status != http.StatusUnauthorized {
		t.Errorf("anonymous POST: %d, want 401", res.status)
	}
	if res := send(t, localhostClient(), "GET", proxy+"/admin/users", "", "", spoof...); res.status != http.StatusFound {
		t.Errorf("anonymous GET of an admin page: %d, want 302", res.status)
	}
	if n := app.hits.Load(); n != 0 {
		t.Fatalf("the app was reached %d times without a session", n)
	}

	// The login page, with that next, sends the browser back, and the
	// cookie for the whole domain goes with it.
	alice := localhostClient()
	login := send(t, alice, "GET", toLogin, "", "")
	if login.status != http.StatusOK || !strings.Contains(login.body, `name="next" value="`+strings.ReplaceAll(target, "&", "&amp;")+`"`) {
		t.Fatalf("the login page: %d, without next=%s in its form", login.status, target)
	}
	res := send(t, alice, "POST", s.base+"/login", "application/x-www-form-urlencoded",
		neturl.Values{"identifier": {"alice"}, "password": {testPassword}, "next": {target}}.Encode())
	if res.status != http.StatusSeeOther || res.header.Get("Location") != target {
		t.Fatalf("log in: %d Location %q, want 303 %q", res.status, res.header.Get("Location"), target)
	}
	aliceSees := func(what string, c *http.Client, url string, headers ...string) seen {
		t.Helper()
		res := send(t, c, "GET", url, "", "", headers...)
		var got seen
		if res.status != http.StatusOK || json.Unmarshal([]byte(res.body), &got) != nil {
			t.Fatalf("%s: %d %s", what, res.status, res.body)
		}
		for h, want := range map[string]string{"X-Latchkey-Username": "alice", "X-Latchkey-Role": "user"} {
			if v := got.Headers[h]; len(v) != 1 || v[0] != want {
				t.Errorf("%s: the app got %s %q, want %q", what, h, v, want)
			}
		}
		if v := got.Headers["X-Latchkey-User-Id"]; len(v) != 1 || v[0] == rootID || v[0] == "" {
			t.Errorf("%s: the app got X-Latchkey-User-Id %q", what, v)
		}
		if v := got.Headers["X-Latchkey-Session-Id"]; len(v) != 1 || v[0] == "forged" || v[0] == "" {
			t.Errorf("%s: the app got X-Latchkey-Session-Id %q", what, v)
		}
		if len(got.Headers) != 4 {
			t.Errorf("%s: the app got the headers %q, want the four", what, got.Headers)
		}
		return got
	}
	got := aliceSees("signed in", alice, target)
	if got.URI != "/reports?q=1&r=%2F" {
		t.Errorf("the app was asked for %q", got.URI)
	}
	aliceSees("signed in, claiming to be root", alice, target, spoof...)
	// A form posted with a session reaches the app too.
	res = send(t, alice, "POST", target, "application/x-www-form-urlencoded", "a=b", spoof...)
	if res.status != http.StatusOK || !strings.Contains(res.body, `"X-Latchkey-Username":["alice"]`) {
		t.Errorf("signed in, POST: %d %s", res.status, res.body)
	}
	status, tok := tokenRequest(t, "http://"+s.addr, neturl.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {testPassword}})
	if status != http.StatusOK {
		t.Fatalf("password grant: %d", status)
	}
	aliceSees("a bearer token, claiming to be root", localhostClient(), target, append(spoof, "Authorization", "Bearer "+tok.AccessToken)...)

	// The admin pages: 403 to a user, whatever she claims; open to an
	// admin.
	hits := app.hits.Load()
	if res := send(t, alice, "GET", proxy+"/admin/users", "", "", spoof...); res.status != http.StatusForbidden {
		t.Errorf("a user at an admin page: %d, want 403", res.status)
	}
	if n := app.hits.Load(); n != hits {
		t.Errorf("the app was reached by a user refused its admin pages")
	}
	root := localhostClient()
	if res := send(t, root, "POST", s.base+"/login", "application/x-www-form-urlencoded",
		neturl.Values{"identifier": {"root"}, "password": {testPassword}}.Encode()); res.status != http.StatusSeeOther {
		t.Fatalf("log in as root: %d", res.status)
	}
	res = send(t, root, "GET", proxy+"/admin/users", "", "")
	if res.status != http.StatusOK || !strings.Contains(res.body, `"X-Latchkey-Role":["admin"]`) || !strings.Contains(res.body, rootID) {
		t.Errorf("an admin at an admin page: %d %s", res.status, res.body)
	}

	// Logged out: the next request through the proxy is anonymous again.
	if res := send(t, alice, "POST", s.base+"/logout", "", "", "Sec-Fetch-Site", "same-origin"); res.status != http.StatusSeeOther {
		t.Fatalf("log out: %d", res.status)
	}
	hits = app.hits.Load()
	if res := send(t, alice, "GET", target, "", ""); res.status != http.StatusFound || res.header.Get("Location") != toLogin {
		t.Errorf("after logging out: %d Location %q, want 302 to the login", res.status, res.header.Get("Location"))
	}
	if n := app.hits.Load(); n != hits {
		t.Errorf("the app was reached after the logout")
	}
}

// TestReadmeShowsTheProxyFiles: the README's forward-auth configurations
// are the files in examples/forward-auth, which the tests above run, so
// the README cannot show one that was not tested.
func TestReadmeShowsTheProxyFiles(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Forward authentication (nginx, Caddy, Traefik)\n")
	if !ok {
		t.Fatal(`the README has no "Forward authentication (nginx, Caddy, Traefik)" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	for lang, name := range map[string]string{"nginx": "nginx.conf", "caddy": "Caddyfile", "yaml": "traefik.yml"} {
		file, err := os.ReadFile(filepath.Join("..", "..", "examples", "forward-auth", name))
		if err != nil {
			t.Fatal(err)
		}
		_, block, ok := strings.Cut(section, "```"+lang+"\n")
		block, _, ok2 := strings.Cut(block, "```")
		if !ok || !ok2 {
			t.Errorf("the section has no %s block", lang)
		} else if block != string(file) {
			t.Errorf("the README's %s block is not examples/forward-auth/%s", lang, name)
		}
	}
}
