package auth

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Code is a stable, machine-readable error code. Codes are part of the public
// API: clients branch on them, so they never change once released.
type Code string

// The error codes. Transports map each to a status in one table.
const (
	CodeInvalid            Code = "validation_failed"
	CodeUsernameTaken      Code = "username_taken"
	CodeEmailTaken         Code = "email_taken"
	CodeInvalidCredentials Code = "invalid_credentials"
	CodeAccountDisabled    Code = "account_disabled"
	CodeEmailNotVerified   Code = "email_not_verified"
	CodeTooManyAttempts    Code = "too_many_attempts"
	CodeBusy               Code = "busy"
	CodeNotFound           Code = "not_found"
	CodeInvalidToken       Code = "invalid_token"
	CodeInvalidGrant       Code = "invalid_grant"
	CodeUnauthenticated    Code = "unauthenticated"
	CodeForbidden          Code = "forbidden"
	CodeLastAdmin          Code = "last_admin"
	CodeConflict           Code = "conflict"
	CodeMFARequired        Code = "mfa_required"
	CodeUnavailable        Code = "unavailable"
	CodeInternal           Code = "internal"
)

// Error is the one error type the flows return to callers. Message is safe
// to show to the user; it never contains a submitted password or secret.
type Error struct {
	Code       Code
	Message    string
	Fields     []FieldError  // per-field problems, for CodeInvalid and conflicts
	RetryAfter time.Duration // for CodeTooManyAttempts and CodeBusy
}

// FieldError names one problem with one input field. Field is the input's
// name (e.g. "password"); the value is never repeated.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return string(e.Code) + ": " + e.Message
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, strings.Join(parts, "; "))
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, and
// CodeInternal otherwise: an error the flows did not anticipate is never
// shown in detail.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrNotFound is returned by a Store when the requested row does not exist.
var ErrNotFound = &Error{Code: CodeNotFound, Message: "Not found."}

// ErrUnavailable wraps store failures that mean the database cannot be
// reached, so transports answer 503 instead of 500.
var ErrUnavailable = &Error{Code: CodeUnavailable, Message: "The service is temporarily unavailable; try again shortly."}

// ErrUnstorableText wraps a store failure on text the database refuses (a
// NUL, or bytes that are not UTF-8, on PostgreSQL). The rules refuse such
// text by field first; this is the backstop that keeps any that slips
// past them a 422, never a 500.
var ErrUnstorableText = &Error{Code: CodeInvalid, Message: "Remove the control characters and the bytes that are not UTF-8 from what you sent."}

var errInvalidCredentials = &Error{
	Code:    CodeInvalidCredentials,
	Message: "The email, username or password is not correct.",
}
