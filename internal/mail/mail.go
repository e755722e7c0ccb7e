// Package mail turns Latchkey's account e-mails into MIME messages and
// delivers them, through an SMTP server or into a directory of .eml files.
//
// It exists so that the flows which cause a message (registration, password
// reset, a change of address, a sign-in link) only name what happened and
// to whom, in a Letter, and never build a URL, a body or a header
// themselves: links come from the configured base URL alone, so a forged
// Host header cannot point a reset link at someone else's server, and the
// wording of every message lives in the embedded templates beside it.
//
// The package knows nothing of the database: the outbox that makes delivery
// durable, and the retries, belong to the caller, which hands each Message
// to a Transport.
package mail

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Kind names a message. The outbox stores it as text, so the values are
// part of the stored data and must not change.
type Kind string

// The kinds of message Latchkey sends; each has a subject and a template.
const (
	// VerifyEmail asks a new account to prove its address: a link to
	// /verify-email.
	VerifyEmail Kind = "verify_email"
	// ResetPassword carries a link to /reset-password for a forgotten
	// password.
	ResetPassword Kind = "reset_password"
	// PasswordChanged tells the owner the password changed. It carries no
	// link that changes anything, so a forwarded or leaked notice is
	// harmless.
	PasswordChanged Kind = "password_changed"
	// ConfirmEmail goes to a new address: a link to /confirm-email that
	// makes the change.
	ConfirmEmail Kind = "confirm_email"
	// EmailChanged goes to the old address: it names the new one and
	// carries a link to /undo-email-change, so that the owner can take the
	// account back from whoever changed it.
	EmailChanged Kind = "email_changed"
	// LoginLink carries a link to /login-link/confirm, a sign-in without a
	// password.
	LoginLink Kind = "login_link"
	// Test is what `latchkey mail test` sends, to check the transport.
	Test Kind = "test"
)

// Kinds returns every kind, in a fixed order, so that a command can list
// the valid ones.
func Kinds() []Kind {
	return slices.Clone(allKinds)
}

var allKinds = []Kind{VerifyEmail, ResetPassword, PasswordChanged, ConfirmEmail, EmailChanged, LoginLink, Test}

// Letter is everything a template needs, filled by the caller from the
// outbox row. It holds the raw one-time token only until the message is
// composed; nothing in this package logs it.
type Letter struct {
	Kind     Kind
	To       string        // the recipient's address
	Username string        // for the greeting; may be empty
	Token    string        // the raw one-time token of the link; "" for a notice
	Next     string        // LoginLink only: a local path, already checked by the caller, added as &next=
	NewEmail string        // EmailChanged: the address the account moves to
	Expires  time.Duration // how long the link is valid, written out in words
}

// Message is a rendered e-mail, ready for a Transport.
type Message struct {
	From, To, Subject, Text, HTML string
}

// Transport delivers a message. There are two: SMTP, and Dir, which writes
// files for development and for deployments without a mail server. Both
// write the same bytes (see Message.WriteTo).
type Transport interface {
	// Send delivers m, or returns why not. An error may be temporary (the
	// caller retries later); it never contains a password.
	Send(ctx context.Context, m *Message) error
}

var (
	_ Transport = (*SMTP)(nil)
	_ Transport = (*Dir)(nil)
)

// DefaultFrom is the sender used when LATCHKEY_MAIL_FROM is not set:
// "Latchkey <no-reply@HOST>", HOST being the base URL's host name without
// the port, in lower case, so that mail appears to come from the site it talks about. An
// IPv6 host keeps its brackets, which makes it a valid address literal.
func DefaultFrom(base *url.URL) string {
	host := strings.ToLower(base.Hostname())
	if ip, err := netip.ParseAddr(host); err == nil && ip.Is6() {
		host = "[" + host + "]"
	}
	return fmt.Sprintf("Latchkey <no-reply@%s>", host)
}
