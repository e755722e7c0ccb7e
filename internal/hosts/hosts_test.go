package hosts

import (
	"net/url"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Host // zero: refused
	}{
		{"app.example.com", Host{"app.example.com", 0}},
		{"App.Example.COM", Host{"app.example.com", 0}},
		{"app.example.com:8443", Host{"app.example.com", 8443}},
		{"app.example.com:08443", Host{"app.example.com", 8443}}, // as browsers read it
		{"localhost", Host{"localhost", 0}},
		{"app.localhost:3000", Host{"app.localhost", 3000}},
		{"xn--bcher-kva.example", Host{"xn--bcher-kva.example", 0}},
		{"127.0.0.1", Host{"127.0.0.1", 0}},
		{"127.0.0.1:8080", Host{"127.0.0.1", 8080}},
		{"[::1]", Host{"[::1]", 0}},
		{"[::1]:8080", Host{"[::1]", 8080}},
		{"[0:0:0:0:0:0:0:1]:8080", Host{"[::1]", 8080}},
		{"[2001:DB8::1]", Host{"[2001:db8::1]", 0}},
		{"a-b.c", Host{"a-b.c", 0}},

		{"", Host{}},
		{"app.example.com:", Host{}},
		{"app.example.com:0", Host{}},
		{"app.example.com:65536", Host{}},
		{"app.example.com:123456", Host{}},
		{"app.example.com:+443", Host{}},
		{"app.example.com:-1", Host{}},
		{"app.example.com:http", Host{}},
		{"app.example.com:443:443", Host{}},
		{"user@app.example.com", Host{}},
		{"app.example.com@evil.example", Host{}},
		{"app%2Eexample.com", Host{}},
		{"app.example.com.", Host{}}, // another string for the same name
		{".app.example.com", Host{}},
		{"app..example.com", Host{}},
		{"-app.example.com", Host{}},
		{"app-.example.com", Host{}},
		{"app_1.example.com", Host{}},
		{"app.example.com/", Host{}},
		{"https://app.example.com", Host{}},
		{"*.example.com", Host{}},
		{"app example.com", Host{}},
		{"app.example.com\t", Host{}},
		{`app.example.com\`, Host{}},
		{"\u0430pp.example.com", Host{}}, // Cyrillic а
		{"ａpp.example.com", Host{}},      // full-width a
		{"app.example.com\u00ad", Host{}},
		{"127.1", Host{}},           // 127.0.0.1 to a browser
		{"2130706433", Host{}},      // 127.0.0.1 to a browser
		{"0x7f.0.0.1", Host{}},      // 127.0.0.1 to a browser
		{"127.000.0.1", Host{}},     // 127.0.0.1 to a browser
		{"app.example.0x1", Host{}}, // a failed IPv4 address to a browser
		{"1.2.3.4.5", Host{}},
		{"[::1", Host{}},
		{"[::1]x", Host{}},
		{"[::1]:", Host{}},
		{"[127.0.0.1]", Host{}},
		{"[fe80::1%25eth0]", Host{}},
		{"::1", Host{}},
		{strings.Repeat("a", 64) + ".example", Host{}},
		{strings.Repeat("a.", 127) + "aa", Host{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.want == (Host{}) {
				if err == nil {
					t.Fatalf("Parse(%q) = %+v, want an error", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
			if again, err := Parse(got.String()); err != nil || again != got {
				t.Fatalf("Parse(%q) = %+v, %v; want it back", got.String(), again, err)
			}
		})
	}
}

// testList allows what a deployment at http://auth.example.com with
// LATCHKEY_FORWARD_AUTH_HOSTS=app.example.com,tools.example.com:8443,127.0.0.1:3000
// would.
func testList(t testing.TB, base string) List {
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	var others []Host
	for _, s := range []string{"app.example.com", "tools.example.com:8443", "127.0.0.1:3000"} {
		h, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		others = append(others, h)
	}
	return NewList(u, others)
}

// URLCases are values an attacker might send as next, or a proxy as the
// original URL, for the list of testList("http://auth.example.com"), and
// what URL must make of them ("" for refused).
var URLCases = []struct{ Name, In, Want string }{
	{"an allowed host", "https://app.example.com/reports?q=1#top", "https://app.example.com/reports?q=1#top"},
	{"over plain http", "http://app.example.com/x", "http://app.example.com/x"},
	{"no path", "https://app.example.com", "https://app.example.com/"},
	{"only a query", "https://app.example.com?x=1", "https://app.example.com?x=1"},
	{"capitals", "HTTPS://App.Example.COM/Reports", "https://app.example.com/Reports"},
	{"the default port written out", "https://app.example.com:443/x", "https://app.example.com/x"},
	{"the http default port written out", "http://app.example.com:80/x", "http://app.example.com/x"},
	{"a host with its port", "https://tools.example.com:8443/", "https://tools.example.com:8443/"},
	{"the base URL's host", "http://auth.example.com/account", "http://auth.example.com/account"},
	{"an IP address with its port", "http://127.0.0.1:3000/x", "http://127.0.0.1:3000/x"},
	{"@ in the fragment", "https://app.example.com#@evil.example", "https://app.example.com#@evil.example"},
	{"@ in the query", "https://app.example.com?@evil.example", "https://app.example.com?@evil.example"},
	{"@ in the path", "https://app.example.com/@evil.example", "https://app.example.com/@evil.example"},
	{"another URL in the path", "https://app.example.com/https://evil.example", "https://app.example.com/https://evil.example"},
	{"two slashes in the path", "https://app.example.com//evil.example", "https://app.example.com//evil.example"},
	{"escapes kept", "https://app.example.com/a%20b?c=%2F", "https://app.example.com/a%20b?c=%2F"},
	{"letters beyond ASCII in the path", "https://app.example.com/caf\u00e9", "https://app.example.com/caf\u00e9"},

	{"another host", "https://evil.example/", ""},
	{"a look-alike suffix", "https://app.example.com.evil.example/", ""},
	{"a look-alike prefix", "https://evil-app.example.com/", ""},
	{"a subdomain", "https://x.app.example.com/", ""},
	{"a parent domain", "https://example.com/", ""},
	{"userinfo", "https://app.example.com@evil.example/", ""},
	{"userinfo with a port", "https://app.example.com:443@evil.example/", ""},
	{"userinfo and password", "https://app.example.com:x@evil.example/", ""},
	{"encoded @", "https://app.example.com%40evil.example/", ""},
	{"backslash before @", `https://evil.example\@app.example.com/`, ""},
	{"backslash after the host", `https://app.example.com\@evil.example/`, ""},
	{"backslash in the path", `https://app.example.com/\evil.example`, ""},
	{"backslashes for slashes", `https:\\app.example.com/`, ""},
	{"slash and backslash", `https:/\app.example.com/`, ""},
	{"one slash", "https:/app.example.com/", ""},
	{"no slashes", "https:app.example.com/", ""},
	{"three slashes", "https:///app.example.com/", ""},
	{"protocol-relative", "//app.example.com/", ""},
	{"tab in the scheme", "ht\ttps://app.example.com/", ""},
	{"tab in the host", "https://app.example.com\t.evil.example/", ""},
	{"newline in the path", "https://app.example.com/\n", ""},
	{"CRLF", "https://app.example.com/\r\nSet-Cookie: a=b", ""},
	{"space in the path", "https://app.example.com/a b", ""},
	{"leading space", " https://app.example.com/", ""},
	{"NUL", "https://app.example.com/\x00", ""},
	{"DEL", "https://app.example.com/\x7f", ""},
	{"percent in the host", "https://app%2Eexample.com/", ""},
	{"wrong port", "https://app.example.com:8443/", ""},
	{"port left out", "https://tools.example.com/", ""},
	{"the https port over http", "http://app.example.com:443/", ""},
	{"the base host over https", "https://auth.example.com/", ""},
	{"the base host on another port", "http://auth.example.com:8080/", ""},
	{"port 0", "https://app.example.com:0/", ""},
	{"port too big", "https://app.example.com:65536/", ""},
	{"empty port", "https://app.example.com:/", ""},
	{"trailing dot", "https://app.example.com./", ""},
	{"Cyrillic look-alike", "https://\u0430pp.example.com/", ""},
	{"full-width look-alike", "https://ａpp.example.com/", ""},
	{"punycode look-alike", "https://xn--pp-7ka.example.com/", ""},
	{"soft hyphen", "https://app.example.c\u00adom/", ""},
	{"IPv4 written as a number", "http://2130706433:3000/", ""},
	{"IPv4 written short", "http://127.1:3000/", ""},
	{"IPv4 in hex", "http://0x7f.0.0.1:3000/", ""},
	{"ftp", "ftp://app.example.com/", ""},
	{"javascript", "javascript://app.example.com/%0Aalert(1)", ""},
	{"data", "data:text/html,https://app.example.com/", ""},
	{"a path", "/account", ""},
	{"empty", "", ""},
	{"scheme only", "https://", ""},
}

func TestURL(t *testing.T) {
	l := testList(t, "http://auth.example.com")
	for _, tt := range URLCases {
		t.Run(tt.Name, func(t *testing.T) {
			got, ok := l.URL(tt.In)
			if tt.Want == "" {
				if ok {
					t.Fatalf("URL(%q) = %q, want it refused", tt.In, got)
				}
				return
			}
			if !ok || got != tt.Want {
				t.Fatalf("URL(%q) = %q, %v; want %q", tt.In, got, ok, tt.Want)
			}
			if why := OffList(got); why != "" {
				t.Fatalf("URL(%q) = %q, which %s", tt.In, got, why)
			}
		})
	}
}

// TestURLOverHTTPS: when Latchkey is on HTTPS, its cookie is Secure, so
// an http:// app would never see it; its URLs are refused.
func TestURLOverHTTPS(t *testing.T) {
	l := testList(t, "https://auth.example.com")
	for in, want := range map[string]string{
		"https://app.example.com/x":       "https://app.example.com/x",
		"https://auth.example.com/x":      "https://auth.example.com/x",
		"https://auth.example.com:443/x":  "https://auth.example.com/x",
		"https://tools.example.com:8443/": "https://tools.example.com:8443/",
		"http://app.example.com/x":        "",
		"http://auth.example.com/x":       "",
		"http://auth.example.com:443/x":   "",
		"http://127.0.0.1:3000/":          "",
	} {
		got, ok := l.URL(in)
		if (want == "") == ok || got != want {
			t.Errorf("URL(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestZeroListAllowsNothing(t *testing.T) {
	var l List
	for _, in := range []string{"http://localhost/", "https://app.example.com/", "http://127.0.0.1/"} {
		if got, ok := l.URL(in); ok {
			t.Errorf("the zero List allows %q as %q", in, got)
		}
	}
}

func TestIPv6Base(t *testing.T) {
	u, _ := url.Parse("http://[::1]:8080")
	l := NewList(u, nil)
	for in, want := range map[string]string{
		"http://[::1]:8080/x":              "http://[::1]:8080/x",
		"http://[0:0::1]:8080/x":           "http://[::1]:8080/x",
		"http://[::1]/x":                   "",
		"http://[::2]:8080/x":              "",
		"http://[::ffff:127.0.0.1]:8080/x": "",
	} {
		got, ok := l.URL(in)
		if (want == "") == ok || got != want {
			t.Errorf("URL(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// OffList says why a browser sent to loc could end up somewhere other
// than the hosts of testList("http://auth.example.com"), or "" when it
// cannot. It reads the host with Go's url package, independently of URL's
// own reading, after ruling out what browsers read differently from Go:
// anything but "http://" or "https://" in lower case, spaces and control
// characters anywhere, "\" anywhere, and bytes beyond ASCII, "@" and "%"
// before the path. (Bytes beyond ASCII after it are the caller's to
// escape.)
func OffList(loc string) string {
	allowed := map[string][]string{
		"http":  {"auth.example.com", "app.example.com", "tools.example.com:8443", "127.0.0.1:3000"},
		"https": {"app.example.com", "tools.example.com:8443", "127.0.0.1:3000"},
	}
	scheme, rest, ok := strings.Cut(loc, "://")
	switch {
	case !ok || allowed[scheme] == nil:
		return "does not start with http:// or https://"
	case strings.ContainsFunc(loc, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return "has a space or a control character"
	case strings.Contains(loc, `\`):
		return `has a \, which browsers read as /`
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	if strings.ContainsFunc(authority, func(r rune) bool { return r == '@' || r == '%' || r >= 0x80 }) {
		return "has @, % or a byte beyond ASCII before its path"
	}
	u, err := url.Parse(scheme + "://" + authority + "/")
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

// FuzzURL: whatever URL accepts is on the list as OffList reads it, and
// comes back unchanged when checked again.
func FuzzURL(f *testing.F) {
	for _, tt := range URLCases {
		f.Add(tt.In)
	}
	l := testList(f, "http://auth.example.com")
	f.Fuzz(func(t *testing.T, raw string) {
		got, ok := l.URL(raw)
		if !ok {
			return
		}
		if why := OffList(got); why != "" {
			t.Fatalf("URL(%q) = %q, which %s", raw, got, why)
		}
		if again, ok := l.URL(got); !ok || again != got {
			t.Fatalf("URL(%q) = %q, but URL of that is %q, %v", raw, got, again, ok)
		}
	})
}
