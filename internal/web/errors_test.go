package web

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

// errOutage is what the store returns when the database cannot be reached:
// the detail wraps auth.ErrUnavailable, and must never be shown.
var errOutage = fmt.Errorf("list posts: %w: %w", auth.ErrUnavailable, errors.New("dial tcp 10.0.0.5:5432: connection refused"))

// TestFailAnswersByTheTable: every error a page fails with gets its status
// from statusOf, a Retry-After when it is a wait, the error page with a
// message safe to show, and a log line only when someone should look.
func TestFailAnswersByTheTable(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		retryAfter string
		show       string // on the page
		hide       string // never on the page
		log        string // the level logged, or "" for none
	}{
		{"unavailable, as the store wraps it", errOutage, 503, "1", auth.ErrUnavailable.Message, "connection refused", "WARN"},
		{"busy", &auth.Error{Code: auth.CodeBusy, Message: "The server is busy; retry in a moment.", RetryAfter: auth.BusyRetryAfter}, 503, "1", "busy", "", ""},
		{"throttled", &auth.Error{Code: auth.CodeTooManyAttempts, Message: "Too many attempts.", RetryAfter: 30 * time.Second}, 429, "30", "Too many attempts.", "", ""},
		{"throttled, a wait rounded up", &auth.Error{Code: auth.CodeTooManyAttempts, Message: "Too many attempts.", RetryAfter: 1500 * time.Millisecond}, 429, "2", "Too many attempts.", "", ""},
		{"not found", fmt.Errorf("post by id: %w", auth.ErrNotFound), 404, "", "Not found.", "", ""},
		{"forbidden", &auth.Error{Code: auth.CodeForbidden, Message: "Not yours."}, 403, "", "Not yours.", "", ""},
		{"invalid", &auth.Error{Code: auth.CodeInvalid, Message: "Some fields need attention."}, 422, "", "Some fields need attention.", "", ""},
		{"taken", auth.ErrUsernameTaken, 422, "", auth.ErrUsernameTaken.Message, "", ""},
		{"wrong password", &auth.Error{Code: auth.CodeInvalidCredentials, Message: "Not correct."}, 422, "", "Not correct.", "", ""},
		{"internal code", &auth.Error{Code: auth.CodeInternal, Message: "row 42 of sessions"}, 500, "", internalMessage, "row 42", "ERROR"},
		{"conflict", auth.ErrMFAOn, 409, "", auth.ErrMFAOn.Message, "", ""},
		{"a wrong code at the second step", auth.ErrWrongSecondFactor, 422, "", auth.ErrWrongSecondFactor.Message, "", ""},
		{"a code no page expects", auth.ErrInvalidToken, 500, "", internalMessage, auth.ErrInvalidToken.Message, "ERROR"},
		{"a code not in the table", &auth.Error{Code: "brand_new", Message: "New."}, 500, "", internalMessage, "New.", "ERROR"},
		{"not an auth.Error", errors.New("scan: password=hunter2"), 500, "", internalMessage, "hunter2", "ERROR"},
		{"an auth.Error wrapped in an internal one", fmt.Errorf("%w: %w", errors.New("oops"), auth.ErrNotFound), 404, "", "Not found.", "oops", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, logs := errorSite(t)
			w := httptest.NewRecorder()
			w.Header().Set("Retry-After", "99") // as a form's failure may have left it
			s.fail(w, httptest.NewRequest("GET", "/posts/1", nil), tt.err)
			body := w.Body.String()
			if w.Code != tt.status || w.Header().Get("Retry-After") != tt.retryAfter {
				t.Fatalf("status %d Retry-After %q, want %d %q", w.Code, w.Header().Get("Retry-After"), tt.status, tt.retryAfter)
			}
			if !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") || !strings.Contains(body, "<h1>"+headings[tt.status]+"</h1>") {
				t.Errorf("not the error page with its heading %q:\n%s", headings[tt.status], body)
			}
			if !strings.Contains(body, escaped(tt.show)) {
				t.Errorf("the page does not say %q", tt.show)
			}
			if tt.hide != "" && strings.Contains(body, tt.hide) {
				t.Errorf("the page shows %q", tt.hide)
			}
			if got := logLevel(logs.String()); got != tt.log {
				t.Errorf("logged %q, want %q: %s", got, tt.log, logs)
			}
			if tt.log != "" && !strings.Contains(logs.String(), "/posts/1") {
				t.Errorf("the log line does not name the path: %s", logs)
			}
		})
	}
}

// TestApplyShowsWhatAFormCanExplain: a form shows the errors its visitor
// can act on, with the table's status; anything else is the error page.
func TestApplyShowsWhatAFormCanExplain(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int // 0: the error page
		retryAfter string
		notice     string // "" for none
		field      string // the field given an error, if any
	}{
		{"throttled", &auth.Error{Code: auth.CodeTooManyAttempts, Message: "x", RetryAfter: 30 * time.Second}, 429, "30", "Too many attempts. Please wait 30 seconds and try again.", ""},
		{"busy", &auth.Error{Code: auth.CodeBusy, Message: "x", RetryAfter: auth.BusyRetryAfter}, 503, "1", "The server is very busy right now. Please try again in a moment.", ""},
		{"unavailable", errOutage, 503, "1", auth.ErrUnavailable.Message, ""},
		{"fields", auth.ErrEmailTaken, 422, "", "", "email"},
		{"invalid, no field", &auth.Error{Code: auth.CodeInvalid, Message: "Check the form."}, 422, "", "Check the form.", ""},
		{"wrong password", &auth.Error{Code: auth.CodeInvalidCredentials, Message: "Not correct."}, 422, "", "Not correct.", ""},
		{"disabled", &auth.Error{Code: auth.CodeAccountDisabled, Message: "Disabled."}, 422, "", "Disabled.", ""},
		{"forbidden", &auth.Error{Code: auth.CodeForbidden, Message: "Not yours."}, 403, "", "Not yours.", ""},
		{"conflict", auth.ErrMFAOff, 409, "", auth.ErrMFAOff.Message, ""},
		{"a wrong code at the second step", auth.ErrWrongSecondFactor, 422, "", "", "otp"},
		{"not found", auth.ErrNotFound, 0, "", "", ""},
		{"internal", errors.New("boom"), 0, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := errorSite(t)
			f := registerForm()
			w := httptest.NewRecorder()
			status, ok := s.apply(w, httptest.NewRequest("POST", "/register", nil), f, tt.err)
			if tt.status == 0 {
				want := failureOf(tt.err).status
				if ok || w.Code != want || !strings.Contains(w.Body.String(), "<h1>"+headings[want]+"</h1>") {
					t.Fatalf("apply = %d, %v and answered %d; want the error page, %d", status, ok, w.Code, want)
				}
				return
			}
			if !ok || status != tt.status || w.Header().Get("Retry-After") != tt.retryAfter {
				t.Fatalf("apply = %d, %v, Retry-After %q; want %d %q", status, ok, w.Header().Get("Retry-After"), tt.status, tt.retryAfter)
			}
			if w.Body.Len() != 0 {
				t.Fatal("apply wrote a body; the form's page is the caller's to render")
			}
			if f.Notice != tt.notice {
				t.Errorf("notice %q, want %q", f.Notice, tt.notice)
			}
			if tt.field != "" && f.Errors[tt.field] == "" {
				t.Errorf("no error on %s: %v", tt.field, f.Errors)
			}
		})
	}
}

// TestStatusTableAgreesWithHeadings: every status the table gives has a
// heading for the error page.
func TestStatusTableAgreesWithHeadings(t *testing.T) {
	for code, status := range statusOf {
		if headings[status] == "" {
			t.Errorf("%s answers %d, which has no heading", code, status)
		}
	}
}

// TestErrorPageThatFails: when the error page itself cannot be rendered,
// the visitor still gets the status and the message, in plain text.
func TestErrorPageThatFails(t *testing.T) {
	s, logs := errorSite(t)
	delete(s.pages, "error")
	w := httptest.NewRecorder()
	s.render(w, httptest.NewRequest("GET", "/", nil), http.StatusOK, "missing", "Missing", nil)
	if w.Code != 500 || !strings.Contains(w.Body.String(), internalMessage) || !strings.Contains(logs.String(), `no page \"missing\"`) {
		t.Fatalf("%d %q; log: %s", w.Code, w.Body, logs)
	}
}

func errorSite(t *testing.T) (*site, *bytes.Buffer) {
	s := parsedSite(t)
	var logs bytes.Buffer
	s.Log = slog.New(slog.NewTextHandler(&logs, nil))
	return s, &logs
}

// escaped is s as html/template prints it in text.
func escaped(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&#39;", "<", "&lt;", ">", "&gt;", `"`, "&#34;").Replace(s)
}

// logLevel is the level of the first line logged, or "".
func logLevel(logs string) string {
	_, rest, ok := strings.Cut(logs, "level=")
	if !ok {
		return ""
	}
	level, _, _ := strings.Cut(rest, " ")
	return level
}
