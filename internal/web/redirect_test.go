package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/hosts"
)

// NextCases are values of next that an attacker might send, and local
// paths that must keep working, with the Location each must lead to. The
// HTTP tests in web_test send the same values through the real pages.
var NextCases = []struct{ Name, Next, Want string }{
	// Another host, as browsers read it: "\" is "/" to them, and they drop
	// tabs and newlines anywhere and spaces and controls in front.
	{"backslash", `/\evil.example`, "/"},
	{"backslash first", `\evil.example`, "/"},
	{"two backslashes", `\\evil.example`, "/"},
	{"backslash then slash", `\/evil.example`, "/"},
	{"slash then two backslashes", `/\\evil.example`, "/"},
	{"dot then backslash", `/./\evil.example`, "/"},
	{"dot-dot then backslash", `/a/../\evil.example`, "/"},
	{"two dot-dots then backslash", `/a/b/../../\evil.example`, "/"},
	{"dot-dot with backslashes", `/a\..\..\evil.example`, "/"},
	{"backslash further in", `/account\evil.example`, "/"},
	{"many dots then backslash", "/" + strings.Repeat("./", 50000) + `\evil.example`, "/"},
	{"protocol-relative", "//evil.example", "/"},
	{"three slashes", "///evil.example", "/"},
	{"tab between slashes", "/\t/evil.example", "/"},
	{"newline between slashes", "/\n/evil.example", "/"},
	{"CR between slashes", "/\r/evil.example", "/"},
	{"CRLF header injection", "/\r\nSet-Cookie: a=b", "/"},
	{"tab inside", "/acc\tount", "/"},
	{"NUL inside", "/account\x00", "/"},
	{"escape inside", "/\x1b[0m", "/"},
	{"DEL inside", "/account\x7f", "/"},
	{"encoded slashes", "%2F%2Fevil.example", "/"},
	{"encoded backslash", "%5Cevil.example", "/"},
	{"https", "https://evil.example/", "/"},
	{"scheme without slashes", "https:evil.example", "/"},
	{"javascript", "javascript:alert(1)", "/"},
	{"javascript in capitals", "JaVaScRiPt:alert(1)", "/"},
	{"data", "data:text/html,<script>alert(1)</script>", "/"},
	{"leading space", " //evil.example", "/"},
	{"leading space before a path", " /account", "/"},
	{"leading tab", "\t/account", "/"},
	{"relative", "account", "/"},
	{"empty", "", "/"},

	// Paths on this site, however odd, stay as they are: a percent-encoded
	// slash or backslash is part of a segment's name to a browser, not a
	// separator.
	{"root", "/", "/"},
	{"page", "/account", "/account"},
	{"query", "/posts/new?x=1", "/posts/new?x=1"},
	{"fragment", "/account#sessions", "/account#sessions"},
	{"escaped query", "/login?next=%2Faccount", "/login?next=%2Faccount"},
	{"trailing slash", "/posts/", "/posts/"},
	{"dot segments", "/a/./../posts/new", "/a/./../posts/new"}, // the browser resolves them, on this site
	{"encoded slashes in a segment", "/%2F%2Fevil.example", "/%2F%2Fevil.example"},
	{"encoded backslash in a segment", "/%5Cevil.example", "/%5Cevil.example"},
	{"long", "/" + strings.Repeat("a", 64<<10), "/" + strings.Repeat("a", 64<<10)},
	{"lone percent", "/100%", "/100%25"}, // as a browser would send it, so the server can parse it
	{"percent before one hex digit", "/%a", "/%25a"},
	{"escapes kept", "/a%20b%2Fc", "/a%20b%2Fc"},

	// Bytes beyond ASCII, valid UTF-8 or not, are percent-encoded: the
	// header stays ASCII, and a browser reads them as part of a segment.
	{"letters beyond ASCII", "/posts/caf\u00e9", "/posts/caf%C3%A9"},
	{"invalid UTF-8", "/\xff\xfe", "/%FF%FE"},
	{"overlong slash", "/\xc0\xafevil.example", "/%C0%AFevil.example"},
	{"overlong backslash", "/\xc1\x9cevil.example", "/%C1%9Cevil.example"},
}

// LeavesSite says why a browser that gets loc as a Location (or htmx as an
// HX-Redirect) on a page of this site could end up somewhere else, or ""
// when loc is a plain local path: one "/", then no "/" or "\", nothing a
// browser strips or rewrites, only ASCII, and resolved against a page of
// the site it keeps the site's scheme and host.
func LeavesSite(loc string) string {
	switch {
	case !strings.HasPrefix(loc, "/"):
		return "does not start with /"
	case strings.HasPrefix(loc, "//"), strings.HasPrefix(loc, `/\`):
		return "starts with two slashes (as browsers read them)"
	case strings.Contains(loc, `\`):
		return `has a \, which browsers read as /`
	case strings.ContainsFunc(loc, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "has a control character"
	case strings.ContainsFunc(loc, func(r rune) bool { return r >= utf8.RuneSelf }):
		return "has a byte beyond ASCII"
	}
	// What is left is read by a browser as Go reads it.
	base, _ := url.Parse("http://latchkey.test/login")
	ref, err := url.Parse(loc)
	if err != nil {
		return "does not parse: " + err.Error()
	}
	if u := base.ResolveReference(ref); u.Scheme != base.Scheme || u.Host != base.Host {
		return "resolves to " + u.String()
	}
	return ""
}

// TestRedirectStaysOnTheSite checks what redirect actually sends, not what
// safeNext was given: net/http's Redirect cleans a path, and "/./\x" was
// "/\x" (another host) once cleaned. A site that allows the hosts of
// forward authentication sends these values to the same places.
func TestRedirectStaysOnTheSite(t *testing.T) {
	for _, s := range []*site{{}, {Deps: Deps{Hosts: AppHosts()}}} {
		for _, tt := range NextCases {
			t.Run(tt.Name, func(t *testing.T) {
				if got := s.safeNext(tt.Next); got != tt.Want {
					t.Errorf("safeNext(%.60q) = %.60q, want %.60q", tt.Next, got, tt.Want)
				}
				for _, htmx := range []bool{false, true} {
					got, header, code, status := redirectOf(s, tt.Next, htmx)
					if code != status || got != tt.Want {
						t.Errorf("redirect to %.60q: %d %s %.60q, want %d %.60q", tt.Next, code, header, got, status, tt.Want)
					}
					if why := LeavesSite(got); why != "" {
						t.Errorf("redirect to %.60q: %s %.60q %s", tt.Next, header, got, why)
					}
				}
			})
		}
	}
}

// redirectOf is what redirect sends for next, plain or to htmx: the
// header's value and name, the status, and the status it should be.
func redirectOf(s *site, next string, htmx bool) (got, header string, code, status int) {
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/login", nil)
	header, status = "Location", http.StatusSeeOther
	if htmx {
		r.Header.Set("HX-Request", "true")
		header, status = "HX-Redirect", http.StatusNoContent
	}
	s.redirect(w, r, next)
	return w.Header().Get(header), header, w.Code, status
}

// AppHosts allows what a deployment at http://auth.example.com with
// LATCHKEY_FORWARD_AUTH_HOSTS=app.example.com,tools.example.com:8443
// would.
func AppHosts() hosts.List {
	base, _ := url.Parse("http://auth.example.com")
	return hosts.NewList(base, []hosts.Host{{Name: "app.example.com"}, {Name: "tools.example.com", Port: 8443}})
}

// HostCases are absolute values of next, for a site with AppHosts, with
// the Location each must lead to: back to an app behind forward
// authentication, or, for anything a browser could read as another host,
// home.
var HostCases = []struct{ Name, Next, Want string }{
	{"an app", "https://app.example.com/reports?q=1#top", "https://app.example.com/reports?q=1#top"},
	{"an app over http", "http://app.example.com/", "http://app.example.com/"},
	{"capitals and the default port", "HTTPS://App.Example.com:443", "https://app.example.com/"},
	{"an app on its port", "https://tools.example.com:8443/x", "https://tools.example.com:8443/x"},
	{"the base URL's host", "http://auth.example.com/account", "http://auth.example.com/account"},
	{"letters beyond ASCII in the path", "https://app.example.com/caf\u00e9", "https://app.example.com/caf%C3%A9"},
	{"a lone percent", "https://app.example.com/100%", "https://app.example.com/100%25"},
	{"@ after the host", "https://app.example.com/@evil.example", "https://app.example.com/@evil.example"},
	{"@ in the fragment", "https://app.example.com#@evil.example", "https://app.example.com#@evil.example"},

	{"another host", "https://evil.example/", "/"},
	{"userinfo", "https://app.example.com@evil.example/", "/"},
	{"userinfo with the port", "https://app.example.com:443@evil.example/", "/"},
	{"backslash before @", `https://evil.example\@app.example.com/`, "/"},
	{"backslash after the host", `https://app.example.com\@evil.example/`, "/"},
	{"backslashes for slashes", `https:\\app.example.com/`, "/"},
	{"slash and backslash", `https:/\app.example.com/`, "/"},
	{"protocol-relative", "//app.example.com/", "/"},
	{"one slash", "https:/app.example.com/", "/"},
	{"three slashes", "https:///app.example.com/", "/"},
	{"a look-alike suffix", "https://app.example.com.evil.example/", "/"},
	{"a subdomain", "https://evil.app.example.com/", "/"},
	{"wrong port", "https://app.example.com:8443/", "/"},
	{"port left out", "https://tools.example.com/", "/"},
	{"the base URL's host over https", "https://auth.example.com/", "/"},
	{"Cyrillic look-alike", "https://\u0430pp.example.com/", "/"},
	{"full-width look-alike", "https://\uff41pp.example.com/", "/"},
	{"punycode look-alike", "https://xn--pp-7ka.example.com/", "/"},
	{"encoded dot", "https://app%2Eexample.com/", "/"},
	{"trailing dot", "https://app.example.com./", "/"},
	{"tab in the host", "https://app.example.com\t.evil.example/", "/"},
	{"CRLF", "https://app.example.com/\r\nSet-Cookie: a=b", "/"},
	{"leading space", " https://app.example.com/", "/"},
	{"ftp", "ftp://app.example.com/", "/"},
	{"javascript", "javascript://app.example.com/%0Aalert(1)", "/"},
	{"data", "data:text/html,https://app.example.com/", "/"},
}

func TestRedirectToForwardAuthHosts(t *testing.T) {
	s := &site{Deps: Deps{Hosts: AppHosts()}}
	for _, tt := range HostCases {
		t.Run(tt.Name, func(t *testing.T) {
			if got := s.safeNext(tt.Next); got != tt.Want {
				t.Errorf("safeNext(%q) = %q, want %q", tt.Next, got, tt.Want)
			}
			for _, htmx := range []bool{false, true} {
				got, header, code, status := redirectOf(s, tt.Next, htmx)
				if code != status || got != tt.Want {
					t.Errorf("redirect to %q: %d %s %q, want %d %q", tt.Next, code, header, got, status, tt.Want)
				}
				if why := LeavesHosts(got); why != "" {
					t.Errorf("redirect to %q: %s %q %s", tt.Next, header, got, why)
				}
			}
			// A site without forward authentication sends them all home.
			if got := (&site{}).safeNext(tt.Next); got != "/" {
				t.Errorf("without hosts, safeNext(%q) = %q, want /", tt.Next, got)
			}
		})
	}
}

// LeavesHosts is LeavesSite for a site with AppHosts: "" when loc is a
// local path, or an absolute URL that every browser reads as one on those
// hosts. It reads the host with Go's url package, after ruling out what
// browsers read differently: anything but "http://" or "https://" in lower
// case, bytes beyond ASCII, spaces and control characters, "\", and "@"
// or "%" before the path.
func LeavesHosts(loc string) string {
	if LeavesSite(loc) == "" {
		return ""
	}
	allowed := map[string][]string{
		"http":  {"auth.example.com", "app.example.com", "tools.example.com:8443"},
		"https": {"app.example.com", "tools.example.com:8443"},
	}
	scheme, rest, ok := strings.Cut(loc, "://")
	switch {
	case !ok || allowed[scheme] == nil:
		return "is no local path and does not start with http:// or https://"
	case strings.ContainsFunc(loc, func(r rune) bool { return r <= ' ' || r >= 0x7f }):
		return "has a space, a control character or a byte beyond ASCII"
	case strings.Contains(loc, `\`):
		return `has a \, which browsers read as /`
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	if strings.ContainsAny(authority, "@%") {
		return "has @ or % before its path"
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "does not parse: " + err.Error()
	}
	for _, h := range allowed[scheme] {
		if u.Host == h {
			return ""
		}
	}
	return "is on the host " + u.Host
}
