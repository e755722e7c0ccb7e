package config

import "strings"

// Error lists every invalid setting Load found, so that an operator fixes
// them all in one pass instead of one restart per mistake. Its message
// never contains a secret.
type Error struct {
	Problems []Problem
}

// Problem is one invalid setting: Setting is its LATCHKEY_ name (also when
// the value came from a flag or the .env file, as the name is what the
// documentation uses), Message says what is wrong and how to fix it.
type Problem struct {
	Setting string
	Message string
}

// Error reads "invalid settings:" followed by one indented line per
// problem, so that it can be printed as is.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("invalid settings:")
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.Setting)
		b.WriteString(": ")
		b.WriteString(p.Message)
	}
	return b.String()
}
