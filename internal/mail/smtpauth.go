package mail

import (
	"errors"
	"slices"
	"strings"

	"github.com/wneessen/go-mail/smtp"
)

// auth signs in with the user name and password of the SMTP URL, by PLAIN
// when the server offers it and by LOGIN otherwise, which between them
// every submission server accepts (LOGIN alone: Microsoft's).
//
// go-mail can choose a mechanism itself, but it decides from whether it
// made the TLS connection, and here the connection is made by SMTP.Send
// (to honour the context), so it would refuse PLAIN over smtps://. The
// rule that matters is kept: the password is only sent over TLS, or to
// this machine.
type auth struct {
	user, pass string
	loopback   bool
	next       smtp.Auth // the chosen mechanism, once started
}

func (a *auth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !a.loopback {
		return "", nil, errors.New("refusing to send the SMTP password over a connection without TLS")
	}
	offers := func(mech string) bool {
		return slices.ContainsFunc(server.Auth, func(m string) bool { return strings.EqualFold(m, mech) })
	}
	switch {
	case offers("PLAIN"):
		a.next = smtp.PlainAuth("", a.user, a.pass, server.Name, true)
	case offers("LOGIN"):
		a.next = smtp.LoginAuth(a.user, a.pass, server.Name, true)
	case len(server.Auth) == 0:
		return "", nil, errors.New("the SMTP URL has a user name, but the server offers no AUTH")
	default:
		return "", nil, errors.New("the server offers neither PLAIN nor LOGIN authentication, only " + strings.Join(server.Auth, " "))
	}
	return a.next.Start(server)
}

func (a *auth) Next(fromServer []byte, more bool) ([]byte, error) {
	return a.next.Next(fromServer, more)
}
