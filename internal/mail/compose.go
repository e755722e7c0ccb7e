package mail

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"time"
)

// kind is what the Go side knows of a message: its subject, the page its
// link opens (none for a notice) and the words of the link's button.
type kind struct {
	subject string
	path    string
	action  string
}

// kinds holds every Kind. The subject says what happened, so that the
// inbox alone tells the reader whether to open it.
var kinds = map[Kind]kind{
	VerifyEmail:     {"Confirm your e-mail address", "/verify-email", "Confirm my address"},
	ResetPassword:   {"Reset your Latchkey password", "/reset-password", "Choose a new password"},
	PasswordChanged: {"Your password was changed", "", ""},
	ConfirmEmail:    {"Confirm your new e-mail address", "/confirm-email", "Confirm my new address"},
	EmailChanged:    {"Your e-mail address was changed", "/undo-email-change", "Put my old address back"},
	LoginLink:       {"Your sign-in link", "/login-link/confirm", "Sign in"},
	Test:            {"Latchkey test message", "", ""},
}

// Composer renders letters into messages. Its links are built only from
// BaseURL and fixed paths, never from anything a request carried (Host,
// X-Forwarded-*), so that nobody can have a reset link point at a server
// of theirs.
type Composer struct {
	// BaseURL is the public URL of the server (LATCHKEY_BASE_URL), without
	// a trailing slash; it may have a path, as in https://example.com/auth.
	BaseURL *url.URL
	// From is the sender (LATCHKEY_MAIL_FROM; see DefaultFrom).
	From string
}

// data is what the templates see; the HTML template escapes every field.
type data struct {
	Subject  string
	Home     string // the base URL
	To       string
	Username string
	Link     string // the absolute URL with the token; "" for a notice
	Action   string // the words on the link's button
	Expires  string // how long the link is valid, in words
	NewEmail string
	Login    string // the login page, for notices
	Forgot   string // the forgotten-password page, for notices
}

// Compose renders l. It fails for an unknown kind, an invalid recipient,
// or a letter that lacks what its kind needs (a token and an expiry for a
// link, the new address for EmailChanged), so that a bug in a flow shows
// as an error and never as a mail with a broken link.
func (c Composer) Compose(l Letter) (*Message, error) {
	k, ok := kinds[l.Kind]
	if !ok {
		return nil, fmt.Errorf("compose mail: unknown kind %q", l.Kind)
	}
	if c.BaseURL == nil {
		return nil, errors.New("compose mail: no base URL")
	}
	if _, err := mail.ParseAddress(l.To); err != nil {
		return nil, fmt.Errorf("compose %s: the recipient is not an address", l.Kind)
	}
	d := data{
		Subject:  k.subject,
		Home:     c.BaseURL.String(),
		To:       l.To,
		Username: l.Username,
		Action:   k.action,
		NewEmail: l.NewEmail,
		Login:    c.page("/login"),
		Forgot:   c.page("/forgot-password"),
	}
	if k.path != "" {
		if l.Token == "" || l.Expires <= 0 {
			return nil, fmt.Errorf("compose %s: a link needs a token and an expiry", l.Kind)
		}
		d.Link = c.page(k.path) + "?token=" + url.QueryEscape(l.Token)
		if l.Kind == LoginLink && l.Next != "" {
			d.Link += "&next=" + url.QueryEscape(l.Next)
		}
		d.Expires = inWords(l.Expires)
	}
	if l.Kind == EmailChanged && l.NewEmail == "" {
		return nil, errors.New("compose email_changed: no new address")
	}
	text, html, err := render(l.Kind, d)
	if err != nil {
		return nil, fmt.Errorf("compose %s: %w", l.Kind, err)
	}
	return &Message{From: c.From, To: l.To, Subject: k.subject, Text: text, HTML: html}, nil
}

// page is the absolute URL of one of our pages: the base URL, its path
// included, and then path.
func (c Composer) page(path string) string {
	return c.BaseURL.JoinPath(path).String()
}

// inWords writes a link's lifetime as people say it: "30 minutes",
// "24 hours", "7 days". A day is said only from two days on, as "24 hours"
// is how a one-day link is usually announced. Anything else is said in
// minutes, rounded down so that the mail never promises more than the link
// gives, and never less than one.
func inWords(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return count(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return count(int64(d/time.Hour), "hour")
	}
	return count(max(int64(d/time.Minute), 1), "minute")
}

func count(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.FormatInt(n, 10) + " " + unit + "s"
}
