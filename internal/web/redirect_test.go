package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
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
// "/\x" (another host) once cleaned.
func TestRedirectStaysOnTheSite(t *testing.T) {
	for _, tt := range NextCases {
		t.Run(tt.Name, func(t *testing.T) {
			if got := safeNext(tt.Next); got != tt.Want {
				t.Errorf("safeNext(%.60q) = %.60q, want %.60q", tt.Next, got, tt.Want)
			}
			for _, htmx := range []bool{false, true} {
				w := httptest.NewRecorder()
				r := httptest.NewRequest("POST", "/login", nil)
				header, status := "Location", http.StatusSeeOther
				if htmx {
					r.Header.Set("HX-Request", "true")
					header, status = "HX-Redirect", http.StatusNoContent
				}
				redirect(w, r, tt.Next)
				got := w.Header().Get(header)
				if w.Code != status || got != tt.Want {
					t.Errorf("redirect to %.60q: %d %s %.60q, want %d %.60q", tt.Next, w.Code, header, got, status, tt.Want)
				}
				if why := LeavesSite(got); why != "" {
					t.Errorf("redirect to %.60q: %s %.60q %s", tt.Next, header, got, why)
				}
			}
		})
	}
}
