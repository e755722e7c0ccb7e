package config

import (
	"fmt"
	"io"
	"log/slog"
)

// mask is what every printed form of a Secret shows.
const mask = "****"

// Secret is a string that prints as "****" everywhere (fmt with any verb,
// JSON, text encodings, slog), so that a secret put in a log line, an error
// or a debug dump by mistake still does not leak. Reveal is the one way to
// read it, which makes every use easy to find.
type Secret string

// Reveal returns the secret's value, for the code that really needs it
// (signing, encryption). Never print or log what it returns.
func (s Secret) Reveal() string { return string(s) }

// IsSet reports whether a value was given, so that callers can tell an
// unset secret from one that prints as "****".
func (s Secret) IsSet() bool { return s != "" }

// String returns "****", so that the secret never reaches a log line or
// an error message.
func (Secret) String() string { return mask }

// GoString returns the mask quoted, as %#v shows a string, so that a %#v
// dump of a struct holding a Secret does not leak it.
func (Secret) GoString() string { return `"` + mask + `"` }

// Format prints the mask for every verb (%d and %x included, which would
// otherwise bypass String); %q and %#v quote it as they would a string.
func (Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' || (verb == 'v' && f.Flag('#')) {
		_, _ = io.WriteString(f, `"`+mask+`"`)
		return
	}
	_, _ = io.WriteString(f, mask)
}

// MarshalText returns "****", so that text encoders and slog's text output
// do not leak the secret.
func (Secret) MarshalText() ([]byte, error) { return []byte(mask), nil }

// MarshalJSON returns "****" as a JSON string, so that a struct holding a
// Secret can be encoded (in a debug endpoint, say) without leaking it.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + mask + `"`), nil }

// LogValue returns "****", so that slog shows the mask whatever the handler.
func (Secret) LogValue() slog.Value { return slog.StringValue(mask) }

var (
	_ fmt.Stringer   = Secret("")
	_ fmt.GoStringer = Secret("")
	_ fmt.Formatter  = Secret("")
	_ slog.LogValuer = Secret("")
)
