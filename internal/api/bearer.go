package api

import (
	"context"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/latchkey/latchkey/internal/auth"
)

var errNoCredentials = &auth.Error{Code: auth.CodeUnauthenticated, Message: "Log in first: send an access token as Authorization: Bearer <token>."}

// requireUser authenticates an operation's caller from the bearer token
// and the session behind it (RFC 6750 answers on failure), or, when there
// is no Authorization header, from the browser session cookie.
func requireUser(a huma.API, d Deps) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		var (
			p   *auth.Principal
			err error
		)
		if h := ctx.Header("Authorization"); h != "" {
			scheme, token, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
				writeProblem(a, ctx, problemOf(ctx.Context(), errNoCredentials))
				return
			}
			p, err = d.Auth.AuthorizeAccessToken(ctx.Context(), strings.TrimSpace(token), client(ctx.Context(), d))
		} else if r := request(ctx.Context()); r != nil && d.Cookies.Has(r) {
			p, err = d.Auth.AuthorizeCookie(ctx.Context(), d.Cookies.Read(r), client(ctx.Context(), d))
		} else {
			writeProblem(a, ctx, problemOf(ctx.Context(), errNoCredentials))
			return
		}
		if err != nil {
			if auth.ErrorCode(err) == auth.CodeInvalidToken {
				d.Log.DebugContext(ctx.Context(), "token refused", "err", err)
				err = auth.ErrInvalidToken // the reason is for the log, not the client
			}
			writeProblem(a, ctx, problemOf(ctx.Context(), err))
			return
		}
		next(huma.WithValue(ctx, principalKey, p))
	}
}

func writeProblem(a huma.API, ctx huma.Context, p *Problem) {
	for k, vs := range p.headers {
		for _, v := range vs {
			ctx.SetHeader(k, v)
		}
	}
	ctx.SetHeader("Cache-Control", "no-store")
	ctx.SetHeader("Content-Type", "application/problem+json")
	ctx.SetStatus(p.Status)
	a.Marshal(ctx.BodyWriter(), "application/json", p)
}

// principal is the authenticated caller; requireUser put it there.
func principal(ctx context.Context) *auth.Principal {
	p, _ := ctx.Value(principalKey).(*auth.Principal)
	if p == nil {
		panic("api: principal requested by an operation without requireUser")
	}
	return p
}
