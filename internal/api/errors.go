package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/latchkey/latchkey/internal/auth"
)

// statusOf is the one table from error code to HTTP status.
var statusOf = map[auth.Code]int{
	auth.CodeInvalid:            http.StatusUnprocessableEntity,
	auth.CodeUsernameTaken:      http.StatusConflict,
	auth.CodeEmailTaken:         http.StatusConflict,
	auth.CodeInvalidCredentials: http.StatusUnauthorized,
	auth.CodeAccountDisabled:    http.StatusForbidden,
	auth.CodeTooManyAttempts:    http.StatusTooManyRequests,
	auth.CodeBusy:               http.StatusServiceUnavailable,
	auth.CodeNotFound:           http.StatusNotFound,
	auth.CodeUnavailable:        http.StatusServiceUnavailable,
	auth.CodeInternal:           http.StatusInternalServerError,
	codeBadRequest:              http.StatusBadRequest,
	codeBodyTooLarge:            http.StatusRequestEntityTooLarge,
	codeUnsupportedMediaType:    http.StatusUnsupportedMediaType,
}

// Codes that only the HTTP layer produces.
const (
	codeBadRequest           auth.Code = "bad_request"
	codeBodyTooLarge         auth.Code = "body_too_large"
	codeUnsupportedMediaType auth.Code = "unsupported_media_type"
)

// Problem is an RFC 9457 problem details document with Latchkey's stable
// code and, for validation errors, the fields at fault.
type Problem struct {
	Type   string         `json:"type"`
	Title  string         `json:"title"`
	Status int            `json:"status"`
	Detail string         `json:"detail,omitempty"`
	Code   auth.Code      `json:"code"`
	Errors []ProblemField `json:"errors,omitempty"`
}

// ProblemField is one field's problem. Location says where the field was
// ("body.password"); the submitted value is never echoed.
type ProblemField struct {
	Location string `json:"location"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}

// writeError answers with the problem err stands for. Errors that are not
// *auth.Error are internal: logged with their detail, shown without it.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var e *auth.Error
	if !errors.As(err, &e) {
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		e = &auth.Error{Code: auth.CodeInternal, Message: "Something went wrong on our side; it has been logged."}
	} else if e.Code == auth.CodeUnavailable {
		log.WarnContext(r.Context(), "database unavailable", "path", r.URL.Path, "err", err)
	}
	status, ok := statusOf[e.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	p := Problem{
		Type:   "about:blank",
		Title:  http.StatusText(status),
		Status: status,
		Detail: e.Message,
		Code:   e.Code,
	}
	for _, f := range e.Fields {
		p.Errors = append(p.Errors, ProblemField{Location: "body." + f.Field, Code: f.Code, Message: f.Message})
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds()+0.999)))
	}
	writeJSON(w, status, "application/problem+json", p)
}
