package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/latchkey/latchkey/internal/hosts"
)

// intIn parses a whole number from lo to hi inclusive.
func intIn(lo, hi int, set func(*Config, int)) func(*Config, string) string {
	return func(c *Config, raw string) string {
		n, err := strconv.Atoi(raw)
		if err != nil || n < lo || n > hi {
			return fmt.Sprintf("%q is not a whole number from %d to %d", raw, lo, hi)
		}
		set(c, n)
		return ""
	}
}

// durationIn parses a Go duration from lo to hi inclusive; span and
// examples word the range and the syntax for the message.
func durationIn(lo, hi time.Duration, span, examples string, set func(*Config, time.Duration)) func(*Config, string) string {
	return func(c *Config, raw string) string {
		d, err := time.ParseDuration(raw)
		if err != nil || d < lo || d > hi {
			return fmt.Sprintf("%q is not a duration %s, written like %s", raw, span, examples)
		}
		set(c, d)
		return ""
	}
}

// short writes a duration without its zero trailing units ("15m", not
// "15m0s"), as people write them in messages.
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func parseAddr(c *Config, raw string) string {
	if !validAddr(raw) {
		return fmt.Sprintf("%q is not a listen address like localhost:8080, :8080 or 0.0.0.0:8080", raw)
	}
	c.Addr = raw
	return ""
}

// validAddr reports whether raw is a host:port to listen on, the port a
// number (a service name would depend on /etc/services).
func validAddr(raw string) bool {
	_, port, err := net.SplitHostPort(raw)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	return err == nil
}

// defaultBaseURL is http:// and the listen address, with localhost for a
// wildcard host, because "http://:8080" is no URL and "http://0.0.0.0:8080"
// is not one a browser should be sent to. It is empty (no default, no
// second complaint) when the address itself is invalid.
func defaultBaseURL(c *Config) string {
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return ""
	}
	if ip, err := netip.ParseAddr(host); host == "" || (err == nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func parseBaseURL(c *Config, raw string) string {
	const like = "like https://auth.example.com or http://localhost:8080"
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		// url.Parse's error repeats the text, which could hold a password.
		return "is not a URL; write an absolute http:// or https:// URL, " + like
	case u.User != nil:
		return "must not contain a user name or password"
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("%q must start with http:// or https://, %s", raw, like)
	case u.Opaque != "" || u.Hostname() == "":
		return fmt.Sprintf("%q has no host; write it %s", raw, like)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#"):
		return fmt.Sprintf("%q must not have a query (?…) or a fragment (#…)", raw)
	}
	// Paths are appended to it, so "https://x/auth/" must not give "//login".
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	c.BaseURL = u
	return ""
}

func parseDatabaseURL(c *Config, raw string) string {
	const want = "must be sqlite:PATH (like sqlite:./data/latchkey.db) or a postgres:// or postgresql:// URL"
	switch {
	case strings.HasPrefix(raw, sqlitePrefix):
		path := strings.TrimPrefix(raw, sqlitePrefix)
		if path == "" {
			return "sqlite: needs a file path, like sqlite:./data/latchkey.db"
		}
		// sqlite://x.db would silently mean the file /x.db.
		if strings.HasPrefix(path, "//") {
			return fmt.Sprintf("%q: write sqlite:PATH without //, like sqlite:./data/latchkey.db or sqlite:/var/lib/latchkey/latchkey.db", raw)
		}
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		// The value is not quoted: it may hold a password.
		if _, err := url.Parse(raw); err != nil {
			return "is not a valid postgres:// URL; percent-encode special characters in the user name and password"
		}
	default:
		return want + " (the value is not shown, as it may hold a password)"
	}
	c.DatabaseURL = raw
	return ""
}

// redactDatabaseURL hides the password of a PostgreSQL URL, in its user
// part and in the password or sslpassword parameters libpq also accepts.
func redactDatabaseURL(raw string) string {
	if raw == "" || strings.HasPrefix(raw, sqlitePrefix) {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "xxxxx"
	}
	if u.RawQuery != "" {
		q := u.Query()
		changed := false
		for k := range q {
			if strings.EqualFold(k, "password") || strings.EqualFold(k, "sslpassword") {
				q[k] = []string{"xxxxx"}
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	return u.Redacted()
}

func parseTrustedProxies(c *Config, raw string) string {
	var prefixes []netip.Prefix
	for item := range strings.SplitSeq(raw, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		p, err := netip.ParsePrefix(item)
		if err != nil {
			addr, aerr := netip.ParseAddr(item)
			if aerr != nil || addr.Zone() != "" {
				return fmt.Sprintf("%q is not a CIDR like 10.0.0.0/8 or an IP address", item)
			}
			p = netip.PrefixFrom(addr, addr.BitLen())
		}
		prefixes = append(prefixes, p.Masked())
	}
	c.TrustedProxies = prefixes
	return ""
}

func parseCORSOrigins(c *Config, raw string) string {
	var origins []string
	for item := range strings.SplitSeq(raw, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if item == "*" {
			return `"*" is not allowed: list each origin, like https://app.example.com`
		}
		origin, msg := parseOrigin(item)
		if msg != "" {
			return msg
		}
		origins = append(origins, origin)
	}
	c.CORSOrigins = origins
	return ""
}

// minClientSecret is the shortest introspection client secret accepted:
// the endpoint answers every guess, so a secret must be beyond guessing.
const minClientSecret = 16

// parseIntrospectionClients reads "name:secret" pairs separated by commas;
// space around a pair is dropped. A name is what HTTP Basic sends as the
// user name, so it cannot hold a colon (RFC 7617); it is kept to letters,
// digits, '.', '_' and '-', and may appear once. A secret is at least
// minClientSecret bytes without space or control characters. The messages
// name a pair by its place in the list and quote only a valid name, never
// a secret, nor a pair whose colon is missing (it may be all secret).
func parseIntrospectionClients(c *Config, raw string) string {
	var clients []IntrospectionClient
	seen := map[string]bool{}
	n := 0
	for item := range strings.SplitSeq(raw, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		n++
		name, secret, ok := strings.Cut(item, ":")
		switch {
		case !ok || name == "":
			return fmt.Sprintf("pair %d is not name:secret (a comma-separated list of name:secret pairs)", n)
		case !clientName(name):
			return fmt.Sprintf("the name of pair %d may hold only letters, digits, '.', '_' and '-'", n)
		case seen[name]:
			return fmt.Sprintf("the name %q is listed twice", name)
		case len(secret) < minClientSecret:
			return fmt.Sprintf("the secret of %q is shorter than %d bytes (make one with: openssl rand -hex 16)", name, minClientSecret)
		case strings.ContainsFunc(secret, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
			return fmt.Sprintf("the secret of %q holds a space or a control character", name)
		}
		seen[name] = true
		clients = append(clients, IntrospectionClient{Name: name, Secret: Secret(secret)})
	}
	c.IntrospectionClients = clients
	return ""
}

func clientName(name string) bool {
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// parseOrigin returns an origin as browsers serialize it in the Origin
// header (lower case, no default port, no trailing slash), so that the
// CORS check can compare strings.
func parseOrigin(item string) (string, string) {
	u, err := url.Parse(item)
	if err == nil && u.User != nil {
		return "", "an origin must not contain a user name or password"
	}
	if err != nil || u.Scheme == "" || u.Opaque != "" || u.Hostname() == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery ||
		u.Fragment != "" || strings.Contains(item, "#") {
		return "", fmt.Sprintf("%q is not an origin like https://app.example.com or http://localhost:3000 (scheme, host and port only)", item)
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return u.Scheme + "://" + host, ""
}

// parseCookieDomain reads a DNS name, without a port; a leading dot, which
// RFC 6265 ignores, is dropped. An IP address is refused: a cookie's
// Domain cannot widen it to other hosts.
func parseCookieDomain(c *Config, raw string) string {
	d := strings.TrimPrefix(raw, ".")
	h, err := hosts.Parse(d)
	if err != nil || h.Port != 0 || strings.HasPrefix(h.Name, "[") || strings.Trim(h.Name, "0123456789.") == "" {
		return fmt.Sprintf("%q is not a domain like example.com (no scheme, port or IP address)", raw)
	}
	c.CookieDomain = h.Name
	return ""
}

func parseForwardAuthHosts(c *Config, raw string) string {
	var list []hosts.Host
	for item := range strings.SplitSeq(raw, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if strings.Contains(item, "://") {
			return fmt.Sprintf("%q: write the host only, like app.example.com or app.example.com:8443, without http:// or https://", item)
		}
		h, err := hosts.Parse(item)
		if err != nil {
			return fmt.Sprintf("%q %s; write hosts like app.example.com or app.example.com:8443", item, err)
		}
		list = append(list, h)
	}
	c.ForwardAuthHosts = list
	return ""
}

// checkTogether reports the rules that tie settings to each other. A
// setting that was itself invalid is skipped, so that one mistake gives
// one problem.
func checkTogether(c *Config, bad map[string]bool) []Problem {
	var problems []Problem
	ok := func(names ...string) bool {
		for _, n := range names {
			if bad[n] {
				return false
			}
		}
		return true
	}
	if ok(nameAccessTTL, nameRefreshTTL) && c.RefreshTokenTTL <= c.AccessTokenTTL {
		problems = append(problems, Problem{nameRefreshTTL, fmt.Sprintf(
			"%s must be longer than %s (%s)", short(c.RefreshTokenTTL), nameAccessTTL, short(c.AccessTokenTTL))})
	}
	if ok(nameRefreshTTL, nameAbsoluteTTL) && c.RefreshTokenTTL > c.SessionAbsoluteTTL {
		problems = append(problems, Problem{nameRefreshTTL, fmt.Sprintf(
			"%s must be at most %s (%s), as a refresh token never outlives its session",
			short(c.RefreshTokenTTL), nameAbsoluteTTL, short(c.SessionAbsoluteTTL))})
	}
	if ok(nameIdleTTL, nameAbsoluteTTL) && c.SessionAbsoluteTTL < c.SessionIdleTTL {
		problems = append(problems, Problem{nameAbsoluteTTL, fmt.Sprintf(
			"%s must be at least %s (%s)", short(c.SessionAbsoluteTTL), nameIdleTTL, short(c.SessionIdleTTL))})
	}
	if ok(nameAddr, nameMetricsAddr) && c.MetricsAddr != "" && c.MetricsAddr == c.Addr {
		if _, port, _ := net.SplitHostPort(c.Addr); port != "0" { // two ":0" listeners get two ports
			problems = append(problems, Problem{nameMetricsAddr, fmt.Sprintf(
				"%s is %s too: the metrics are served on a listener of their own, never on the public address", nameAddr, c.Addr)})
		}
	}
	if ok(nameBaseURL, nameCookieDomain) && c.CookieDomain != "" && c.BaseURL != nil {
		if host := strings.ToLower(c.BaseURL.Hostname()); host != c.CookieDomain && !strings.HasSuffix(host, "."+c.CookieDomain) {
			problems = append(problems, Problem{nameCookieDomain, fmt.Sprintf(
				"%s does not contain the base URL's host %s, so browsers would refuse the cookie: use %s or a domain it ends in",
				c.CookieDomain, host, host)})
		}
	}
	if ok(nameJWTAlg) && c.JWTAlg == "HS256" {
		switch {
		case !c.JWTSecret.IsSet():
			problems = append(problems, Problem{nameJWTSecret,
				"is required when " + nameJWTAlg + " is HS256: at least 32 random bytes (make one with: openssl rand -base64 32)"})
		case len(c.JWTSecret.Reveal()) < 32:
			problems = append(problems, Problem{nameJWTSecret,
				"is too short: HS256 needs at least 32 bytes (make one with: openssl rand -base64 32)"})
		}
	}
	return problems
}
