package metrics

import (
	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/outbox"
)

// resultOK is the result label of a flow that succeeded; any other result
// is the stable error code of its answer (auth.ErrorCode), a closed set,
// so the label stays bounded and says what a client was told.
const resultOK = "ok"

var _ auth.Meter = (*Metrics)(nil)

func result(err error) string {
	if err == nil {
		return resultOK
	}
	return string(auth.ErrorCode(err))
}

// Login counts a password login, by the error it ended with (nil:
// success).
func (m *Metrics) Login(err error) { m.logins.WithLabelValues(result(err)).Inc() }

// Registration counts a registration, by the error it ended with.
func (m *Metrics) Registration(err error) { m.registrations.WithLabelValues(result(err)).Inc() }

// Refresh counts a refresh token grant, by the error it ended with.
func (m *Metrics) Refresh(err error) { m.refreshes.WithLabelValues(result(err)).Inc() }

// RefreshReused counts a refresh token presented again after its
// rotation, which revokes its session as stolen.
func (m *Metrics) RefreshReused() { m.reuse.Inc() }

// mailResults are the results of a delivery attempt, all shown from the
// start.
var mailResults = []string{
	string(outbox.ResultSent), string(outbox.ResultDropped),
	string(outbox.ResultFailed), string(outbox.ResultGivenUp),
}

// MailAttempted counts one attempt of the mail sender
// (outbox.Options.Attempted).
func (m *Metrics) MailAttempted(r outbox.Result) { m.mail.WithLabelValues(string(r)).Inc() }
