package mailtest

import (
	"io"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// session is one SMTP conversation with the Sink.
type session struct {
	sink *Sink
	tls  bool
	user string // signed in with AUTH
	from string
	to   []string
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return ss.sink.authPlain(ss), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if want, _ := ss.sink.credentials(); want != "" && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

// Data reads the whole message, then refuses it if RefuseNext asked so,
// which is when a real server that is short of space or busy says 451.
func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.sink.takeRefusal() {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later (mailtest refused it)"}
	}
	rec, err := parse(raw)
	if err != nil {
		ss.sink.t.Errorf("mailtest: the sink got a message it cannot parse: %v\n%s", err, raw)
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Unparsable message"}
	}
	rec.From, rec.To, rec.TLS, rec.User = ss.from, append([]string(nil), ss.to...), ss.tls, ss.user
	ss.sink.keep(rec)
	return nil
}

func (ss *session) Reset() {
	ss.from, ss.to = "", nil
}

func (ss *session) Logout() error { return nil }
