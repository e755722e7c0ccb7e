package mail

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// build turns m into a go-mail message: multipart/alternative with the
// text part first and the HTML part second (a client shows the last part
// it can), both UTF-8 and quoted-printable, with a Date and a Message-ID.
// Both transports send what it builds, so a file in the mail directory is
// exactly what an SMTP server would have received.
func (m *Message) build(now time.Time) (*gomail.Msg, error) {
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return nil, fmt.Errorf("the sender %q is not an address", m.From)
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		// The recipient is not quoted: a bad one came from a user.
		return nil, fmt.Errorf("the recipient is not an address")
	}
	// No User-Agent: what software sends the mail is nobody's business.
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(from)
	msg.ToMailAddress(to)
	msg.Subject(m.Subject)
	msg.SetDateWithValue(now)
	// The Message-ID names the sender's domain rather than this
	// machine's host name (go-mail's default), which is nobody's business
	// either.
	msg.SetMessageIDWithValue(rand.Text() + "@" + domainOf(from.Address))
	// RFC 3834: an automatic message, so vacation responders stay quiet.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	return msg, nil
}

// domainOf returns what follows the last "@" of an address.
func domainOf(addr string) string {
	return addr[strings.LastIndexByte(addr, '@')+1:]
}

// WriteTo writes m as a complete MIME message, as the transports deliver
// it, with a new Date and Message-ID; `latchkey mail preview` uses it.
func (m *Message) WriteTo(w io.Writer) (int64, error) {
	msg, err := m.build(time.Now())
	if err != nil {
		return 0, err
	}
	return msg.WriteTo(w)
}

var _ io.WriterTo = (*Message)(nil)
