package userimport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/password"
)

// record is one line as written. Pointers tell a missing field from an
// empty one, so that "required" is said of the first only.
type record struct {
	Username      *string `json:"username"`
	Email         *string `json:"email"`
	PasswordHash  *string `json:"password_hash"`
	EmailVerified *bool   `json:"email_verified"`
	Role          *string `json:"role"`
	CreatedAt     *string `json:"created_at"`
}

// fieldNames lists record's fields for the message about an unknown one.
const fieldNames = "username, email, password_hash, email_verified, role, created_at"

// problem is what is wrong with one line of the input.
type problem struct {
	Line    int    // from 1
	Field   string // "" when the line as a whole is wrong
	Message string
}

func (p problem) String() string {
	if p.Field == "" {
		return fmt.Sprintf("line %d: %s", p.Line, p.Message)
	}
	return fmt.Sprintf("line %d: %s: %s", p.Line, p.Field, p.Message)
}

// parser turns lines into users with the registration's identity rules.
// It holds no state between lines, so that both passes over the input
// reach the same verdict on each.
type parser struct {
	pepper string
	now    time.Time
}

// parse checks one line and returns the user it describes, or every
// problem with it. Nothing in a problem repeats the hash.
func (p parser) parse(n int, line []byte, long bool) (*auth.User, []problem) {
	bad := func(field, format string, args ...any) []problem {
		return []problem{{Line: n, Field: field, Message: fmt.Sprintf(format, args...)}}
	}
	if long {
		return nil, bad("", "longer than %d bytes", MaxLineBytes)
	}
	// encoding/json would quietly turn bytes that are not UTF-8 into
	// U+FFFD; the file is refused by name instead.
	if !utf8.Valid(line) {
		return nil, bad("", "not valid UTF-8")
	}
	var r record
	dec := json.NewDecoder(bytes.NewReader(line))
	// An unknown field is refused rather than ignored: a misspelt
	// "email_verified" would otherwise import every address unverified,
	// and a "password" column left in an export is better caught here.
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, bad("", "%s", jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bad("", "more than one JSON value on the line")
	}

	var probs []problem
	add := func(field, msg string) { probs = append(probs, problem{Line: n, Field: field, Message: msg}) }
	var username, email string
	if r.Username == nil {
		add("username", "required")
	} else {
		var errs []auth.FieldError
		username, errs = auth.CheckUsername(*r.Username)
		for _, e := range errs {
			add("username", e.Message)
		}
	}
	if r.Email == nil {
		add("email", "required")
	} else {
		var errs []auth.FieldError
		email, errs = auth.CheckEmail(*r.Email)
		for _, e := range errs {
			add("email", e.Message)
		}
	}
	hash, msg := p.hash(r.PasswordHash)
	if msg != "" {
		add("password_hash", msg)
	}
	role := auth.RoleUser
	if r.Role != nil {
		switch auth.Role(*r.Role) {
		case auth.RoleUser, auth.RoleAdmin:
			role = auth.Role(*r.Role)
		default:
			add("role", `use "user" or "admin"`)
		}
	}
	created := p.now
	if r.CreatedAt != nil {
		t, err := time.Parse(time.RFC3339Nano, *r.CreatedAt)
		switch {
		case err != nil:
			add("created_at", "use RFC 3339, such as 2024-05-01T12:00:00Z")
		case t.After(p.now):
			// Lists are newest first; a future date would sit on top
			// of every page for years.
			add("created_at", "in the future")
		default:
			created = t.UTC()
		}
	}
	if len(probs) > 0 {
		return nil, probs
	}
	u := &auth.User{
		ID:           uuid.Must(uuid.NewV7()).String(),
		Username:     username,
		Email:        email,
		PasswordHash: hash,
		Role:         role,
		CreatedAt:    created,
		UpdatedAt:    p.now,
	}
	if r.EmailVerified != nil && *r.EmailVerified {
		// When the other stack verified it is not known; this is when
		// Latchkey took its word for it.
		at := p.now
		u.EmailVerifiedAt = &at
	}
	return u, nil
}

// hash checks a password hash and wraps a bare bcrypt string with the
// pepper when there is one. The message is "" when the hash is good.
func (p parser) hash(h *string) (string, string) {
	switch {
	case h == nil:
		return "", "required"
	case *h == "":
		return "", "empty"
	}
	if err := password.Check(*h); err != nil {
		switch {
		case errors.Is(err, password.ErrUnsupported):
			return "", "a format Latchkey cannot verify (" + err.Error() + ")"
		case errors.Is(err, password.ErrLimits):
			return "", "parameters beyond Latchkey's limits (" + err.Error() + ")"
		}
		return "", "not a password hash in a format Latchkey reads (" + err.Error() + ")"
	}
	if p.pepper != "" && strings.HasPrefix(*h, "$2") {
		wrapped, err := password.WithPepper(*h, p.pepper)
		if err != nil {
			return "", err.Error()
		}
		return wrapped, ""
	}
	return *h, ""
}

// jsonProblem says what is wrong with a line that does not decode, in
// terms of the file's fields rather than Go's types.
func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		want := "a string"
		if typeErr.Field == "email_verified" {
			want = "true or false"
		}
		return fmt.Sprintf("%s: want %s, not a JSON %s", typeErr.Field, want, typeErr.Value)
	case errors.As(err, &typeErr):
		return "not a JSON object"
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return "not valid JSON (" + err.Error() + ")"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ") + " (the fields are " + fieldNames + ")"
	}
	return "not valid JSON (" + err.Error() + ")"
}
