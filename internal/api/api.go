// Package api is Latchkey's JSON API over HTTP. routes.go lists every
// operation; problem.go maps error codes to statuses in one table; each
// handler decodes, calls one flow of package auth or blog, and encodes. The
// operations are declared with huma, so the OpenAPI document at
// /openapi.json is generated from the same Go types the handlers use.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/blog"
	"github.com/latchkey/latchkey/internal/clientip"
	"github.com/latchkey/latchkey/internal/sessioncookie"
)

// MaxBodyBytes bounds every request body (DESIGN.md: 1 MiB).
const MaxBodyBytes = 1 << 20

// Deps are what the API's handlers need.
type Deps struct {
	Auth     *auth.Service
	Blog     *blog.Service
	Log      *slog.Logger
	ClientIP clientip.Resolver
	// JWKS returns the current JSON Web Key Set document.
	JWKS func() []byte
	// JWKSMaxAge is how long verifiers may cache it (the Cache-Control
	// max-age): the signing keys' LATCHKEY_JWKS_MAX_AGE, on which their
	// rotations rely.
	JWKSMaxAge time.Duration
	// BaseURL is the public URL, for the OpenAPI document's server entry.
	BaseURL string
	// Cookies reads the browser session cookie, which the API accepts too
	// so that the site's own scripts can call it.
	Cookies sessioncookie.Jar
}

func config(baseURL string) huma.Config {
	c := huma.DefaultConfig("Latchkey", "1.0.0")
	c.Info.Description = "User accounts and authentication: registration, OAuth 2.0 tokens with rotating refresh tokens, profiles and sessions."
	c.CreateHooks = nil // no $schema field in bodies and no Link header
	c.OpenAPIPath, c.DocsPath, c.SchemasPath = "", "", ""
	if baseURL != "" {
		c.Servers = []*huma.Server{{URL: baseURL}}
	}
	c.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"oauth2": {
			Type:        "oauth2",
			Description: "Log in with a username (or email) and password at the token endpoint.",
			Flows: &huma.OAuthFlows{Password: &huma.OAuthFlow{
				TokenURL:   "/api/token",
				RefreshURL: "/api/token",
				Scopes:     map[string]string{},
			}},
		},
		"bearer": {Type: "http", Scheme: "bearer", BearerFormat: "JWT"},
		"introspectionClient": {
			Type: "http", Scheme: "basic",
			Description: "A resource server's name and secret, one of LATCHKEY_INTROSPECTION_CLIENTS: token introspection only.",
		},
	}
	return c
}

// New registers the API on mux and returns the huma API (whose OpenAPI
// document describes it).
func New(mux *http.ServeMux, d Deps) huma.API {
	a := humago.New(mux, config(d.BaseURL))
	a.UseMiddleware(func(ctx huma.Context, next func(huma.Context)) {
		r, _ := humago.Unwrap(ctx)
		ctx = huma.WithValue(ctx, loggerKey, d.Log)
		ctx = huma.WithValue(ctx, requestKey, r)
		ctx = huma.WithValue(ctx, depsKey, d)
		next(ctx)
	})
	routes(a, mux, d)
	return a
}

// request returns the HTTP request behind a handler's context.
func request(ctx context.Context) *http.Request {
	r, _ := ctx.Value(requestKey).(*http.Request)
	return r
}

// client is where a handler's request comes from, for throttling, session
// rows and the audit log.
func client(ctx context.Context, d Deps) auth.Client {
	r := request(ctx)
	if r == nil {
		return auth.Client{}
	}
	return clientOf(r, d)
}

func clientOf(r *http.Request, d Deps) auth.Client {
	return auth.Client{IP: d.ClientIP.IP(r), UserAgent: r.UserAgent()}
}

// fail turns a flow's error into the problem huma writes.
func fail(ctx context.Context, err error) error {
	return problemOf(ctx, err)
}

// PrivateUser is a user as the user themself sees it. The password hash has
// no field here, so no handler can leak it by accident.
type PrivateUser struct {
	ID            string    `json:"id" format:"uuid"`
	Username      string    `json:"username"`
	Email         string    `json:"email" format:"email"`
	EmailVerified bool      `json:"email_verified" doc:"Whether a link mailed to the address has been used"`
	PendingEmail  string    `json:"pending_email,omitempty" format:"email" doc:"An address waiting for its confirmation link to be used"`
	Role          auth.Role `json:"role" enum:"user,admin"`
	MFAEnabled    bool      `json:"mfa_enabled" doc:"Whether logins also need a code from an authenticator app (two-step verification)"`
	CreatedAt     time.Time `json:"created_at"`
}

func privateUser(u *auth.User) PrivateUser {
	return PrivateUser{ID: u.ID, Username: u.Username, Email: u.Email, EmailVerified: u.EmailVerifiedAt != nil, PendingEmail: u.PendingEmail,
		Role: u.Role, MFAEnabled: u.MFAEnabled(), CreatedAt: u.CreatedAt.UTC()}
}

// PublicUser is a user as anyone may see them: never the email.
type PublicUser struct {
	ID        string    `json:"id" format:"uuid"`
	Username  string    `json:"username"`
	CreatedAt time.Time `json:"created_at"`
}

func publicUser(u *auth.User) PublicUser {
	return PublicUser{ID: u.ID, Username: u.Username, CreatedAt: u.CreatedAt.UTC()}
}
