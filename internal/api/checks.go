package api

import (
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/latchkey/latchkey/internal/auth"
)

// The flows' own field checks, run as huma resolvers: huma calls them after
// checking a body against its schema and reports every error together, so
// a body with an unknown field or a value of the wrong type still hears of
// its other problems in the same answer (DESIGN.md: validation reports
// everything at once). The handlers' flows check again; these only make
// the first answer complete.

// Resolve implements huma.Resolver for registration. A refused
// registration is an attempt all the same: it counts against the per-IP
// budget, as it does when the flow refuses it.
func (in *registerInput) Resolve(hctx huma.Context) []error {
	ctx := hctx.Context()
	d, ok := ctx.Value(depsKey).(Deps)
	if !ok {
		return nil
	}
	b := in.Body
	errs := d.Auth.CheckRegistration(auth.Registration{Username: b.Username, Email: b.Email, Password: b.Password})
	if len(errs) == 0 {
		return nil
	}
	if err := d.Auth.AllowAttempt(ctx, client(ctx, d)); err != nil {
		return []error{err}
	}
	return bodyProblems(errs)
}

// Resolve implements huma.Resolver for a profile change: the username and
// email rules of the fields sent.
func (in *updateMeInput) Resolve(huma.Context) []error {
	var errs []auth.FieldError
	if in.Body.Username != nil {
		_, fe := auth.CheckUsername(*in.Body.Username)
		errs = append(errs, fe...)
	}
	if in.Body.Email != nil {
		_, fe := auth.CheckEmail(*in.Body.Email)
		errs = append(errs, fe...)
	}
	return bodyProblems(errs)
}

// bodyProblems are a flow's field errors as resolver errors on the body.
func bodyProblems(fields []auth.FieldError) []error {
	errs := make([]error, 0, len(fields))
	for _, f := range fields {
		loc := f.Field
		if !strings.Contains(loc, ".") {
			loc = "body." + loc
		}
		errs = append(errs, &fieldProblem{ProblemField{Location: loc, Code: f.Code, Message: f.Message}})
	}
	return errs
}
