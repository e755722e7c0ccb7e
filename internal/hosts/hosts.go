// Package hosts decides which absolute URLs Latchkey may send a browser to:
// after a login, back to the page of another app that forward
// authentication turned away (DESIGN.md, "Other services and proxies").
// Such a redirect is an open redirect waiting to happen, so the rule lives
// in one place, shared by the settings, the pages and GET /auth/verify, and
// it reads a URL as a browser does rather than as Go's url package does:
// what the check looks at must be what the browser follows.
//
// Browsers forgive a lot that Go does not, and the other way round. They
// read "\" as "/", drop tabs and newlines anywhere, decode percent-escapes
// in a host, map full-width and other Unicode letters onto ASCII ones, and
// take "0x7f.1" for 127.0.0.1. The rule avoids all of it by accepting only
// what every reader agrees on: "http://" or "https://", then a host of
// ASCII letters, digits, dots and hyphens (or an IP address in its usual
// form) with an optional port, then a path, query or fragment without
// spaces, control characters or backslashes. Anything else is refused, not
// repaired.
package hosts

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Host is one host a browser may be sent to, as written in a URL.
type Host struct {
	// Name is a lower-case DNS name, a dotted IPv4 address, or an IPv6
	// address in brackets, each in its one canonical form, so that names
	// compare as strings.
	Name string
	// Port is the port; 0 means the default port of the URL's scheme (80
	// for http, 443 for https), which browsers leave out.
	Port int
}

// String is the host as a URL writes it: the name, and ":port" unless the
// port is the scheme's default.
func (h Host) String() string {
	if h.Port == 0 {
		return h.Name
	}
	return h.Name + ":" + strconv.Itoa(h.Port)
}

// Parse reads "name" or "name:port" (a URL's authority without a user).
// The name is lower-cased; an IP address must be written as usual (four
// decimal numbers, or IPv6 in brackets), and a name that ends in a number
// is read as an IPv4 address, as browsers do. A name beyond ASCII must be
// written in its xn-- form: its Unicode spelling maps onto ASCII in ways
// that differ between browsers, which is what look-alike hosts exploit.
func Parse(s string) (Host, error) {
	if s == "" {
		return Host{}, errors.New("is empty")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 {
			return Host{}, errors.New("has letters beyond ASCII: write an international name in its xn-- form")
		} else if !hostByte(c) {
			return Host{}, fmt.Errorf("has %q, which no host has", c)
		}
	}
	name, port := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return Host{}, errors.New("has no ] after the IPv6 address")
		}
		name = s[:end+1]
		if rest := s[end+1:]; rest != "" {
			if rest[0] != ':' {
				return Host{}, errors.New("has something other than a port after the IPv6 address")
			}
			if port = rest[1:]; port == "" {
				return Host{}, errors.New("has a : without a port")
			}
		}
		addr, err := netip.ParseAddr(name[1:end])
		if err != nil || !addr.Is6() {
			return Host{}, errors.New("has no IPv6 address inside [ ]")
		}
		name = "[" + addr.String() + "]"
	} else {
		if i := strings.LastIndexByte(s, ':'); i >= 0 {
			name, port = s[:i], s[i+1:]
			if port == "" {
				return Host{}, errors.New("has a : without a port")
			}
		}
		name = strings.ToLower(name)
		if !validName(name) {
			return Host{}, errors.New("is not a host name like app.example.com or an IP address")
		}
	}
	h := Host{Name: name}
	if port != "" {
		n, ok := parsePort(port)
		if !ok {
			return Host{}, fmt.Errorf("has the port %q, not a number from 1 to 65535", port)
		}
		h.Port = n
	}
	return h, nil
}

// hostByte reports whether c may appear in a host as Parse reads it.
func hostByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '-' || c == ':' || c == '[' || c == ']'
}

// validName reports whether a lower-case name is a DNS name of letters,
// digits and hyphens (RFC 1123), or, when its last label is a number as a
// browser sees one, a dotted IPv4 address in the form every reader agrees
// on: browsers read "127.1", "2130706433" and "0x7f.0.0.1" as 127.0.0.1,
// and an allow-list should not have to guess.
func validName(name string) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	labels := strings.Split(name, ".")
	if last := labels[len(labels)-1]; last != "" && (strings.HasPrefix(last, "0x") || strings.Trim(last, "0123456789") == "") {
		addr, err := netip.ParseAddr(name)
		return err == nil && addr.Is4()
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' || strings.ContainsAny(l, ":[]") {
			return false
		}
	}
	return true
}

// parsePort reads a decimal port from 1 to 65535.
func parsePort(s string) (int, bool) {
	if s == "" || len(s) > 5 || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, _ := strconv.Atoi(s)
	return n, 1 <= n && n <= 65535
}

// defaultPort is the port a browser uses for a scheme without one.
func defaultPort(scheme string) int {
	if scheme == "https" {
		return 443
	}
	return 80
}

// List is the hosts a browser may be sent to: the base URL's, and those of
// the apps behind forward authentication (LATCHKEY_FORWARD_AUTH_HOSTS).
// Its zero value allows none.
type List struct {
	self   Host   // the base URL's host, its port always written out
	others []Host // Port 0: the default of the URL's scheme
	// httpsOnly refuses http:// URLs when Latchkey itself is on HTTPS:
	// its cookie is Secure then, so an app on plain HTTP would never see
	// it and would send the browser back to log in for ever, and the
	// visit would travel where anyone on the network can read it.
	httpsOnly bool
}

// NewList allows base's host (on its port) and others (each on its port,
// or on the default one of the URL's scheme when it has none).
func NewList(base *url.URL, others []Host) List {
	l := List{others: others}
	if base == nil {
		return l
	}
	l.httpsOnly = base.Scheme == "https"
	if self, err := Parse(base.Host); err == nil {
		if self.Port == 0 {
			self.Port = defaultPort(base.Scheme)
		}
		l.self = self
	}
	return l
}

// Others are the hosts besides the base URL's.
func (l List) Others() []Host { return l.others }

// URL returns raw as the absolute URL to send a browser to, and true, when
// raw is an http or https URL on one of l's hosts, in a form that every
// browser reads as that host (see the package comment); otherwise false.
// The URL comes back with its scheme and host in their canonical form
// ("HTTPS://App.Example.com:443" is "https://app.example.com/") and the
// rest as it was: bytes beyond ASCII and "%" escapes are the caller's to
// encode for a header.
func (l List) URL(raw string) (string, bool) {
	scheme, rest, ok := cutScheme(raw)
	if !ok || (l.httpsOnly && scheme != "https") {
		return "", false
	}
	if strings.ContainsFunc(rest, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' }) {
		return "", false
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	h, err := Parse(rest[:end])
	if err != nil {
		return "", false
	}
	if h.Port == defaultPort(scheme) {
		h.Port = 0
	}
	if !l.allows(h, scheme) {
		return "", false
	}
	tail := rest[end:]
	if tail == "" {
		tail = "/"
	}
	return scheme + "://" + h.String() + tail, true
}

// cutScheme splits "http://" or "https://", in any case, from the rest of
// raw, and returns the scheme in lower case. Browsers also read "https:x",
// "https:/x" and "https:\\x" as absolute, but nothing needs those forms,
// so they are refused with everything else.
func cutScheme(raw string) (scheme, rest string, ok bool) {
	for _, s := range []string{"https", "http"} {
		if len(raw) > len(s)+3 && strings.EqualFold(raw[:len(s)], s) && raw[len(s):len(s)+3] == "://" {
			return s, raw[len(s)+3:], true
		}
	}
	return "", "", false
}

// allows reports whether h, in a URL of scheme, is one of l's hosts. A
// port left out is the scheme's default, for h and for l's other hosts
// alike, so "app.example.com" allows https://app.example.com and
// http://app.example.com, but not app.example.com:8443.
func (l List) allows(h Host, scheme string) bool {
	port := h.Port
	if port == 0 {
		port = defaultPort(scheme)
	}
	if h.Name == l.self.Name && port == l.self.Port {
		return true
	}
	for _, o := range l.others {
		op := o.Port
		if op == 0 {
			op = defaultPort(scheme)
		}
		if h.Name == o.Name && port == op {
			return true
		}
	}
	return false
}
