package web

import (
	"net/http"
	"strings"
	"unicode/utf8"
)

// safeNext is where a page sends the browser after a login or a
// registration: next when it is a path on this site, or an absolute URL
// on one of the hosts of s.Hosts (the base URL's and those of forward
// authentication, checked by package hosts); "/" otherwise.
//
// A path is local when a browser cannot read it as another host. Browsers
// drop tabs and newlines anywhere in a URL and read "\" as "/", so "/\x"
// and "/\t/x" mean "//x", another host, as much as "//x" does. So next
// must start with "/" not followed by "/", and have no "\" and no control
// character anywhere, not only at the start: a "\" further in is what
// cleaning the dot segments of "/./\x" brought up behind the first "/".
// redirect sends the value as it is, so what is checked here is what the
// browser gets. Bytes beyond ASCII are percent-encoded, as net/http's
// Redirect does, so the header carries plain ASCII and the page's hidden
// field the same value; so is a "%" that starts no escape, so that the
// Location is a URL every client parses.
func (s *site) safeNext(next string) string {
	if localPath(next) {
		return escapeLocation(next)
	}
	if u, ok := s.Hosts.URL(next); ok {
		return escapeLocation(u)
	}
	return "/"
}

// localPath reports whether next is a path that every browser reads as
// one on this site (see safeNext).
func localPath(next string) bool {
	return strings.HasPrefix(next, "/") && !strings.HasPrefix(next, "//") &&
		!strings.ContainsRune(next, '\\') && !strings.ContainsFunc(next, isControl)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// escapeLocation percent-encodes every byte beyond ASCII, valid UTF-8 or
// not (a browser reads "%C3%A9" in a path as it reads "é"), and every "%"
// that starts no escape: a browser would send it on as it is, and the
// request line "/100%" is one net/http refuses with a 400 (and Go's client
// refuses such a Location outright), where "/100%25" names the same path.
func escapeLocation(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if mustEscape(s, i) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		if c := s[i]; mustEscape(s, i) {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// mustEscape reports whether s[i] is a byte beyond ASCII or a "%" not
// followed by two hex digits.
func mustEscape(s string, i int) bool {
	if s[i] >= utf8.RuneSelf {
		return true
	}
	return s[i] == '%' && (i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]))
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// redirect sends the browser to a local path (or an allowed absolute URL,
// see safeNext): 303 for a plain request, HX-Redirect for htmx (which
// would otherwise swap the target page into the form). Every redirect of
// the site goes through safeNext here, and the header is written as
// checked: net/http's Redirect would clean the path first, and a check on
// the value given can be undone by cleaning ("/./\evil.example" becomes
// "/\evil.example", which browsers follow to evil.example).
func (s *site) redirect(w http.ResponseWriter, r *http.Request, path string) {
	path = s.safeNext(path)
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", path)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Location", path)
	w.WriteHeader(http.StatusSeeOther)
}
