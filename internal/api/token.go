package api

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/latchkey/latchkey/internal/auth"
)

// LoginLinkGrant is the extension grant (RFC 6749 §4.5) that exchanges a
// sign-in link's token for a token pair.
const LoginLinkGrant = "urn:latchkey:grant-type:login-link"

// MFAGrant is the extension grant that takes a login's second step: the
// mfa_token a first step answered with mfa_required, and a code.
const MFAGrant = "urn:latchkey:grant-type:mfa-otp"

// TokenRequest is the token endpoint's form (RFC 6749 §4.3, §4.5 and §6).
type TokenRequest struct {
	GrantType    string `json:"grant_type,omitempty" enum:"password,refresh_token,urn:latchkey:grant-type:login-link,urn:latchkey:grant-type:mfa-otp" doc:"password (the default when username and password are sent), refresh_token, urn:latchkey:grant-type:login-link (with token), or urn:latchkey:grant-type:mfa-otp (with mfa_token and otp or recovery_code)"`
	Username     string `json:"username,omitempty" doc:"The email or the username"`
	Password     string `json:"password,omitempty" format:"password"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Token        string `json:"token,omitempty" doc:"The token= of a sign-in link, for the login-link grant"`
	MFAToken     string `json:"mfa_token,omitempty" doc:"For the mfa-otp grant: the mfa_token of the mfa_required answer"`
	OTP          string `json:"otp,omitempty" doc:"For the mfa-otp grant: the code the authenticator app shows"`
	RecoveryCode string `json:"recovery_code,omitempty" doc:"For the mfa-otp grant: a recovery code, instead of otp"`
	Scope        string `json:"scope,omitempty" doc:"Ignored: Latchkey has no scopes"`
}

// TokenResponse is a successful token answer (RFC 6749 §5.1).
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type" example:"bearer"`
	ExpiresIn    int    `json:"expires_in" example:"900" doc:"Seconds until the access token expires"`
	RefreshToken string `json:"refresh_token"`
}

// RevokeRequest is the revocation endpoint's form (RFC 7009).
type RevokeRequest struct {
	Token         string `json:"token" doc:"A refresh token or an access token; its session ends"`
	TokenTypeHint string `json:"token_type_hint,omitempty" enum:"access_token,refresh_token"`
}

// OAuthError is an RFC 6749 §5.2 error; invalid_client (401) is the
// introspection endpoint's answer to a caller that is not one of its
// clients. Besides the standard codes, a
// throttled attempt is too_many_attempts (429) and a full hashing pool or an
// unreachable database temporarily_unavailable (503), both with Retry-After;
// a right password (or sign-in link) of an account with two-step
// verification on is mfa_required (400) with the mfa_token of the login
// waiting for its code.
type OAuthError struct {
	Error            string `json:"error" enum:"invalid_request,invalid_client,invalid_grant,unsupported_grant_type,mfa_required,too_many_attempts,temporarily_unavailable,server_error"`
	ErrorDescription string `json:"error_description,omitempty"`
	MFAToken         string `json:"mfa_token,omitempty" doc:"With mfa_required: send it with the mfa-otp grant within 5 minutes"`

	status     int
	retryAfter time.Duration
}

func oauthError(status int, code, description string) *OAuthError {
	return &OAuthError{Error: code, ErrorDescription: description, status: status}
}

// handleToken is the OAuth 2.0 token endpoint.
func handleToken(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form, oerr := readForm(w, r)
		if oerr != nil {
			writeOAuth(w, nil, oerr)
			return
		}
		grantType := form.Get("grant_type")
		if grantType == "" && form.Get("username") != "" && form.Get("password") != "" {
			grantType = "password" // as FastAPI's OAuth2PasswordRequestForm clients send it
		}
		c := clientOf(r, d)
		var (
			g   *auth.Grant
			err error
		)
		switch grantType {
		case "password":
			if form.Get("username") == "" || form.Get("password") == "" {
				writeOAuth(w, nil, oauthError(400, "invalid_request", "Send username and password."))
				return
			}
			g, err = d.Auth.PasswordGrant(r.Context(), form.Get("username"), form.Get("password"), c)
			var e *auth.Error
			if errors.As(err, &e) && e.Code == auth.CodeInvalid && len(e.Fields) > 0 {
				// Both were sent, so the username is what was refused (a
				// control character, say): a name no account has, so the
				// grant is what is wrong (DESIGN.md).
				writeOAuth(w, nil, oauthError(400, "invalid_grant", e.Fields[0].Message))
				return
			}
		case "refresh_token":
			if form.Get("refresh_token") == "" {
				writeOAuth(w, nil, oauthError(400, "invalid_request", "Send refresh_token."))
				return
			}
			g, err = d.Auth.RefreshGrant(r.Context(), form.Get("refresh_token"), c)
		case LoginLinkGrant:
			if !d.Auth.LoginLinks() {
				writeOAuth(w, nil, oauthError(400, "unsupported_grant_type", "Sign-in links are turned off on this server."))
				return
			}
			if form.Get("token") == "" {
				writeOAuth(w, nil, oauthError(400, "invalid_request", "Send token: the token= of the sign-in link."))
				return
			}
			g, err = d.Auth.LoginLinkGrant(r.Context(), form.Get("token"), c)
		case MFAGrant:
			if form.Get("mfa_token") == "" || (form.Get("otp") == "") == (form.Get("recovery_code") == "") {
				writeOAuth(w, nil, oauthError(400, "invalid_request", "Send mfa_token, and otp or recovery_code (one of them)."))
				return
			}
			g, err = d.Auth.MFAGrant(r.Context(), form.Get("mfa_token"),
				auth.SecondFactor{Code: form.Get("otp"), RecoveryCode: form.Get("recovery_code")}, c)
		case "":
			writeOAuth(w, nil, oauthError(400, "invalid_request", "Send grant_type: password or refresh_token."))
			return
		default:
			writeOAuth(w, nil, oauthError(400, "unsupported_grant_type", "Use grant_type password or refresh_token."))
			return
		}
		if err != nil {
			writeOAuth(w, nil, oauthErrorOf(r, d, err))
			return
		}
		writeOAuth(w, &TokenResponse{
			AccessToken:  g.AccessToken,
			TokenType:    "bearer",
			ExpiresIn:    int(g.ExpiresIn / time.Second),
			RefreshToken: g.RefreshToken,
		}, nil)
	})
}

// handleRevoke is the RFC 7009 revocation endpoint: 200 also for an
// unknown or already revoked token, so it reveals nothing.
func handleRevoke(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form, oerr := readForm(w, r)
		if oerr != nil {
			writeOAuth(w, nil, oerr)
			return
		}
		if form.Get("token") == "" {
			writeOAuth(w, nil, oauthError(400, "invalid_request", "Send the token to revoke."))
			return
		}
		if err := d.Auth.Revoke(r.Context(), form.Get("token"), clientOf(r, d)); err != nil {
			writeOAuth(w, nil, oauthErrorOf(r, d, err))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
	})
}

// readForm reads a form body of at most MaxBodyBytes. Query parameters are
// ignored (credentials do not belong in URLs) and a repeated parameter is
// an error (RFC 6749 §3.2).
func readForm(w http.ResponseWriter, r *http.Request) (formValues, *OAuthError) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, oauthError(400, "invalid_request", "Send the parameters as application/x-www-form-urlencoded.")
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, oauthError(http.StatusRequestEntityTooLarge, "invalid_request", "The body must be at most 1 MiB.")
		}
		return nil, oauthError(400, "invalid_request", "The body is not a valid form.")
	}
	for k, vs := range r.PostForm {
		if len(vs) > 1 {
			return nil, oauthError(400, "invalid_request", "The parameter "+strconv.Quote(k)+" is repeated.")
		}
	}
	return formValues(r.PostForm), nil
}

type formValues map[string][]string

func (f formValues) Get(k string) string {
	if vs := f[k]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// oauthErrorOf maps a flow's error to RFC 6749 terms. Wrong credentials
// and an unknown account are the same invalid_grant, word for word.
func oauthErrorOf(r *http.Request, d Deps, err error) *OAuthError {
	var step *auth.SecondStepRequired
	if errors.As(err, &step) {
		o := oauthError(400, "mfa_required", "Two-step verification is on: send a code with grant_type="+MFAGrant+" and this mfa_token.")
		o.MFAToken = step.Token
		return o
	}
	var e *auth.Error
	if !errors.As(err, &e) {
		d.Log.ErrorContext(r.Context(), "token request failed", "path", r.URL.Path, "err", err)
		return oauthError(500, "server_error", "Something went wrong on our side; it has been logged.")
	}
	switch e.Code {
	case auth.CodeInvalidCredentials, auth.CodeAccountDisabled, auth.CodeInvalidGrant, auth.CodeInvalidToken, auth.CodeEmailNotVerified:
		return oauthError(400, "invalid_grant", e.Message)
	case auth.CodeInvalid:
		return oauthError(400, "invalid_request", e.Message)
	case auth.CodeTooManyAttempts:
		o := oauthError(http.StatusTooManyRequests, "too_many_attempts", e.Message)
		o.retryAfter = e.RetryAfter
		return o
	case auth.CodeBusy, auth.CodeUnavailable:
		if e.Code == auth.CodeUnavailable {
			d.Log.WarnContext(r.Context(), "database unavailable", "err", err)
		}
		o := oauthError(http.StatusServiceUnavailable, "temporarily_unavailable", e.Message)
		o.retryAfter = max(e.RetryAfter, time.Second)
		return o
	}
	d.Log.ErrorContext(r.Context(), "token request failed", "path", r.URL.Path, "err", err)
	return oauthError(500, "server_error", "Something went wrong on our side; it has been logged.")
}

// writeOAuth writes a token endpoint answer, ok or e; tokens, and what is
// said about them, must never be cached (RFC 6749 §5.1, RFC 7662 §4).
func writeOAuth(w http.ResponseWriter, ok any, e *OAuthError) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	status, body := http.StatusOK, ok
	if e != nil {
		status, body = e.status, e
		if e.retryAfter > 0 {
			h.Set("Retry-After", strconv.Itoa(int((e.retryAfter+time.Second-1)/time.Second)))
		}
	}
	b, _ := json.Marshal(body)
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// oauthResponses documents a token endpoint's errors: RFC 6749 §5.2
// errors, with when to come back for a 429 or a 503.
func oauthResponses(a huma.API, statuses ...int) map[string]*huma.Response {
	schema := a.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[OAuthError](), true, "OAuthError")
	rs := map[string]*huma.Response{}
	for _, status := range statuses {
		rs[strconv.Itoa(status)] = &huma.Response{
			Description: "An RFC 6749 §5.2 error",
			Headers:     responseHeaders[status],
			Content:     map[string]*huma.MediaType{"application/json": {Schema: schema}},
		}
	}
	return rs
}

// form is a token endpoint's request body, a form of type t.
func form(a huma.API, t reflect.Type, name string) *huma.RequestBody {
	return &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{
		"application/x-www-form-urlencoded": {Schema: a.OpenAPI().Components.Schemas.Schema(t, true, name)},
	}}
}

func tokenOperation(a huma.API) *huma.Operation {
	o := &huma.Operation{
		OperationID: "token", Method: http.MethodPost, Path: "/api/token", Tags: []string{"tokens"},
		Summary:     "OAuth 2.0 token endpoint: log in with a password or refresh tokens",
		Description: "The password grant is kept on purpose for first-party apps, although the OAuth 2.0 Security BCP discourages it. Each refresh token works once; a replay after 10 seconds ends the session.",
		Security:    public,
		RequestBody: form(a, reflect.TypeFor[TokenRequest](), "TokenRequest"),
		Responses: oauthResponses(a, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests,
			http.StatusInternalServerError, http.StatusServiceUnavailable),
	}
	o.Responses["200"] = &huma.Response{Description: "New tokens", Content: map[string]*huma.MediaType{
		"application/json": {Schema: a.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[TokenResponse](), true, "TokenResponse")},
	}}
	return o
}

func revokeOperation(a huma.API) *huma.Operation {
	o := &huma.Operation{
		OperationID: "revokeToken", Method: http.MethodPost, Path: "/api/token/revoke", Tags: []string{"tokens"},
		Summary:     "Revoke a refresh or access token (RFC 7009): its session ends",
		Security:    public,
		RequestBody: form(a, reflect.TypeFor[RevokeRequest](), "RevokeRequest"),
		Responses: oauthResponses(a, http.StatusBadRequest, http.StatusRequestEntityTooLarge,
			http.StatusInternalServerError, http.StatusServiceUnavailable),
	}
	o.Responses["200"] = &huma.Response{Description: "Revoked, or nothing to revoke"}
	return o
}
