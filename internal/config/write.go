package config

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Write prints the effective settings for `latchkey config`: one
// LATCHKEY_NAME=value line per setting, in the order of Config's fields.
// Secrets show as "****" when set and empty when not; the database URL has
// its password replaced by "xxxxx"; durations are written as
// time.Duration.String does, lists comma-separated.
func (c *Config) Write(w io.Writer) error {
	var b strings.Builder
	for i := range settings {
		s := &settings[i]
		b.WriteString(s.name)
		b.WriteByte('=')
		b.WriteString(s.show(c))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// The printed forms below use value receivers, unlike the other methods, so
// that printing a Config value, not only a *Config, is redacted too.

// String shows the settings on one line as Write shows them, so that a
// Config printed by mistake leaks neither a secret nor the database
// password.
func (c Config) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i := range settings {
		s := &settings[i]
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s.name)
		b.WriteByte('=')
		b.WriteString(s.show(&c))
	}
	b.WriteByte('}')
	return b.String()
}

// Format prints String for every verb, %+v, %#v and %d included, which
// would otherwise print the fields one by one, the database URL with its
// password.
func (c Config) Format(f fmt.State, _ rune) {
	_, _ = io.WriteString(f, c.String())
}

// LogValue shows the settings as a group, redacted as Write shows them, so
// that the effective configuration can be logged at start-up.
func (c Config) LogValue() slog.Value {
	attrs := make([]slog.Attr, len(settings))
	for i := range settings {
		s := &settings[i]
		attrs[i] = slog.String(s.logKey(), s.show(&c))
	}
	return slog.GroupValue(attrs...)
}

var (
	_ fmt.Stringer   = Config{}
	_ fmt.Formatter  = Config{}
	_ slog.LogValuer = Config{}
)
