package auth

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Limits of the identity rules in DESIGN.md.
const (
	MinUsernameLength = 3
	MaxUsernameLength = 32
	MaxEmailBytes     = 254
	MinPasswordFloor  = 8 // the least PasswordMinLength may be set to
	MaxPasswordLength = 256
)

// Rules are the identity rules with their configurable part.
type Rules struct {
	PasswordMinLength int
}

func (r Rules) passwordMin() int {
	return max(r.PasswordMinLength, MinPasswordFloor)
}

// CheckUsername normalises a username as typed and reports every rule it
// breaks. NFKC comes first so that look-alike forms (full-width letters,
// ligatures) fold into the plain ASCII name they resemble and then collide
// with it; whatever is still not ASCII after NFKC is refused, so invisible
// or foreign look-alike code points cannot make a second "alice".
func CheckUsername(raw string) (string, []FieldError) {
	u := norm.NFKC.String(strings.TrimSpace(raw))
	if u == "" {
		return u, []FieldError{{Field: "username", Code: "required", Message: "Enter a username."}}
	}
	var errs []FieldError
	if n := utf8.RuneCountInString(u); n < MinUsernameLength || n > MaxUsernameLength {
		errs = append(errs, FieldError{Field: "username", Code: "username_length",
			Message: fmt.Sprintf("Use %d to %d characters.", MinUsernameLength, MaxUsernameLength)})
	}
	for _, c := range u {
		if !isUsernameChar(c) {
			errs = append(errs, FieldError{Field: "username", Code: "username_characters",
				Message: "Use only the letters a–z and A–Z, digits, and _ - . (no spaces, accents or symbols)."})
			break
		}
	}
	// Only a punctuation start is reported here; a foreign first letter is
	// already a "characters" problem, and two messages for it would confuse.
	if c := rune(u[0]); isUsernameChar(c) && !isASCIIAlnum(c) {
		errs = append(errs, FieldError{Field: "username", Code: "username_start",
			Message: "Start with a letter or a digit."})
	}
	return u, errs
}

func isASCIIAlnum(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isUsernameChar(c rune) bool {
	return isASCIIAlnum(c) || c == '_' || c == '-' || c == '.'
}

// PlainText reports whether s is valid UTF-8 without control characters
// (tab, CR and LF allowed when multiline). Text a client sends and the
// databases store must pass it: PostgreSQL refuses a NUL or an invalid
// byte where SQLite would store it, and DESIGN.md asks both to refuse it
// alike, by name, never with a 500.
func PlainText(s string, multiline bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if unicode.Is(unicode.Cc, c) && !(multiline && (c == '\t' || c == '\r' || c == '\n')) {
			return false
		}
	}
	return true
}

// CleanHeader makes a header value a client sent storable as text: bytes
// that are not UTF-8 and control characters become U+FFFD, so that a
// Latin-1 User-Agent is kept, legibly, rather than failing the login.
func CleanHeader(s string) string {
	if PlainText(s, false) {
		return s
	}
	return strings.Map(func(c rune) rune {
		if unicode.Is(unicode.Cc, c) {
			return utf8.RuneError
		}
		return c
	}, strings.ToValidUTF8(s, string(utf8.RuneError)))
}

// FoldUsername is the form usernames are compared in. Usernames are ASCII,
// so lower-casing is a complete case fold; the databases index the same
// expression.
func FoldUsername(u string) string { return strings.ToLower(u) }

// CheckEmail normalises an email (trimmed, lower-cased) and reports the
// rules it breaks. Only a bare address is accepted: net/mail must parse it
// back to exactly the input, which rules out display names, comments and
// folding tricks.
func CheckEmail(raw string) (string, []FieldError) {
	e := strings.ToLower(strings.TrimSpace(raw))
	if e == "" {
		return e, []FieldError{{Field: "email", Code: "required", Message: "Enter an email address."}}
	}
	if len(e) > MaxEmailBytes {
		return e, []FieldError{{Field: "email", Code: "email_too_long",
			Message: fmt.Sprintf("Use an email address of at most %d bytes.", MaxEmailBytes)}}
	}
	for _, c := range e {
		if c == utf8.RuneError || unicode.In(c, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Co) ||
			unicode.IsSpace(c) {
			return e, []FieldError{{Field: "email", Code: "email_characters",
				Message: "Remove the spaces, control or invisible characters from the email address."}}
		}
	}
	if a, err := mail.ParseAddress(e); err != nil || a.Name != "" || a.Address != e {
		return e, []FieldError{{Field: "email", Code: "email_invalid",
			Message: "Enter a bare email address such as name@example.com."}}
	}
	return e, nil
}

// CheckPassword reports the rules a new password breaks. username and email
// are the normalised identity it must not equal. A password that is far too
// long is refused before any further work, so a megabyte of input costs
// nothing.
func (r Rules) CheckPassword(pw, username, email string) []FieldError {
	if pw == "" {
		return []FieldError{{Field: "password", Code: "required", Message: "Enter a password."}}
	}
	if len(pw) > MaxPasswordLength*utf8.UTFMax || utf8.RuneCountInString(pw) > MaxPasswordLength {
		return []FieldError{{Field: "password", Code: "password_too_long",
			Message: fmt.Sprintf("Use at most %d characters.", MaxPasswordLength)}}
	}
	n := norm.NFKC.String(pw)
	if utf8.RuneCountInString(n) > MaxPasswordLength {
		return []FieldError{{Field: "password", Code: "password_too_long",
			Message: fmt.Sprintf("Use at most %d characters.", MaxPasswordLength)}}
	}
	if utf8.RuneCountInString(n) < r.passwordMin() {
		return []FieldError{{Field: "password", Code: "password_too_short",
			Message: fmt.Sprintf("Use at least %d characters; a longer passphrase is easier to remember than a complex short one.", r.passwordMin())}}
	}
	if (username != "" && strings.EqualFold(n, username)) || (email != "" && strings.EqualFold(n, email)) {
		return []FieldError{{Field: "password", Code: "password_matches_identity",
			Message: "Do not use your username or email address as your password."}}
	}
	if IsCommonPassword(n) {
		return []FieldError{{Field: "password", Code: "password_common",
			Message: "This password is one of the most common ones and easy to guess; choose another."}}
	}
	return nil
}
