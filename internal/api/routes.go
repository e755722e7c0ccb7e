package api

import (
	"encoding/json"
	"net/http"
	"sync"

	"github.com/danielgtaylor/huma/v2"
)

// Errors every operation with a body may answer besides its own.
var bodyErrors = []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType}

// routes registers every operation: the API surface at a glance.
func routes(a huma.API, mux *http.ServeMux, d Deps) {
	user := huma.Middlewares{requireUser(a, d)}

	huma.Register(a, op("register", "POST", "/api/users", "Register an account", "users", nil,
		http.StatusCreated, append(bodyErrors, http.StatusConflict, http.StatusTooManyRequests, http.StatusServiceUnavailable)), handleRegister(d))
	huma.Register(a, op("getMe", "GET", "/api/users/me", "Get the caller's profile", "users", user, 0,
		[]int{http.StatusUnauthorized}), handleGetMe(d))
	huma.Register(a, op("updateMe", "PATCH", "/api/users/me", "Change the caller's username or email", "users", user, 0,
		append(bodyErrors, http.StatusUnauthorized, http.StatusConflict)), handleUpdateMe(d))
	huma.Register(a, op("deleteMe", "DELETE", "/api/users/me", "Delete the caller's account", "users", user, http.StatusNoContent,
		append(bodyErrors, http.StatusUnauthorized)), handleDeleteMe(d))
	huma.Register(a, op("changePassword", "POST", "/api/users/me/password", "Change the caller's password; other sessions end", "users", user, http.StatusNoContent,
		append(bodyErrors, http.StatusUnauthorized, http.StatusTooManyRequests)), handleChangePassword(d))
	huma.Register(a, op("getUser", "GET", "/api/users/{id}", "Get a user's public profile", "users", nil, 0,
		[]int{http.StatusNotFound}), handleGetUser(d))
	huma.Register(a, op("listSessions", "GET", "/api/sessions", "List the caller's active sessions", "sessions", user, 0,
		[]int{http.StatusUnauthorized}), handleListSessions(d))
	huma.Register(a, op("revokeSession", "DELETE", "/api/sessions/{id}", "Log one of the caller's sessions out", "sessions", user, http.StatusNoContent,
		[]int{http.StatusUnauthorized, http.StatusNotFound}), handleRevokeSession(d))

	blogRoutes(a, d)

	// A path id is a plain string, never refused by validation: a bad one
	// is 404 (DESIGN.md), so the 422 huma lists for parameters is false.
	paths := a.OpenAPI().Paths
	for _, o := range []*huma.Operation{paths["/api/users/{id}"].Get, paths["/api/sessions/{id}"].Delete,
		paths["/api/posts/{id}"].Get, paths["/api/posts/{id}"].Delete} {
		delete(o.Responses, "422")
	}

	// The OAuth 2.0 endpoints speak RFC 6749, not problem details, and read
	// forms: plain handlers, documented from their Go types in token.go.
	mux.Handle("POST /api/token", handleToken(d))
	mux.Handle("POST /api/token/revoke", handleRevoke(d))
	documentTokenEndpoints(a)

	mux.Handle("GET /.well-known/jwks.json", handleJWKS(d))
	mux.Handle("GET /openapi.json", handleOpenAPI(a))
	documentHeaders(a)
}

// responseHeaders are the headers that come with some statuses on every
// operation: RFC 6750's challenge with a 401, and when to come back with a
// 429 or a 503 (sent whenever the server knows; a database outage's 503
// has none).
var responseHeaders = map[string]map[string]*huma.Param{
	"401": {"WWW-Authenticate": {Description: `The bearer challenge (RFC 6750): Bearer realm="latchkey", with error="invalid_token" when a token was sent but refused`,
		Required: true, Schema: &huma.Schema{Type: "string"}}},
	"429": {"Retry-After": {Description: "Seconds until another attempt may succeed", Schema: &huma.Schema{Type: "integer"}}},
	"503": {"Retry-After": {Description: "Seconds until another attempt may succeed", Schema: &huma.Schema{Type: "integer"}}},
}

// documentHeaders adds responseHeaders to every operation's responses of
// those statuses, so clients generated from the document know to read
// them.
func documentHeaders(a huma.API) {
	for _, item := range a.OpenAPI().Paths {
		for _, o := range []*huma.Operation{item.Get, item.Post, item.Put, item.Patch, item.Delete} {
			if o == nil {
				continue
			}
			for code, headers := range responseHeaders {
				r, ok := o.Responses[code]
				if !ok {
					continue
				}
				withHeaders := *r // responses may be shared between statuses
				withHeaders.Headers = map[string]*huma.Param{}
				for k, v := range r.Headers {
					withHeaders.Headers[k] = v
				}
				for k, v := range headers {
					withHeaders.Headers[k] = v
				}
				o.Responses[code] = &withHeaders
			}
		}
	}
}

// op declares an operation. Operations with user middleware require a
// token; every body is limited to MaxBodyBytes (huma refuses a body of
// exactly its limit, hence the +1).
func op(id, method, path, summary, tag string, mw huma.Middlewares, status int, errs []int) huma.Operation {
	o := huma.Operation{
		OperationID:   id,
		Method:        method,
		Path:          path,
		Summary:       summary,
		Tags:          []string{tag},
		DefaultStatus: status,
		Errors:        errs,
		MaxBodyBytes:  MaxBodyBytes + 1,
		Middlewares:   mw,
	}
	if mw != nil {
		o.Security = userSecurity
	}
	return o
}

func handleJWKS(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		// Verifiers cache the keys; a rotation is published within 60 s,
		// so caching them a few minutes is safe enough and saves requests.
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write(d.JWKS())
	})
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
