// Package forwardauth is GET /auth/verify, which a reverse proxy asks
// about each request before passing it to an app it protects with
// Latchkey's login: nginx's auth_request, Caddy's forward_auth, Traefik's
// ForwardAuth (DESIGN.md, "Other services and proxies").
//
// It is a transport of its own beside the JSON API and the pages, because
// it answers a proxy rather than a person or a client program: a status
// and headers, never a body, and it must cost no more than the session
// check itself, since the proxy asks it about every request. It uses the
// API's check of a bearer token and the pages' check of the session
// cookie, the auth.Service's, and so sees a logout or a disabled account
// at once.
//
// Its answers, for a proxy's configuration to rely on:
//
//   - 204, with X-Latchkey-User-Id, X-Latchkey-Username, X-Latchkey-Role
//     and X-Latchkey-Session-Id, for a live session (a bearer access token
//     in Authorization, else the session cookie);
//   - 403 for one whose user lacks the role asked for (?role=admin);
//   - 302 to the login page, with the original URL as next, for a
//     browser without a live session when the proxy asks for it
//     (?redirect=1) and says which URL that was (X-Forwarded-Method,
//     -Proto, -Host and -Uri), and only when the URL is a GET or HEAD on
//     the base URL's host or one of LATCHKEY_FORWARD_AUTH_HOSTS;
//   - 401 otherwise without a live session, with the RFC 6750 challenge;
//   - 400 for a query it does not understand: a parameter other than role
//     and redirect, a role other than user and admin, redirect other than
//     1, or one of them twice. That is a mistake in the proxy's
//     configuration, and guessing would fail open: "?rol=admin" read as
//     no role at all would let every user into an admin area;
//   - 503 with Retry-After when the database cannot say.
package forwardauth

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/clientip"
	"github.com/latchkey/latchkey/internal/hosts"
	"github.com/latchkey/latchkey/internal/sessioncookie"
)

// The headers of a 204, which the proxy copies onto the request it passes
// to the app (and must remove from what the client sent).
const (
	HeaderUserID    = "X-Latchkey-User-Id"
	HeaderUsername  = "X-Latchkey-Username"
	HeaderRole      = "X-Latchkey-Role"
	HeaderSessionID = "X-Latchkey-Session-Id"
)

// Deps are what the endpoint needs.
type Deps struct {
	Auth     *auth.Service
	Log      *slog.Logger
	ClientIP clientip.Resolver
	Cookies  sessioncookie.Jar
	// BaseURL is Latchkey's public URL: the redirect is to its login page,
	// absolute, as the browser that follows it is on the app's host.
	BaseURL *url.URL
	// Hosts are the hosts the original URL may be on for a redirect: the
	// base URL's and LATCHKEY_FORWARD_AUTH_HOSTS.
	Hosts hosts.List
}

// Handler returns GET /auth/verify.
func Handler(d Deps) http.Handler {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	login := "/login"
	if d.BaseURL != nil {
		login = d.BaseURL.JoinPath("login").String()
	}
	return &handler{Deps: d, login: login + "?next="}
}

type handler struct {
	Deps
	login string // the login page's URL up to next's value
}

// statusOf is the one table from a flow's error code to this endpoint's
// status. Every other error is a 500.
var statusOf = map[auth.Code]int{
	auth.CodeInvalidToken: http.StatusUnauthorized,
	auth.CodeUnavailable:  http.StatusServiceUnavailable,
}

// errNoCredentials is a request with neither a bearer token nor the
// session cookie: 401 like a dead one, without RFC 6750's invalid_token.
var errNoCredentials = &auth.Error{Code: auth.CodeInvalidToken, Message: "no credentials"}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Cache-Control", "no-store") // an answer about one visitor, asked again for every request
	q, ok := parseQuery(r.URL.RawQuery)
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	p, bearer, err := h.authenticate(r)
	if err == nil {
		if q.role == auth.RoleAdmin && p.User.Role != auth.RoleAdmin {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		hdr.Set(HeaderUserID, p.User.ID)
		hdr.Set(HeaderUsername, p.User.Username)
		hdr.Set(HeaderRole, string(p.User.Role))
		hdr.Set(HeaderSessionID, p.Session.ID)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	status, ok := statusOf[auth.ErrorCode(err)]
	if !ok {
		status = http.StatusInternalServerError
	}
	switch status {
	case http.StatusUnauthorized:
		// A program that sent a token it should refresh is better served
		// by the 401 than by a login page.
		if q.redirect && !bearer {
			if target, ok := h.original(r); ok {
				hdr.Set("Location", h.login+url.QueryEscape(target))
				w.WriteHeader(http.StatusFound)
				return
			}
		}
		challenge := `Bearer realm="latchkey"`
		if err != errNoCredentials { //nolint:errorlint // the one value, never wrapped
			h.Log.DebugContext(r.Context(), "forward auth refused", "err", err)
			challenge += `, error="invalid_token"`
		}
		hdr.Set("WWW-Authenticate", challenge)
	case http.StatusServiceUnavailable:
		h.Log.WarnContext(r.Context(), "forward auth: session check failed", "err", err)
		hdr.Set("Retry-After", "1")
	default:
		h.Log.ErrorContext(r.Context(), "forward auth failed", "err", err)
	}
	w.WriteHeader(status)
}

// query is what a proxy's configuration asks of the endpoint.
type query struct {
	role     auth.Role // "" or RoleUser: any user; RoleAdmin: admins only
	redirect bool      // send a browser without a session to the login page
}

// parseQuery reads the query, or reports false for anything it does not
// understand (see the package comment).
func parseQuery(raw string) (query, bool) {
	var q query
	if raw == "" {
		return q, true
	}
	values, err := url.ParseQuery(raw)
	if err != nil {
		return q, false
	}
	for k, vs := range values {
		if len(vs) != 1 {
			return q, false
		}
		switch v := vs[0]; {
		case k == "role" && (v == string(auth.RoleUser) || v == string(auth.RoleAdmin)):
			q.role = auth.Role(v)
		case k == "redirect" && v == "1":
			q.redirect = true
		default:
			return q, false
		}
	}
	return q, true
}

// authenticate checks the bearer token in Authorization if there is one
// (and reports true), else the session cookie, as the API does.
func (h *handler) authenticate(r *http.Request) (*auth.Principal, bool, error) {
	c := auth.Client{IP: h.ClientIP.IP(r), UserAgent: r.UserAgent()}
	if vs := r.Header.Values("Authorization"); len(vs) > 0 {
		scheme, token, _ := strings.Cut(vs[0], " ")
		token = strings.TrimSpace(token)
		if len(vs) > 1 || !strings.EqualFold(scheme, "Bearer") || token == "" {
			return nil, true, fmt.Errorf("%w: not one bearer token in Authorization", auth.ErrInvalidToken)
		}
		p, err := h.Auth.AuthorizeAccessToken(r.Context(), token, c)
		return p, true, err
	}
	if !h.Cookies.Has(r) {
		return nil, false, errNoCredentials
	}
	p, err := h.Auth.AuthorizeCookie(r.Context(), h.Cookies.Read(r), c)
	return p, false, err
}

// original is the URL the proxy was asked for, from its X-Forwarded-*
// headers, when a browser may be sent back to it after logging in: each
// header there once, without a control character, the method GET or HEAD
// (a form posted without a session cannot be replayed after the login),
// the scheme http or https, the host a host and the URI a path, and the
// whole an absolute URL on one of h.Hosts.
func (h *handler) original(r *http.Request) (string, bool) {
	method, ok1 := single(r.Header, "X-Forwarded-Method")
	proto, ok2 := single(r.Header, "X-Forwarded-Proto")
	host, ok3 := single(r.Header, "X-Forwarded-Host")
	uri, ok4 := single(r.Header, "X-Forwarded-Uri")
	if !ok1 || !ok2 || !ok3 || !ok4 || (method != http.MethodGet && method != http.MethodHead) {
		return "", false
	}
	proto = strings.ToLower(proto)
	if proto != "http" && proto != "https" || !strings.HasPrefix(uri, "/") {
		return "", false
	}
	if _, err := hosts.Parse(host); err != nil {
		return "", false
	}
	return h.Hosts.URL(proto + "://" + host + uri)
}

// single returns the one value of a header, or false when it is missing,
// empty, sent more than once or has a control character (a tab
// included, which net/http lets through).
func single(h http.Header, name string) (string, bool) {
	vs := h.Values(name)
	if len(vs) != 1 || vs[0] == "" || strings.ContainsFunc(vs[0], func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", false
	}
	return vs[0], true
}
