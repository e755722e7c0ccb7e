package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/validation"
	"github.com/latchkey/latchkey/internal/auth"
)

// statusOf is the one table from error code to HTTP status.
var statusOf = map[auth.Code]int{
	auth.CodeInvalid:            http.StatusUnprocessableEntity,
	auth.CodeUsernameTaken:      http.StatusConflict,
	auth.CodeEmailTaken:         http.StatusConflict,
	auth.CodeInvalidCredentials: http.StatusUnauthorized,
	auth.CodeAccountDisabled:    http.StatusForbidden,
	auth.CodeEmailNotVerified:   http.StatusForbidden,
	auth.CodeTooManyAttempts:    http.StatusTooManyRequests,
	auth.CodeBusy:               http.StatusServiceUnavailable,
	auth.CodeNotFound:           http.StatusNotFound,
	auth.CodeInvalidToken:       http.StatusUnauthorized,
	auth.CodeInvalidGrant:       http.StatusBadRequest,
	auth.CodeUnauthenticated:    http.StatusUnauthorized,
	auth.CodeForbidden:          http.StatusForbidden,
	auth.CodeLastAdmin:          http.StatusConflict,
	auth.CodeConflict:           http.StatusConflict,
	auth.CodeUnavailable:        http.StatusServiceUnavailable,
	auth.CodeInternal:           http.StatusInternalServerError,
}

// codeOfStatus names the errors the HTTP layer itself produces.
var codeOfStatus = map[int]auth.Code{
	http.StatusBadRequest:            "bad_request",
	http.StatusUnauthorized:          auth.CodeUnauthenticated,
	http.StatusNotFound:              auth.CodeNotFound,
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusNotAcceptable:         "not_acceptable",
	http.StatusRequestTimeout:        "request_timeout",
	http.StatusRequestEntityTooLarge: "body_too_large",
	http.StatusUnsupportedMediaType:  "unsupported_media_type",
	http.StatusUnprocessableEntity:   auth.CodeInvalid,
	http.StatusInternalServerError:   auth.CodeInternal,
}

// Problem is an RFC 9457 problem details document with Latchkey's stable
// code and, for validation errors, the fields at fault. It replaces huma's
// error model everywhere (see the hooks in init).
type Problem struct {
	Type   string         `json:"type" example:"about:blank"`
	Title  string         `json:"title" doc:"The status's text"`
	Status int            `json:"status"`
	Detail string         `json:"detail,omitempty" doc:"What went wrong and what to do, safe to show"`
	Code   auth.Code      `json:"code" doc:"Stable, machine-readable error code"`
	Errors []ProblemField `json:"errors,omitempty"`

	headers http.Header // Retry-After, WWW-Authenticate; not part of the body
}

// ProblemField is one field's problem. Location says where the field was
// ("body.password"); the submitted value is never echoed.
type ProblemField struct {
	Location string `json:"location" doc:"Where the field is, e.g. body.password or query.limit"`
	Code     string `json:"code" doc:"Stable code of the broken rule, e.g. password_too_short"`
	Message  string `json:"message" doc:"What to fix, safe to show"`
}

func (p *Problem) Error() string             { return string(p.Code) + ": " + p.Detail }
func (p *Problem) GetStatus() int            { return p.Status }
func (p *Problem) GetHeaders() http.Header   { return p.headers }
func (p *Problem) ContentType(string) string { return "application/problem+json" }

var (
	_ huma.StatusError       = (*Problem)(nil)
	_ huma.HeadersError      = (*Problem)(nil)
	_ huma.ContentTypeFilter = (*Problem)(nil)
)

func newProblem(status int, code auth.Code, detail string) *Problem {
	return &Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Code: code}
}

// problemOf turns a flow's error into its problem. Anything that is not an
// *auth.Error is internal: logged with its detail, shown without it.
func problemOf(ctx context.Context, err error) *Problem {
	var e *auth.Error
	if !errors.As(err, &e) {
		logger(ctx).ErrorContext(ctx, "request failed", "err", err)
		return newProblem(http.StatusInternalServerError, auth.CodeInternal, "Something went wrong on our side; it has been logged.")
	}
	if e.Code == auth.CodeUnavailable {
		logger(ctx).WarnContext(ctx, "database unavailable", "err", err)
	}
	status, ok := statusOf[e.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if err == auth.ErrDeadLink { //nolint:errorlint // the one value, never wrapped
		// A link's token comes in the body: a bad request (DESIGN.md), not
		// the missing credentials a bad bearer token is.
		status = http.StatusBadRequest
	}
	p := newProblem(status, e.Code, e.Message)
	for _, f := range e.Fields {
		loc := f.Field
		if !strings.Contains(loc, ".") { // a bare name is a body field; "query.cursor" says where it is
			loc = "body." + loc
		}
		p.Errors = append(p.Errors, ProblemField{Location: loc, Code: f.Code, Message: f.Message})
	}
	retryAfter := e.RetryAfter
	if status == http.StatusServiceUnavailable {
		// An unreachable database names no wait of its own; a second is
		// what the token endpoint and the pages ask for then too, and the
		// OpenAPI document promises every 503 a Retry-After.
		retryAfter = max(retryAfter, time.Second)
	}
	if retryAfter > 0 {
		p.header("Retry-After", strconv.Itoa(int((retryAfter+time.Second-1)/time.Second)))
	}
	if status == http.StatusUnauthorized {
		p.header("WWW-Authenticate", wwwAuthenticate(e.Code))
	}
	return p
}

func (p *Problem) header(k, v string) {
	if p.headers == nil {
		p.headers = http.Header{}
	}
	p.headers.Set(k, v)
}

// wwwAuthenticate is RFC 6750 §3: no error attribute when no credentials
// were sent, invalid_token when they were and failed.
func wwwAuthenticate(code auth.Code) string {
	if code == auth.CodeInvalidToken {
		return `Bearer realm="latchkey", error="invalid_token"`
	}
	return `Bearer realm="latchkey"`
}

// problemOfHuma maps an error huma produced itself (decoding, validation,
// size) to our problem, never repeating a submitted value: huma's details
// carry the value, and syntax errors quote the body.
func problemOfHuma(ctx context.Context, status int, msg string, errs ...error) *Problem {
	for _, e := range errs {
		var ae *auth.Error
		if e != nil && errors.As(e, &ae) {
			return problemOf(ctx, e)
		}
	}
	if status >= 500 {
		return problemOf(ctx, errors.Join(append([]error{errors.New(msg)}, errs...)...))
	}
	code, ok := codeOfStatus[status]
	if !ok {
		code = auth.Code(strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_")))
	}
	p := newProblem(status, code, humaDetail(status, msg))
	seen := map[string]bool{} // one problem a field: the schema's first, then the flow's
	for _, e := range errs {
		var d huma.ErrorDetailer
		if e == nil || !errors.As(e, &d) || status != http.StatusUnprocessableEntity {
			continue // a syntax error's message may quote the input
		}
		f := fieldOfHuma(d.ErrorDetail().Location, d.ErrorDetail().Message)
		var fp *fieldProblem
		if errors.As(e, &fp) {
			f = fp.f
		}
		if !seen[f.Location] {
			seen[f.Location] = true
			p.Errors = append(p.Errors, f)
		}
	}
	if status == http.StatusUnprocessableEntity && len(p.Errors) > 0 {
		p.Detail = "Some fields need attention."
	}
	return p
}

func humaDetail(status int, msg string) string {
	switch status {
	case http.StatusBadRequest:
		return "The body must be exactly one valid JSON value."
	case http.StatusRequestEntityTooLarge:
		return "The body must be at most 1 MiB."
	case http.StatusUnsupportedMediaType:
		return "Send the body as application/json."
	}
	return msg
}

var requiredPrefix, requiredSuffix, _ = strings.Cut(validation.MsgExpectedRequiredProperty, "%s")

// fieldOfHuma turns one of huma's validation details into a field error
// with a stable code. huma reports a missing field on its parent object;
// it is moved onto the field.
func fieldOfHuma(loc, msg string) ProblemField {
	if strings.HasPrefix(msg, requiredPrefix) && strings.HasSuffix(msg, requiredSuffix) {
		name := strings.TrimSuffix(strings.TrimPrefix(msg, requiredPrefix), requiredSuffix)
		return ProblemField{Location: loc + "." + name, Code: "required", Message: "This field is required."}
	}
	// The whole messages come first: "expected number" alone is a wrong
	// type, and only with a bound after it ("expected number <= 100") out
	// of range. TestHumaMessagesMapToStableCodes provokes each message from
	// huma, so a rewording in an upgrade fails it.
	code := "invalid"
	switch {
	case msg == validation.MsgUnexpectedProperty:
		code, msg = "unknown_field", "This field is not part of the request; remove it or check its spelling."
	case msg == "invalid integer", msg == "invalid float", msg == "invalid boolean",
		msg == validation.MsgExpectedString, msg == validation.MsgExpectedInteger,
		msg == validation.MsgExpectedNumber, msg == validation.MsgExpectedBoolean,
		msg == validation.MsgExpectedObject, msg == validation.MsgExpectedArray:
		code, msg = "wrong_type", wrongType[msg]
	case strings.HasPrefix(msg, "expected number"), strings.HasPrefix(msg, "expected value to be one of"):
		code = "out_of_range"
	case strings.HasPrefix(msg, "expected string to"):
		code = "invalid_format"
		msg, _, _ = strings.Cut(msg, ": ") // the wrapped parser error may quote the value
	}
	return ProblemField{Location: loc, Code: code, Message: msg}
}

// wrongType says, in the words of every other message, what a field of the
// wrong type should have held.
var wrongType = map[string]string{
	"invalid integer":             "Send a whole number here.",
	"invalid float":               "Send a number here.",
	"invalid boolean":             "Send true or false here.",
	validation.MsgExpectedString:  "Send text (a JSON string) here.",
	validation.MsgExpectedInteger: "Send a whole number here.",
	validation.MsgExpectedNumber:  "Send a number here.",
	validation.MsgExpectedBoolean: "Send true or false here.",
	validation.MsgExpectedObject:  "Send a JSON object here.",
	validation.MsgExpectedArray:   "Send a JSON array here.",
}

// fieldProblem is a flow's own verdict on a field, found by a resolver
// (see checks.go) beside huma's schema checks, so that both are reported
// together with the flow's code and words.
type fieldProblem struct{ f ProblemField }

func (e *fieldProblem) Error() string { return e.f.Location + ": " + e.f.Message }

// ErrorDetail implements huma.ErrorDetailer.
func (e *fieldProblem) ErrorDetail() *huma.ErrorDetail {
	return &huma.ErrorDetail{Location: e.f.Location, Message: e.f.Message}
}

func init() {
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		if status == 0 { // huma asks once per operation for the error type's schema
			return &Problem{}
		}
		return problemOfHuma(context.Background(), status, msg, errs...)
	}
	huma.NewErrorWithContext = func(hctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
		ctx := context.Background()
		if hctx != nil {
			ctx = hctx.Context()
		}
		p := problemOfHuma(ctx, status, msg, errs...)
		// huma sets a returned error's headers itself, but not those of an
		// error it builds through this hook.
		if hctx != nil {
			for k, vs := range p.headers {
				for _, v := range vs {
					hctx.SetHeader(k, v)
				}
			}
		}
		return p
	}
}

type ctxKey int

const (
	loggerKey ctxKey = iota
	requestKey
	principalKey
	depsKey // the Deps, for resolvers (checks.go), which get no other way to them
)

func logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}
