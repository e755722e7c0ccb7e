package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

// statusOf is the one table from a flow's error code to a page's status;
// every page that fails comes through failureOf. It differs from the API's
// table where a page re-renders a form: DESIGN.md wants a form with errors,
// a failed login included, answered 422, so a taken username is a field to
// fix rather than a 409, and a wrong password is not a 401 (which asks for
// HTTP authentication). The token flows' codes are left out on purpose:
// withUser turns a dead cookie into a visitor, and no page calls those
// flows, so one that reached a page would be a bug, answered 500 like any
// code missing here and any error that is not an *auth.Error. The one
// exception is invalid_grant, which the login's second step shares with
// the token endpoint: a wrong code there is a field to fix, 422 (a login
// whose wait is over is sent back to the login page before this table).
var statusOf = map[auth.Code]int{
	auth.CodeInvalid:            http.StatusUnprocessableEntity,
	auth.CodeUsernameTaken:      http.StatusUnprocessableEntity,
	auth.CodeEmailTaken:         http.StatusUnprocessableEntity,
	auth.CodeInvalidCredentials: http.StatusUnprocessableEntity,
	auth.CodeAccountDisabled:    http.StatusUnprocessableEntity,
	auth.CodeEmailNotVerified:   http.StatusForbidden,
	auth.CodeTooManyAttempts:    http.StatusTooManyRequests,
	auth.CodeBusy:               http.StatusServiceUnavailable,
	auth.CodeNotFound:           http.StatusNotFound,
	auth.CodeForbidden:          http.StatusForbidden,
	auth.CodeLastAdmin:          http.StatusConflict,
	auth.CodeConflict:           http.StatusConflict,
	auth.CodeInvalidGrant:       http.StatusUnprocessableEntity,
	auth.CodeUnavailable:        http.StatusServiceUnavailable,
	auth.CodeInternal:           http.StatusInternalServerError,
}

// headings are the error page's titles, in a visitor's words.
var headings = map[int]string{
	http.StatusForbidden:           "Forbidden",
	http.StatusNotFound:            "Not found",
	http.StatusConflict:            "That cannot be done now",
	http.StatusUnprocessableEntity: "Please check what you sent",
	http.StatusTooManyRequests:     "Too many attempts",
	http.StatusServiceUnavailable:  "Temporarily unavailable",
	http.StatusInternalServerError: "Something went wrong",
}

// internalMessage is all a visitor learns of an internal error.
const internalMessage = "Something went wrong on our side; it has been logged."

// failure is how a page answers one error.
type failure struct {
	status int
	// retryAfter is how long to wait before trying again, for a 429 or a
	// 503; zero sends no Retry-After.
	retryAfter time.Duration
	// err is the flow's error, whose message is safe to show; nil for an
	// internal error, which is shown only in general.
	err *auth.Error
}

// failureOf looks err's code up in statusOf.
func failureOf(err error) failure {
	var e *auth.Error
	if !errors.As(err, &e) {
		return failure{status: http.StatusInternalServerError}
	}
	status, ok := statusOf[e.Code]
	if !ok || status == http.StatusInternalServerError {
		return failure{status: http.StatusInternalServerError}
	}
	fl := failure{status: status, err: e}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		// An unreachable database names no wait of its own; a second is
		// what the API's token endpoint asks for then too.
		fl.retryAfter = max(e.RetryAfter, time.Second)
	}
	return fl
}

// message is what the page says about the failure.
func (fl failure) message() string {
	if fl.err == nil {
		return internalMessage
	}
	return fl.err.Message
}

// note logs a failure and sets its Retry-After (whole seconds, rounded
// up, as the API does). An internal error is logged in full, since it is
// a bug; an unreachable database as a warning, since it is not one and
// recovers by itself; the rest are the visitor's to fix.
func (s *site) note(w http.ResponseWriter, r *http.Request, fl failure, err error) {
	switch {
	case fl.err == nil:
		s.Log.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "err", err)
	case fl.err.Code == auth.CodeUnavailable:
		s.Log.WarnContext(r.Context(), "database unavailable", "path", r.URL.Path, "err", err)
	}
	if fl.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((fl.retryAfter+time.Second-1)/time.Second)))
	} else {
		w.Header().Del("Retry-After") // one set for a form whose page then failed
	}
}

// fail answers a request with the error page, its status from statusOf.
func (s *site) fail(w http.ResponseWriter, r *http.Request, err error) {
	fl := failureOf(err)
	s.note(w, r, fl, err)
	title, msg := headings[fl.status], fl.message()
	if err := s.write(w, r, fl.status, "error", title, msg); err != nil {
		// The error page itself failed: say it plainly rather than loop.
		s.Log.ErrorContext(r.Context(), "error page failed", "path", r.URL.Path, "err", err)
		http.Error(w, msg, fl.status)
	}
}

// apply shows a flow's error on the form it answers (each field at fault,
// or a notice) and returns the status to re-render the form with. A form
// shows what its visitor can act on there: a field to fix, a refusal, a
// wait. A missing post or an internal error is not about the form: apply
// answers with the error page then, and reports false.
func (s *site) apply(w http.ResponseWriter, r *http.Request, f *form, err error) (int, bool) {
	fl := failureOf(err)
	if fl.err == nil || fl.status == http.StatusNotFound {
		s.fail(w, r, err)
		return 0, false
	}
	s.note(w, r, fl, err)
	e := fl.err
	for _, fe := range e.Fields {
		f.set(fe.Field, fe.Message)
	}
	switch {
	case e.Code == auth.CodeTooManyAttempts:
		f.Notice = "Too many attempts. Please wait " + humanWait(fl.retryAfter.Seconds()) + " and try again."
	case e.Code == auth.CodeBusy:
		f.Notice = "The server is very busy right now. Please try again in a moment."
	case len(e.Fields) == 0:
		f.Notice = e.Message
	}
	return fl.status, true
}

// formError re-renders a form page with a flow's error, or answers with
// the error page (see apply).
func (s *site) formError(w http.ResponseWriter, r *http.Request, err error, page, title string, data any, f *form) {
	if status, ok := s.apply(w, r, f, err); ok {
		s.render(w, r, status, page, title, data)
	}
}
