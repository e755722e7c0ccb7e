package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"sync"

	"github.com/danielgtaylor/huma/v2"
)

// routes registers every operation: the API surface at a glance.
//
// Each operation lists its error statuses itself (see problems) rather
// than in huma's Errors, for two reasons: huma adds a 422 to every
// operation with a parameter, which a path id never causes (a bad one is
// 404, DESIGN.md), and it cannot attach the headers some statuses carry.
func routes(a huma.API, mux *http.ServeMux, d Deps) {
	user := huma.Middlewares{requireUser(a, d)}
	problems := problemResponses(a)

	huma.Register(a, huma.Operation{
		OperationID: "register", Method: http.MethodPost, Path: "/api/users", Tags: []string{"users"},
		Summary:  "Register an account",
		Security: public, MaxBodyBytes: maxBody,
		DefaultStatus: http.StatusCreated,
		Responses:     problems(append(bodyErrors, http.StatusConflict, http.StatusTooManyRequests, http.StatusServiceUnavailable)...),
	}, handleRegister(d))
	huma.Register(a, huma.Operation{
		OperationID: "getMe", Method: http.MethodGet, Path: "/api/users/me", Tags: []string{"users"},
		Summary:  "Get the caller's profile",
		Security: userSecurity, Middlewares: user,
		Responses: problems(http.StatusUnauthorized),
	}, handleGetMe(d))
	huma.Register(a, huma.Operation{
		OperationID: "updateMe", Method: http.MethodPatch, Path: "/api/users/me", Tags: []string{"users"},
		Summary:  "Change the caller's username or email",
		Security: userSecurity, Middlewares: user, MaxBodyBytes: maxBody,
		Responses: problems(append(bodyErrors, http.StatusUnauthorized, http.StatusConflict)...),
	}, handleUpdateMe(d))
	huma.Register(a, huma.Operation{
		OperationID: "deleteMe", Method: http.MethodDelete, Path: "/api/users/me", Tags: []string{"users"},
		Summary:  "Delete the caller's account",
		Security: userSecurity, Middlewares: user, MaxBodyBytes: maxBody,
		DefaultStatus: http.StatusNoContent,
		Responses:     problems(append(bodyErrors, http.StatusUnauthorized)...),
	}, handleDeleteMe(d))
	huma.Register(a, huma.Operation{
		OperationID: "changePassword", Method: http.MethodPost, Path: "/api/users/me/password", Tags: []string{"users"},
		Summary:  "Change the caller's password; other sessions end",
		Security: userSecurity, Middlewares: user, MaxBodyBytes: maxBody,
		DefaultStatus: http.StatusNoContent,
		Responses:     problems(append(bodyErrors, http.StatusUnauthorized, http.StatusTooManyRequests)...),
	}, handleChangePassword(d))
	huma.Register(a, huma.Operation{
		OperationID: "beginTOTP", Method: http.MethodPost, Path: "/api/users/me/totp", Tags: []string{"users"},
		Summary: "Start setting up two-step verification",
		Description: "Answers the secret and its otpauth:// URL for an authenticator app; it is not on until confirmed with a code. " +
			"Starting again replaces a secret still waiting. 409 with code conflict when it is on already.",
		Security: userSecurity, Middlewares: user, MaxBodyBytes: maxBody,
		Responses: problems(append(bodyErrors, http.StatusUnauthorized, http.StatusConflict, http.StatusTooManyRequests)...),
	}, handleTOTPBegin(d))
	huma.Register(a, huma.Operation{
		OperationID: "confirmTOTP", Method: http.MethodPost, Path: "/api/users/me/totp/confirm", Tags: []string{"users"},
		Summary: "Turn two-step verification on with a current code",
		Description: "Answers the ten recovery codes, the only time they are shown. A wrong code is 422 naming code; " +
			"409 with code conflict when nothing waits for a code or it is on already.",
		Security: userSecurity, Middlewares: user, MaxBodyBytes: maxBody,
		Responses: problems(append(bodyErrors, http.StatusUnauthorized, http.StatusConflict)...),
	}, handleTOTPConfirm(d))
	huma.Register(a, huma.Operation{
		OperationID: "newRecoveryCodes", Method: http.MethodPost, Path: "/api/users/me/recovery-codes", Tags: []string{"users"},
		Summary:     "Replace the recovery codes",
		Description: "The old codes stop working. 409 with code conflict when two-step verification is off.",
		Security:    userSecurity, Middlewares: user, MaxBodyBytes: maxBody,
		Responses: problems(append(bodyErrors, http.StatusUnauthorized, http.StatusConflict, http.StatusTooManyRequests)...),
	}, handleNewRecoveryCodes(d))
	huma.Register(a, huma.Operation{
		OperationID: "disableTOTP", Method: http.MethodDelete, Path: "/api/users/me/totp", Tags: []string{"users"},
		Summary:     "Turn two-step verification off",
		Description: "Needs the password and a code from the app or a recovery code; wrong ones count against the account's login throttle.",
		Security:    userSecurity, Middlewares: user, MaxBodyBytes: maxBody,
		DefaultStatus: http.StatusNoContent,
		Responses:     problems(append(bodyErrors, http.StatusUnauthorized, http.StatusConflict, http.StatusTooManyRequests)...),
	}, handleTOTPDisable(d))
	huma.Register(a, huma.Operation{
		OperationID: "resendVerification", Method: http.MethodPost, Path: "/api/users/me/verification", Tags: []string{"users"},
		Summary:  "Mail the caller a new link to verify their address",
		Security: userSecurity, Middlewares: user,
		DefaultStatus: http.StatusAccepted,
		Responses:     problems(http.StatusUnauthorized, http.StatusTooManyRequests),
	}, handleResendVerification(d))
	huma.Register(a, huma.Operation{
		OperationID: "listMyEvents", Method: http.MethodGet, Path: "/api/users/me/events", Tags: []string{"users"},
		Summary: "List the caller's security activity, newest first",
		Description: "The audit events that concern the caller: their logins (and failed ones), logouts, password and address changes, " +
			"and what admins did to the account. A field without a value is null: actor_id for the command line or someone anonymous, " +
			"session_id, ip and user_agent when there was none; details is always an object.",
		Security: userSecurity, Middlewares: user,
		Responses: problems(http.StatusUnauthorized, http.StatusUnprocessableEntity),
	}, handleMyEvents(d))
	huma.Register(a, huma.Operation{
		OperationID: "exportMe", Method: http.MethodGet, Path: "/api/users/me/export", Tags: []string{"users"},
		Summary: "Download everything stored about the caller",
		Description: "One JSON document, as an attachment: the profile, every live session, every post and every audit event " +
			"that concerns the caller. Never a password hash, a token or a token's hash. It is written as it is read, a page at a time; " +
			"should the database fail midway the transfer ends incomplete rather than as a shorter document.",
		Security: userSecurity, Middlewares: user,
		Responses: withBody(problems(http.StatusUnauthorized), http.StatusOK, "The export",
			a.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[Export](), true, "Export")),
	}, handleExport(d))
	huma.Register(a, huma.Operation{
		OperationID: "requestPasswordReset", Method: http.MethodPost, Path: "/api/password-reset", Tags: []string{"users"},
		Summary:     "Mail a password reset link",
		Description: "Answers 202 with the same body whether or not the address has an account.",
		Security:    public, MaxBodyBytes: maxBody,
		DefaultStatus: http.StatusAccepted,
		Responses:     problems(append(bodyErrors, http.StatusTooManyRequests)...),
	}, handlePasswordReset(d))
	huma.Register(a, huma.Operation{
		OperationID: "confirmPasswordReset", Method: http.MethodPost, Path: "/api/password-reset/confirm", Tags: []string{"users"},
		Summary:     "Set a new password with a reset link's token; every session ends",
		Description: "A used, expired or unknown token is 400 with code invalid_token; a password the rules refuse is 422 and leaves the token good.",
		Security:    public, MaxBodyBytes: maxBody,
		DefaultStatus: http.StatusNoContent,
		Responses:     problems(append(bodyErrors, http.StatusServiceUnavailable)...),
	}, handlePasswordResetConfirm(d))
	if d.Auth.LoginLinks() {
		huma.Register(a, huma.Operation{
			OperationID: "requestLoginLink", Method: http.MethodPost, Path: "/api/login-link", Tags: []string{"users"},
			Summary: "Mail a sign-in link",
			Description: "Answers 202 with the same body whether or not the address has an account. Exchange the link's token at " +
				"/api/token with grant_type=urn:latchkey:grant-type:login-link. Absent (404) when LATCHKEY_LOGIN_LINKS is false.",
			Security: public, MaxBodyBytes: maxBody,
			DefaultStatus: http.StatusAccepted,
			Responses:     problems(append(bodyErrors, http.StatusTooManyRequests)...),
		}, handleLoginLink(d))
	}
	huma.Register(a, huma.Operation{
		OperationID: "getUser", Method: http.MethodGet, Path: "/api/users/{id}", Tags: []string{"users"},
		Summary:   "Get a user's public profile",
		Security:  public,
		Responses: problems(http.StatusNotFound),
	}, handleGetUser(d))

	huma.Register(a, huma.Operation{
		OperationID: "listSessions", Method: http.MethodGet, Path: "/api/sessions", Tags: []string{"sessions"},
		Summary:  "List the caller's active sessions",
		Security: userSecurity, Middlewares: user,
		Responses: problems(http.StatusUnauthorized, http.StatusUnprocessableEntity),
	}, handleListSessions(d))
	huma.Register(a, huma.Operation{
		OperationID: "revokeSession", Method: http.MethodDelete, Path: "/api/sessions/{id}", Tags: []string{"sessions"},
		Summary:  "Log one of the caller's sessions out",
		Security: userSecurity, Middlewares: user,
		DefaultStatus: http.StatusNoContent,
		Responses:     problems(http.StatusUnauthorized, http.StatusNotFound),
	}, handleRevokeSession(d))

	admin := huma.Middlewares{requireUser(a, d), requireAdmin(a)}
	huma.Register(a, huma.Operation{
		OperationID: "adminListUsers", Method: http.MethodGet, Path: "/api/admin/users", Tags: []string{"admin"},
		Summary:     "List users, newest first (admin)",
		Description: "disabled_at and last_seen_at are null when the account is active or no session of it is known.",
		Security:    userSecurity, Middlewares: admin,
		Responses: problems(http.StatusUnauthorized, http.StatusForbidden, http.StatusUnprocessableEntity),
	}, handleAdminUsers(d))
	huma.Register(a, huma.Operation{
		OperationID: "adminGetUser", Method: http.MethodGet, Path: "/api/admin/users/{id}", Tags: []string{"admin"},
		Summary:  "Get a user (admin)",
		Security: userSecurity, Middlewares: admin,
		Responses: problems(http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound),
	}, handleAdminGetUser(d))
	huma.Register(a, huma.Operation{
		OperationID: "adminUpdateUser", Method: http.MethodPatch, Path: "/api/admin/users/{id}", Tags: []string{"admin"},
		Summary: "Change a user's role, or disable or enable them (admin)",
		Description: "A new role counts from the user's next request; disabling ends every session of the user at once. " +
			"The last active admin cannot be demoted or disabled (409, code last_admin).",
		Security: userSecurity, Middlewares: admin, MaxBodyBytes: maxBody,
		Responses: problems(append(bodyErrors, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusConflict)...),
	}, handleAdminUpdateUser(d))
	huma.Register(a, huma.Operation{
		OperationID: "adminDeleteUser", Method: http.MethodDelete, Path: "/api/admin/users/{id}", Tags: []string{"admin"},
		Summary:     "Delete a user, their sessions and posts (admin)",
		Description: "The last active admin cannot be deleted (409, code last_admin).",
		Security:    userSecurity, Middlewares: admin,
		DefaultStatus: http.StatusNoContent,
		Responses:     problems(http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusConflict),
	}, handleAdminDeleteUser(d))
	huma.Register(a, huma.Operation{
		OperationID: "adminListUserSessions", Method: http.MethodGet, Path: "/api/admin/users/{id}/sessions", Tags: []string{"admin"},
		Summary:  "List a user's active sessions (admin)",
		Security: userSecurity, Middlewares: admin,
		Responses: problems(http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusUnprocessableEntity),
	}, handleAdminSessions(d))
	huma.Register(a, huma.Operation{
		OperationID: "adminRevokeUserSessions", Method: http.MethodDelete, Path: "/api/admin/users/{id}/sessions", Tags: []string{"admin"},
		Summary:  "Log a user out everywhere (admin)",
		Security: userSecurity, Middlewares: admin,
		DefaultStatus: http.StatusNoContent,
		Responses:     problems(http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound),
	}, handleAdminRevokeSessions(d))
	huma.Register(a, huma.Operation{
		OperationID: "adminRevokeUserSession", Method: http.MethodDelete, Path: "/api/admin/users/{id}/sessions/{sid}", Tags: []string{"admin"},
		Summary:     "Log one of a user's sessions out (admin)",
		Description: "Another user's session, or an unknown one, is 404.",
		Security:    userSecurity, Middlewares: admin,
		DefaultStatus: http.StatusNoContent,
		Responses:     problems(http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound),
	}, handleAdminRevokeSession(d))
	huma.Register(a, huma.Operation{
		OperationID: "adminSendPasswordReset", Method: http.MethodPost, Path: "/api/admin/users/{id}/password-reset", Tags: []string{"admin"},
		Summary: "Mail a user a password reset link (admin)",
		Description: "202 once the link is queued. A disabled account gets none: 409 with code account_disabled (enable it first). " +
			"The per-address limit on mail (one a minute, five an hour) is 429 with Retry-After.",
		Security: userSecurity, Middlewares: admin,
		DefaultStatus: http.StatusAccepted,
		Responses:     problems(http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusConflict, http.StatusTooManyRequests),
	}, handleAdminPasswordReset(d))
	huma.Register(a, huma.Operation{
		OperationID: "adminResetMFA", Method: http.MethodDelete, Path: "/api/admin/users/{id}/totp", Tags: []string{"admin"},
		Summary:     "Turn a user's two-step verification off (admin)",
		Description: "For a user who lost their phone and their recovery codes: the audit event mfa.reset. 409 with code conflict when it is off.",
		Security:    userSecurity, Middlewares: admin,
		DefaultStatus: http.StatusNoContent,
		Responses:     problems(http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusConflict),
	}, handleAdminResetMFA(d))
	huma.Register(a, huma.Operation{
		OperationID: "adminListEvents", Method: http.MethodGet, Path: "/api/admin/events", Tags: []string{"admin"},
		Summary:     "List the audit log, newest first (admin)",
		Description: "Filtered by type and by the user the events concern. An unknown type is 422 naming query.type.",
		Security:    userSecurity, Middlewares: admin,
		Responses: problems(http.StatusUnauthorized, http.StatusForbidden, http.StatusUnprocessableEntity),
	}, handleAdminEvents(d))

	huma.Register(a, huma.Operation{
		OperationID: "listPosts", Method: http.MethodGet, Path: "/api/posts", Tags: []string{"posts"},
		Summary:   "List posts, newest first",
		Security:  public,
		Responses: problems(http.StatusUnprocessableEntity),
	}, handleListPosts(d))
	huma.Register(a, huma.Operation{
		OperationID: "createPost", Method: http.MethodPost, Path: "/api/posts", Tags: []string{"posts"},
		Summary:  "Write a post",
		Security: userSecurity, Middlewares: user, MaxBodyBytes: maxBody,
		DefaultStatus: http.StatusCreated,
		Responses:     problems(append(bodyErrors, http.StatusUnauthorized)...),
	}, handleCreatePost(d))
	huma.Register(a, huma.Operation{
		OperationID: "getPost", Method: http.MethodGet, Path: "/api/posts/{id}", Tags: []string{"posts"},
		Summary:   "Get a post",
		Security:  public,
		Responses: problems(http.StatusNotFound),
	}, handleGetPost(d))
	huma.Register(a, huma.Operation{
		OperationID: "updatePost", Method: http.MethodPatch, Path: "/api/posts/{id}", Tags: []string{"posts"},
		Summary:  "Change a post (author or admin)",
		Security: userSecurity, Middlewares: user, MaxBodyBytes: maxBody,
		Responses: problems(append(bodyErrors, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound)...),
	}, handleUpdatePost(d))
	huma.Register(a, huma.Operation{
		OperationID: "deletePost", Method: http.MethodDelete, Path: "/api/posts/{id}", Tags: []string{"posts"},
		Summary:  "Delete a post (author or admin)",
		Security: userSecurity, Middlewares: user,
		DefaultStatus: http.StatusNoContent,
		Responses:     problems(http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound),
	}, handleDeletePost(d))
	huma.Register(a, huma.Operation{
		OperationID: "listUserPosts", Method: http.MethodGet, Path: "/api/users/{id}/posts", Tags: []string{"posts"},
		Summary:   "List a user's posts, newest first",
		Security:  public,
		Responses: problems(http.StatusNotFound, http.StatusUnprocessableEntity),
	}, handleListUserPosts(d))

	// The OAuth 2.0 endpoints speak RFC 6749, not problem details, and read
	// forms, and the key set is a document of its own type: plain handlers,
	// documented from their Go types (token.go, introspect.go, jwks.go).
	handle(a, mux, tokenOperation(a), handleToken(d))
	handle(a, mux, revokeOperation(a), handleRevoke(d))
	handle(a, mux, introspectOperation(a), handleIntrospect(d))
	handle(a, mux, jwksOperation(a), handleJWKS(d))

	mux.Handle("GET /openapi.json", handleOpenAPI(a))
}

// maxBody is every operation's body limit, MaxBodyBytes; huma refuses a
// body of exactly its limit, hence the +1.
const maxBody = MaxBodyBytes + 1

// userSecurity says an operation takes either security scheme; public is
// the security of one anyone may call, an empty list so that the document
// says so rather than leaving it unsaid.
var (
	userSecurity = []map[string][]string{{"oauth2": {}}, {"bearer": {}}}
	public       = []map[string][]string{}
)

// bodyErrors are what every operation with a JSON body may answer besides
// its own: a body that is not one JSON value, too large, not JSON, or
// with fields that fail validation.
var bodyErrors = []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity}

// responseHeaders are the headers that come with some statuses on every
// operation: RFC 6750's challenge with a 401, and when to come back with a
// 429 or a 503 (sent whenever the server knows; a database outage's 503
// has none).
var responseHeaders = map[int]map[string]*huma.Param{
	http.StatusUnauthorized: {"WWW-Authenticate": {Description: `The bearer challenge (RFC 6750): Bearer realm="latchkey", with error="invalid_token" when a token was sent but refused`,
		Required: true, Schema: &huma.Schema{Type: "string"}}},
	http.StatusTooManyRequests:    {"Retry-After": retryAfter},
	http.StatusServiceUnavailable: {"Retry-After": retryAfter},
}

var retryAfter = &huma.Param{Description: "Seconds until another attempt may succeed", Schema: &huma.Schema{Type: "integer"}}

// problemResponses returns a function that documents an operation's error
// statuses, and a 500, which any operation may answer: each a problem
// document (application/problem+json) with the headers its status
// carries. Each call returns a new map, since huma adds the operation's
// success response to it.
func problemResponses(a huma.API) func(statuses ...int) map[string]*huma.Response {
	schema := a.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[Problem](), true, "Problem")
	return func(statuses ...int) map[string]*huma.Response {
		rs := map[string]*huma.Response{}
		for _, status := range append(statuses, http.StatusInternalServerError) {
			rs[strconv.Itoa(status)] = &huma.Response{
				Description: http.StatusText(status),
				Headers:     responseHeaders[status],
				Content:     map[string]*huma.MediaType{"application/problem+json": {Schema: schema}},
			}
		}
		return rs
	}
}

// withBody documents an operation's success response, for one whose
// handler writes the body itself: huma knows no schema for it.
func withBody(rs map[string]*huma.Response, status int, description string, schema *huma.Schema) map[string]*huma.Response {
	rs[strconv.Itoa(status)] = &huma.Response{Description: description,
		Content: map[string]*huma.MediaType{"application/json": {Schema: schema}}}
	return rs
}

// handle serves a plain handler at its operation's method and path and
// lists the operation in the document, so that what is served and what is
// documented cannot drift apart.
func handle(a huma.API, mux *http.ServeMux, o *huma.Operation, h http.Handler) {
	mux.Handle(o.Method+" "+o.Path, h)
	a.OpenAPI().AddOperation(o)
}

func handleOpenAPI(a huma.API) http.Handler {
	doc := sync.OnceValues(func() ([]byte, error) { return json.Marshal(a.OpenAPI()) })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := doc()
		if err != nil {
			http.Error(w, "openapi: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/openapi+json")
		w.Write(b)
	})
}
