package outbox

import (
	"context"
	"errors"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/mail"
)

// Resolve completes a message queued as it was asked for, without its
// account (auth.Service.ResolveMail): it returns the message to deliver,
// or nil when there is none to send.
type Resolve func(context.Context, *auth.Mail) (*auth.Mail, error)

// Post is the Deliverer of a real server: it completes each message with
// resolve, renders it with the composer (links on the base URL only) and
// hands it to the transport. All are safe for concurrent use (an SMTP
// transport opens a connection per message), as a Sender needs.
func Post(c mail.Composer, t mail.Transport, resolve Resolve) Deliverer { return post{c, t, resolve} }

type post struct {
	composer  mail.Composer
	transport mail.Transport
	resolve   Resolve
}

// ErrNoRecipient is a Deliverer's answer for a request that turns out to
// go nowhere (an address without an account): done, nothing sent.
var ErrNoRecipient = errors.New("no recipient")

// Deliver implements Deliverer.
func (p post) Deliver(ctx context.Context, m *auth.Mail) error {
	m, err := p.resolve(ctx, m)
	if err != nil {
		return err
	}
	if m == nil {
		return ErrNoRecipient
	}
	msg, err := p.composer.Compose(letterOf(m))
	if err != nil {
		return err
	}
	return p.transport.Send(ctx, msg)
}

// letterOf is what the templates need of an outbox message; the kinds
// share their names.
func letterOf(m *auth.Mail) mail.Letter {
	return mail.Letter{Kind: mail.Kind(m.Kind), To: m.To, Username: m.Username, Token: m.Token,
		Next: m.Next, NewEmail: m.NewEmail, Expires: m.Kind.LinkTTL()}
}
