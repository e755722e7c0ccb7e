// Package mailtest is a real SMTP server for tests, and readers for the
// messages it takes and for the .eml files the Dir transport writes.
//
// It exists so that tests of the mail transports, and later of the flows
// that send mail, exercise the real SMTP conversation (STARTTLS, AUTH,
// temporary refusals) and read what a recipient would read, rather than
// checking that a mock was called.
package mailtest

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Sink is an SMTP server listening on 127.0.0.1 that keeps every message
// it accepts. It is stopped when the test ends.
type Sink struct {
	t        testing.TB
	server   *smtp.Server
	addr     string // of the plain (or STARTTLS) listener
	tlsAddr  string // of the implicit TLS listener; "" without TLS
	certPool *x509.CertPool

	mu       sync.Mutex
	messages []Received
	arrived  chan struct{} // closed, and replaced, when a message arrives
	refuse   int
	user     string // RequireAuth's; "" accepts any AUTH and none
	pass     string
}

// NewSink starts a sink without TLS, which accepts AUTH PLAIN over the
// plain connection (a loopback address needs no TLS).
func NewSink(t testing.TB) *Sink {
	t.Helper()
	return start(t, nil)
}

// NewTLSSink starts a sink that offers STARTTLS on URL and implicit TLS on
// SMTPSURL, with a certificate made for this test, valid for 127.0.0.1,
// ::1, localhost and the given host names; CertPool trusts it.
func NewTLSSink(t testing.TB, hosts ...string) *Sink {
	t.Helper()
	cert, pool := newCertificate(t, hosts)
	s := start(t, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	s.certPool = pool
	ln, err := tls.Listen("tcp", "127.0.0.1:0", s.server.TLSConfig)
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s.tlsAddr = ln.Addr().String()
	go s.server.Serve(ln)
	return s
}

func start(t testing.TB, tlsConfig *tls.Config) *Sink {
	s := &Sink{t: t, arrived: make(chan struct{})}
	s.server = smtp.NewServer(smtp.BackendFunc(s.newSession))
	s.server.Domain = "sink.test"
	s.server.AllowInsecureAuth = true
	s.server.TLSConfig = tlsConfig
	s.server.ReadTimeout = 10 * time.Second
	s.server.WriteTimeout = 10 * time.Second
	s.server.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s.addr = ln.Addr().String()
	go s.server.Serve(ln)
	t.Cleanup(func() { s.server.Close() })
	return s
}

// URL is the sink's smtp:// URL, for LATCHKEY_SMTP_URL.
func (s *Sink) URL() string { return "smtp://" + s.addr }

// SMTPSURL is the smtps:// URL of a TLS sink.
func (s *Sink) SMTPSURL() string {
	if s.tlsAddr == "" {
		s.t.Fatal("mailtest: SMTPSURL of a sink without TLS; use NewTLSSink")
	}
	return "smtps://" + s.tlsAddr
}

// CertPool trusts the certificate of a TLS sink; nil without TLS.
func (s *Sink) CertPool() *x509.CertPool { return s.certPool }

// RequireAuth makes the sink refuse mail until a client signs in with user
// and pass (535 for other credentials, 502 without AUTH).
func (s *Sink) RequireAuth(user, pass string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user, s.pass = user, pass
}

// RefuseNext makes the sink answer the next n messages, once their data is
// sent, with a temporary failure (451), as a server does that is busy:
// the sender must keep the message and try again.
func (s *Sink) RefuseNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = n
}

// Messages returns a copy of the messages accepted so far, oldest first.
func (s *Sink) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.messages...)
}

// Wait returns the messages once at least n have been accepted, failing
// the test if they have not within timeout.
func (s *Sink) Wait(t testing.TB, n int, timeout time.Duration) []Received {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, arrived := len(s.messages), s.arrived
		s.mu.Unlock()
		if got >= n {
			return s.Messages()
		}
		select {
		case <-arrived:
		case <-deadline.C:
			t.Fatalf("mailtest: %d of %d messages arrived within %v", got, n, timeout)
		}
	}
}

// keep records an accepted message and wakes the waiters.
func (s *Sink) keep(r Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, r)
	close(s.arrived)
	s.arrived = make(chan struct{})
}

// takeRefusal reports whether this message is to be refused.
func (s *Sink) takeRefusal() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse > 0 {
		s.refuse--
		return true
	}
	return false
}

func (s *Sink) credentials() (user, pass string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.user, s.pass
}

var _ smtp.AuthSession = (*session)(nil)

// newSession starts the state of one SMTP conversation; go-smtp starts a
// new one after STARTTLS, so tls is known from the first command.
func (s *Sink) newSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &session{sink: s, tls: isTLS}, nil
}

// authPlain checks AUTH PLAIN credentials against RequireAuth's.
func (s *Sink) authPlain(ss *session) sasl.Server {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		want, wantPass := s.credentials()
		if want != "" && (user != want || pass != wantPass) {
			return smtp.ErrAuthFailed
		}
		ss.user = user
		return nil
	})
}
