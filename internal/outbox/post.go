package outbox

import (
	"context"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/mail"
)

// Post is the Deliverer of a real server: it renders each message with
// the composer (links on the base URL only) and hands it to the transport.
// Both are safe for concurrent use (an SMTP transport opens a connection
// per message), as a Sender needs.
func Post(c mail.Composer, t mail.Transport) Deliverer { return post{c, t} }

type post struct {
	composer  mail.Composer
	transport mail.Transport
}

func (p post) Deliver(ctx context.Context, m *auth.Mail) error {
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
