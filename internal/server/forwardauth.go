package server

import (
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/latchkey/latchkey/internal/forwardauth"
)

// forwardAuthDoc is GET /auth/verify's entry in the API's document
// (package forwardauth has the endpoint), so that whoever configures a
// proxy finds what it answers beside the rest of the surface. It has no
// body in any answer, only statuses and headers.
func forwardAuthDoc() *huma.Operation {
	str := func(description string) *huma.Param {
		return &huma.Param{Description: description, Schema: &huma.Schema{Type: "string"}}
	}
	header := func(name, description string) *huma.Param {
		p := str(description)
		p.Name, p.In = name, "header"
		return p
	}
	return &huma.Operation{
		OperationID: "forward-auth-verify", Method: http.MethodGet, Path: "/auth/verify", Tags: []string{"forward auth"},
		Summary: "Whether a reverse proxy may pass a request on (nginx auth_request, Caddy forward_auth, Traefik ForwardAuth)",
		Description: "Checks the bearer access token in Authorization, or else the session cookie, on every call " +
			"(a logout or a disabled account counts at once). Any query parameter other than these two, or a value " +
			"other than these, is a mistake in the proxy's configuration and answered 400.",
		Security: []map[string][]string{{"bearer": {}}, {}},
		Parameters: []*huma.Param{
			{Name: "role", In: "query", Description: "The role required: user (any user, the default) or admin.",
				Schema: &huma.Schema{Type: "string", Enum: []any{"user", "admin"}}},
			{Name: "redirect", In: "query", Description: "1: send a browser without a session to the login page (302) " +
				"instead of answering 401, with the URL the proxy was asked for as next, when the four X-Forwarded " +
				"headers name a GET or HEAD on the base URL's host or one of LATCHKEY_FORWARD_AUTH_HOSTS.",
				Schema: &huma.Schema{Type: "string", Enum: []any{"1"}}},
			header("X-Forwarded-Method", "The original request's method (for redirect=1)."),
			header("X-Forwarded-Proto", "The original request's scheme, http or https (for redirect=1)."),
			header("X-Forwarded-Host", "The original request's host and port (for redirect=1)."),
			header("X-Forwarded-Uri", "The original request's path and query (for redirect=1)."),
		},
		Responses: map[string]*huma.Response{
			"204": {Description: "A live session: the proxy passes the request on with these headers (and removes any the client sent).",
				Headers: map[string]*huma.Param{
					forwardauth.HeaderUserID:    str("The user's id."),
					forwardauth.HeaderUsername:  str("The user's username, as typed."),
					forwardauth.HeaderRole:      str("user or admin."),
					forwardauth.HeaderSessionID: str("The session's id."),
				}},
			"302": {Description: "No live session, redirect=1: to the login page, with the original URL as next.",
				Headers: map[string]*huma.Param{"Location": str("The login page's absolute URL.")}},
			"400": {Description: "A query parameter or value it does not understand."},
			"401": {Description: "No live session (and no redirect).",
				Headers: map[string]*huma.Param{"WWW-Authenticate": str(`Bearer realm="latchkey", with error="invalid_token" when credentials were sent.`)}},
			"403": {Description: "A live session whose user lacks the role asked for."},
			"503": {Description: "The database cannot say; try again.",
				Headers: map[string]*huma.Param{"Retry-After": str("Seconds to wait.")}},
		},
	}
}
