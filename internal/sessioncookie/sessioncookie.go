// Package sessioncookie reads and writes the browser session cookie, in
// one place, so the pages and the JSON API agree on its name and flags.
package sessioncookie

import (
	"net/http"
	"net/url"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

// Jar knows the cookie's name and flags for one deployment.
type Jar struct {
	secure bool
	domain string // the cookie's Domain; "" for the base URL's host only
}

// New returns the jar for a base URL and a cookie domain
// (LATCHKEY_COOKIE_DOMAIN; "" for none). Over HTTPS the cookie is Secure
// and carries the __Host- prefix, which browsers accept only from a
// secure origin, for Path=/ and without a Domain, so no sibling subdomain
// can set or shadow it. With a domain, the cookie goes to every host in it,
// so that the apps behind forward authentication receive it: it has a
// Domain then, which __Host- forbids, and over HTTPS it carries the
// __Secure- prefix instead, which still keeps a page served over plain
// HTTP from setting it.
func New(baseURL *url.URL, domain string) Jar {
	return Jar{secure: baseURL != nil && baseURL.Scheme == "https", domain: domain}
}

// Name is the cookie's name.
func (j Jar) Name() string {
	switch {
	case j.secure && j.domain != "":
		return "__Secure-latchkey_session"
	case j.secure:
		return "__Host-latchkey_session"
	}
	return "latchkey_session"
}

// Read returns the session token a request carries, or "".
func (j Jar) Read(r *http.Request) string {
	c, err := r.Cookie(j.Name())
	if err != nil {
		return ""
	}
	return c.Value
}

// Has reports whether a request carries the session cookie at all.
func (j Jar) Has(r *http.Request) bool {
	_, err := r.Cookie(j.Name())
	return err == nil
}

// Cookie returns the cookie for a session's token. A session without
// "remember me" gets a cookie without Max-Age, which the browser forgets
// when it closes; a remembered one lasts until the session's absolute end.
func (j Jar) Cookie(token string, ss *auth.Session, now time.Time) *http.Cookie {
	c := j.base(token)
	if ss.Remember {
		c.MaxAge = int(ss.ExpiresAt.Sub(now) / time.Second)
	}
	return c
}

// Set writes the cookie for a session's token.
func (j Jar) Set(w http.ResponseWriter, token string, ss *auth.Session, now time.Time) {
	http.SetCookie(w, j.Cookie(token, ss, now))
}

// Clear tells the browser to drop the cookie. It names the same Domain as
// the cookie, or the browser would keep it.
func (j Jar) Clear(w http.ResponseWriter) {
	c := j.base("")
	c.MaxAge = -1
	http.SetCookie(w, c)
}

func (j Jar) base(value string) *http.Cookie {
	return &http.Cookie{
		Name:     j.Name(),
		Value:    value,
		Path:     "/",
		Domain:   j.domain,
		HttpOnly: true,
		Secure:   j.secure,
		SameSite: http.SameSiteLaxMode,
	}
}
