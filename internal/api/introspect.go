package api

import (
	"net/http"
	"net/url"
	"reflect"

	"github.com/danielgtaylor/huma/v2"
	"github.com/latchkey/latchkey/internal/auth"
)

// IntrospectRequest is the introspection endpoint's form (RFC 7662 §2.1).
type IntrospectRequest struct {
	Token         string `json:"token" doc:"An access token or a refresh token"`
	TokenTypeHint string `json:"token_type_hint,omitempty" enum:"access_token,refresh_token" doc:"Ignored: Latchkey tells the two apart itself"`
}

// IntrospectResponse is the introspection endpoint's answer (RFC 7662
// §2.2). A token that is not active has active false and nothing else.
type IntrospectResponse struct {
	Active bool `json:"active"`
	// Scope is a pointer so that an active token's empty scope is written.
	Scope     *string `json:"scope,omitempty" doc:"Always empty: Latchkey has no scopes"`
	TokenType string  `json:"token_type,omitempty" enum:"bearer,N_A" doc:"bearer for an access token; N_A (RFC 8693: no access token type applies) for a refresh token, which no resource server should accept"`
	Sub       string  `json:"sub,omitempty" format:"uuid" doc:"The user's id"`
	Username  string  `json:"username,omitempty"`
	Role      string  `json:"role,omitempty" enum:"user,admin" doc:"The user's role now"`
	SID       string  `json:"sid,omitempty" format:"uuid" doc:"The session's id"`
	Iss       string  `json:"iss,omitempty"`
	Aud       string  `json:"aud,omitempty" doc:"The access tokens' audience; Latchkey itself (the issuer) for a refresh token"`
	Iat       int64   `json:"iat,omitempty" doc:"When the token was issued, in seconds since 1970"`
	Exp       int64   `json:"exp,omitempty" doc:"When the token expires, in seconds since 1970"`
}

// introspectionChallenge is the WWW-Authenticate of a 401: the endpoint
// takes HTTP Basic, not the bearer tokens of the rest of the API.
const introspectionChallenge = `Basic realm="latchkey", charset="UTF-8"`

// handleIntrospect is the RFC 7662 introspection endpoint, for resource
// servers that must see a revocation before a token's exp. The caller is
// authenticated before its body is read, so that without credentials
// every request gets the same 401.
func handleIntrospect(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !introspectionClient(d, r) {
			w.Header().Set("WWW-Authenticate", introspectionChallenge)
			writeOAuth(w, nil, oauthError(http.StatusUnauthorized, "invalid_client",
				"Authenticate with HTTP Basic as one of LATCHKEY_INTROSPECTION_CLIENTS."))
			return
		}
		form, oerr := readForm(w, r)
		if oerr != nil {
			writeOAuth(w, nil, oerr)
			return
		}
		if form.Get("token") == "" {
			writeOAuth(w, nil, oauthError(400, "invalid_request", "Send the token to introspect."))
			return
		}
		in, err := d.Auth.Introspect(r.Context(), form.Get("token"))
		if err != nil {
			writeOAuth(w, nil, oauthErrorOf(r, d, err))
			return
		}
		writeOAuth(w, introspectResponse(in), nil)
	})
}

// introspectionClient reports whether r carries the HTTP Basic
// credentials of an introspection client. OAuth clients form-encode their
// id and secret before they join them (RFC 6749 §2.3.1), as
// golang.org/x/oauth2 does, and other tools (curl -u) send them as they
// are; the secret is accepted in either form. Names are only letters,
// digits and ".-_", which the encoding leaves alone.
func introspectionClient(d Deps, r *http.Request) bool {
	name, secret, ok := r.BasicAuth()
	if !ok || name == "" {
		return false
	}
	if d.Auth.IntrospectionClient(name, secret) {
		return true
	}
	decoded, err := url.QueryUnescape(secret)
	return err == nil && decoded != secret && d.Auth.IntrospectionClient(name, decoded)
}

func introspectResponse(in *auth.Introspection) *IntrospectResponse {
	if !in.Active {
		return &IntrospectResponse{}
	}
	scope := ""
	return &IntrospectResponse{
		Active:    true,
		Scope:     &scope,
		TokenType: in.TokenType,
		Sub:       in.UserID,
		Username:  in.Username,
		Role:      string(in.Role),
		SID:       in.SessionID,
		Iss:       in.Issuer,
		Aud:       in.Audience,
		Iat:       in.IssuedAt.Unix(),
		Exp:       in.ExpiresAt.Unix(),
	}
}

func introspectOperation(a huma.API) *huma.Operation {
	o := &huma.Operation{
		OperationID: "introspectToken", Method: http.MethodPost, Path: "/api/token/introspect", Tags: []string{"tokens"},
		Summary: "Ask whether a token is good now (RFC 7662), for resource servers",
		Description: "For services that must see a logout or a revocation before the token's exp. Authenticate with HTTP Basic " +
			"as one of LATCHKEY_INTROSPECTION_CLIENTS (with none configured, every caller gets 401). " +
			"A token that is unknown, malformed, expired, of a revoked session or a disabled user, or a used refresh token, " +
			"is {\"active\":false} and nothing else. Accept only token_type bearer as an access token.",
		Security:    []map[string][]string{{"introspectionClient": {}}},
		RequestBody: form(a, reflect.TypeFor[IntrospectRequest](), "IntrospectRequest"),
		Responses: oauthResponses(a, http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge,
			http.StatusInternalServerError, http.StatusServiceUnavailable),
	}
	o.Responses["401"].Description = "Not an introspection client: an RFC 6749 §5.2 invalid_client"
	o.Responses["401"].Headers = map[string]*huma.Param{"WWW-Authenticate": {Description: "The Basic challenge: " + introspectionChallenge,
		Required: true, Schema: &huma.Schema{Type: "string"}}}
	o.Responses["200"] = &huma.Response{Description: "What the token is, or {\"active\":false}", Content: map[string]*huma.MediaType{
		"application/json": {Schema: a.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[IntrospectResponse](), true, "IntrospectResponse")},
	}}
	return o
}
