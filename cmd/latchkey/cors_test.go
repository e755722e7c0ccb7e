package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	neturl "net/url"
	"strings"
	"testing"
)

// TestCORSOriginIsNoCSRFExemption: an origin in LATCHKEY_CORS_ORIGINS gets
// CORS headers for the bearer calls an SPA makes, but a request from it that
// carries the session cookie is refused like any other cross-origin one: a
// script on that origin (or an attacker who controls it) must not be able
// to write with a visitor's browser session.
func TestCORSOriginIsNoCSRFExemption(t *testing.T) {
	const spa = "http://spa.example"
	url, _ := startServer(t, testEnv(t, "LATCHKEY_CORS_ORIGINS", spa))
	register(t, url, "alice")
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if res := send(t, browser, "POST", url+"/login", "application/x-www-form-urlencoded",
		neturl.Values{"identifier": {"alice"}, "password": {testPassword}}.Encode()); res.status != http.StatusSeeOther {
		t.Fatalf("log in: %d", res.status)
	}

	// The session cookie from the SPA's origin, by a browser that sends
	// Fetch Metadata and by an older one that sends only Origin.
	post := neturl.Values{"title": {"Planted"}, "body": {"by another origin"}}.Encode()
	for _, fetchSite := range []string{"cross-site", ""} {
		res := send(t, browser, "POST", url+"/posts/new", "application/x-www-form-urlencoded", post,
			"Origin", spa, "Sec-Fetch-Site", fetchSite)
		if res.status != http.StatusForbidden {
			t.Errorf("POST /posts/new with the cookie from %s (Sec-Fetch-Site %q): %d, want 403", spa, fetchSite, res.status)
		}
		res = send(t, browser, "PATCH", url+"/api/users/me", "application/json", `{"username":"mallory"}`,
			"Origin", spa, "Sec-Fetch-Site", fetchSite)
		if res.status != http.StatusForbidden {
			t.Errorf("PATCH /api/users/me with the cookie from %s (Sec-Fetch-Site %q): %d, want 403", spa, fetchSite, res.status)
		}
	}
	if res := send(t, http.DefaultClient, "GET", url+"/api/posts", "", ""); strings.Contains(res.body, "Planted") {
		t.Error("a post was created from the SPA's origin with the session cookie")
	}
	// The same cookie from Latchkey's own pages still writes: the refusals
	// above are the origin's doing.
	if res := send(t, browser, "POST", url+"/posts/new", "application/x-www-form-urlencoded", post,
		"Sec-Fetch-Site", "same-origin"); res.status != http.StatusSeeOther {
		t.Fatalf("POST /posts/new from the site itself: %d", res.status)
	}

	// What the SPA itself does works from its origin and carries CORS
	// headers, without credentials: the token endpoint, bearer calls
	// without the cookie, and revoking its refresh token.
	spaFetch := []string{"Origin", spa, "Sec-Fetch-Site", "cross-site"}
	res := send(t, http.DefaultClient, "POST", url+"/api/token", "application/x-www-form-urlencoded",
		neturl.Values{"username": {"alice"}, "password": {testPassword}}.Encode(), spaFetch...)
	allowed(t, "POST /api/token", res, http.StatusOK, spa)
	var tok pair
	if err := json.Unmarshal([]byte(res.body), &tok); err != nil {
		t.Fatal(err)
	}
	res = send(t, http.DefaultClient, "PATCH", url+"/api/users/me", "application/json", `{"username":"Alice"}`,
		append(spaFetch, "Authorization", "Bearer "+tok.AccessToken)...)
	allowed(t, "PATCH /api/users/me with a bearer token", res, http.StatusOK, spa)
	res = send(t, http.DefaultClient, "POST", url+"/api/token/revoke", "application/x-www-form-urlencoded",
		neturl.Values{"token": {tok.RefreshToken}}.Encode(), spaFetch...)
	allowed(t, "POST /api/token/revoke", res, http.StatusOK, spa)
}

// TestSPARegistersFromItsOrigin: an SPA on an origin in
// LATCHKEY_CORS_ORIGINS registers at POST /api/users with no cookie and no
// token, which rides on nobody's session and so is no CSRF; the same
// request carrying a visitor's session cookie is refused, and so are the
// pages' login and registration forms from another site, cookie or not
// (login CSRF would sign the visitor in as the attacker).
func TestSPARegistersFromItsOrigin(t *testing.T) {
	const spa = "http://spa.example"
	url, _ := startServer(t, testEnv(t, "LATCHKEY_CORS_ORIGINS", spa))
	spaFetch := []string{"Origin", spa, "Sec-Fetch-Site", "cross-site"}
	account := func(name string) string {
		return `{"username":"` + name + `","email":"` + name + `@example.com","password":"` + testPassword + `"}`
	}
	exists := func(name string) bool {
		res := send(t, http.DefaultClient, "POST", url+"/api/token", "application/x-www-form-urlencoded",
			neturl.Values{"username": {name}, "password": {testPassword}}.Encode())
		return res.status == http.StatusOK
	}

	res := send(t, http.DefaultClient, "POST", url+"/api/users", "application/json", account("bob"), spaFetch...)
	allowed(t, "POST /api/users without a cookie", res, http.StatusCreated, spa)
	if !exists("bob") {
		t.Fatal("the account registered from the SPA's origin cannot log in")
	}
	// An older browser sends Origin alone.
	res = send(t, http.DefaultClient, "POST", url+"/api/users", "application/json", account("carol"), "Origin", spa)
	allowed(t, "POST /api/users without a cookie (Origin only)", res, http.StatusCreated, spa)

	// The same request from a browser signed in to Latchkey carries the
	// session cookie (if SameSite lets it through): refused.
	register(t, url, "alice")
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if res := send(t, browser, "POST", url+"/login", "application/x-www-form-urlencoded",
		neturl.Values{"identifier": {"alice"}, "password": {testPassword}}.Encode()); res.status != http.StatusSeeOther {
		t.Fatalf("log in: %d", res.status)
	}
	for _, fetchSite := range []string{"cross-site", ""} {
		res = send(t, browser, "POST", url+"/api/users", "application/json", account("dave"), "Origin", spa, "Sec-Fetch-Site", fetchSite)
		if res.status != http.StatusForbidden {
			t.Errorf("POST /api/users with the cookie from %s (Sec-Fetch-Site %q): %d, want 403", spa, fetchSite, res.status)
		}
		res = send(t, browser, "PATCH", url+"/api/users/me", "application/json", `{"username":"mallory"}`, "Origin", spa, "Sec-Fetch-Site", fetchSite)
		if res.status != http.StatusForbidden {
			t.Errorf("PATCH /api/users/me with the cookie from %s (Sec-Fetch-Site %q): %d, want 403", spa, fetchSite, res.status)
		}
	}
	if exists("dave") {
		t.Error("an account was registered from the SPA's origin with the session cookie")
	}

	// The pages' forms, from another site and without a cookie.
	for _, origin := range []string{spa, "https://evil.example"} {
		for _, fetchSite := range []string{"cross-site", ""} {
			res = send(t, http.DefaultClient, "POST", url+"/login", "application/x-www-form-urlencoded",
				neturl.Values{"identifier": {"alice"}, "password": {testPassword}}.Encode(), "Origin", origin, "Sec-Fetch-Site", fetchSite)
			if res.status != http.StatusForbidden || len(res.header.Values("Set-Cookie")) > 0 {
				t.Errorf("POST /login from %s (Sec-Fetch-Site %q): %d %v, want 403 without a cookie", origin, fetchSite, res.status, res.header.Values("Set-Cookie"))
			}
			res = send(t, http.DefaultClient, "POST", url+"/register", "application/x-www-form-urlencoded",
				neturl.Values{"username": {"erin"}, "email": {"erin@example.com"}, "password": {testPassword}, "confirm_password": {testPassword}}.Encode(),
				"Origin", origin, "Sec-Fetch-Site", fetchSite)
			if res.status != http.StatusForbidden || len(res.header.Values("Set-Cookie")) > 0 {
				t.Errorf("POST /register from %s (Sec-Fetch-Site %q): %d, want 403 without a cookie", origin, fetchSite, res.status)
			}
		}
	}
	if exists("erin") {
		t.Error("an account was registered through the page from another site")
	}

	// A site that is not an SPA origin cannot even send the JSON: a body
	// a browser sends without the CORS preflight (text/plain) is refused.
	res = send(t, http.DefaultClient, "POST", url+"/api/users", "text/plain", account("frank"),
		"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	if res.status != http.StatusUnsupportedMediaType || exists("frank") {
		t.Errorf("POST /api/users as text/plain: %d, want 415 and no account", res.status)
	}
}

// answer is a response read to the end.
type answer struct {
	status int
	header http.Header
	body   string
}

// send makes one request with a body of contentType (none when empty) and
// headers given as name, value pairs; a header with an empty value is not
// sent. "Host" sets the request's Host (net/http ignores it as a header).
func send(t *testing.T, c *http.Client, method, url, contentType, body string, headers ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		switch {
		case headers[i+1] == "":
		case headers[i] == "Host":
			req.Host = headers[i+1]
		default:
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header, string(b)}
}

// allowed fails the test unless res has the status and lets origin read it
// without credentials.
func allowed(t *testing.T, what string, res answer, status int, origin string) {
	t.Helper()
	if res.status != status {
		t.Fatalf("%s from %s: %d, want %d: %s", what, origin, res.status, status, res.body)
	}
	if got := res.header.Get("Access-Control-Allow-Origin"); got != origin {
		t.Errorf("%s: Access-Control-Allow-Origin %q, want %q", what, got, origin)
	}
	if res.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("%s: credentials allowed cross-origin", what)
	}
}
