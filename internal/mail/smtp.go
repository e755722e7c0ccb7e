package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTP delivers messages through an SMTP server (LATCHKEY_SMTP_URL). It
// opens one connection per message: account mail is rare, and a fresh
// connection cannot be one the server has silently dropped.
type SMTP struct {
	implicitTLS bool   // smtps://: TLS from the first byte
	host, port  string // as in the URL
	user, pass  string // from the URL; no AUTH when user is ""
	tlsConfig   *tls.Config
	dial        func(ctx context.Context, network, addr string) (net.Conn, error)
}

// SMTPOption changes how an SMTP transport connects.
type SMTPOption func(*SMTP)

// WithTLSConfig sets the TLS configuration for STARTTLS and smtps://, for
// a server whose certificate is signed by a private CA (RootCAs), as in
// tests. The server name is the URL's host unless the configuration names
// one.
func WithTLSConfig(cfg *tls.Config) SMTPOption {
	return func(s *SMTP) { s.tlsConfig = cfg.Clone() }
}

// withDialer replaces how the TCP connection is opened, so that tests can
// reach a local server under a name that is not a loopback address, where
// STARTTLS is required.
func withDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) SMTPOption {
	return func(s *SMTP) { s.dial = dial }
}

// NewSMTP reads an SMTP URL: smtp://[user:pass@]host:port, which requires
// STARTTLS unless host is a loopback address (127.0.0.0/8, ::1,
// localhost), or smtps://[user:pass@]host:port for TLS from the start
// (usually port 465). The user name and password are percent-decoded. An
// error never repeats the URL, which may hold the password.
func NewSMTP(rawURL string, opts ...SMTPOption) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("the SMTP URL is not a URL; percent-encode special characters in the user name and password")
	}
	if u.Scheme != "smtp" && u.Scheme != "smtps" {
		return nil, errors.New("the SMTP URL must start with smtp:// (STARTTLS) or smtps:// (TLS)")
	}
	n, err := strconv.ParseUint(u.Port(), 10, 16)
	if u.Hostname() == "" || err != nil || n == 0 {
		return nil, errors.New("the SMTP URL needs a host and a port, like smtp://mail.example.com:587")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, errors.New("the SMTP URL must be only scheme://[user:pass@]host:port")
	}
	s := &SMTP{implicitTLS: u.Scheme == "smtps", host: u.Hostname(), port: u.Port(), dial: new(net.Dialer).DialContext}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	for _, opt := range opts {
		opt(s)
	}
	if s.tlsConfig == nil {
		s.tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if s.tlsConfig.ServerName == "" {
		s.tlsConfig.ServerName = s.host
	}
	return s, nil
}

// String is the server's URL without the user name and password, to say
// where mail went.
func (s *SMTP) String() string {
	scheme := "smtp"
	if s.implicitTLS {
		scheme = "smtps"
	}
	return scheme + "://" + net.JoinHostPort(s.host, s.port)
}

// requireSTARTTLS reports whether mail to host over smtp:// must be
// encrypted with STARTTLS: everywhere but on this machine (127.0.0.0/8,
// ::1, localhost), where it never crosses a network, and where a local
// relay often offers STARTTLS with a self-signed certificate that would
// fail every send.
func requireSTARTTLS(host string) bool {
	if ip, err := netip.ParseAddr(host); err == nil {
		return !ip.Unmap().IsLoopback()
	}
	// A trailing dot makes the name fully qualified; it is the same name.
	return !strings.EqualFold(strings.TrimSuffix(host, "."), "localhost")
}

// Send delivers m. It honours ctx from the dial to the QUIT: go-mail only
// watches a context while dialing, so the connection is closed when ctx
// ends, which fails whatever read or write is waiting.
func (s *SMTP) Send(ctx context.Context, m *Message) error {
	msg, err := m.build(time.Now())
	if err != nil {
		return fmt.Errorf("send mail via %s: %w", s, err)
	}
	var (
		mu   sync.Mutex
		conn net.Conn
	)
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := s.dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if s.implicitTLS {
			tc := tls.Client(c, s.tlsConfig)
			if err := tc.HandshakeContext(ctx); err != nil {
				c.Close()
				return nil, err
			}
			c = tc
		}
		mu.Lock()
		conn = c
		mu.Unlock()
		// ctx may have ended after the dial but before conn was set,
		// when closing it found nothing to close.
		if err := ctx.Err(); err != nil {
			c.Close()
			return nil, err
		}
		return c, nil
	}
	closeConn := func() {
		mu.Lock()
		if conn != nil {
			conn.Close()
		}
		mu.Unlock()
	}
	stop := context.AfterFunc(ctx, closeConn)
	defer stop()
	defer closeConn() // go-mail leaves it open when the greeting or STARTTLS fails

	client, err := gomail.NewClient(s.host, s.options(dial)...)
	if err != nil {
		return s.fail(ctx, err)
	}
	session, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return s.fail(ctx, err)
	}
	if err := client.SendWithSMTPClient(session, msg); err != nil {
		return s.fail(ctx, err)
	}
	// The server has accepted the message: a failed QUIT must not make
	// the caller send it a second time.
	_ = client.CloseWithSMTPClient(session)
	return nil
}

// options configures a go-mail client for one send.
func (s *SMTP) options(dial gomail.DialContextFunc) []gomail.Option {
	port, _ := strconv.Atoi(s.port)
	policy := gomail.NoTLS // smtps: the connection is TLS already
	if !s.implicitTLS && requireSTARTTLS(s.host) {
		policy = gomail.TLSMandatory
	}
	opts := []gomail.Option{
		gomail.WithPort(port),
		gomail.WithTLSPolicy(policy),
		gomail.WithTLSConfig(s.tlsConfig),
		gomail.WithDialContextFunc(dial),
		// One message per connection: no NOOP before it, no RSET after
		// it, whose failure would report a delivered message as failed.
		gomail.WithoutNoop(),
		gomail.WithoutRset(),
	}
	if s.user != "" {
		opts = append(opts, gomail.WithSMTPAuthCustom(&auth{user: s.user, pass: s.pass, loopback: !requireSTARTTLS(s.host)}))
	}
	return opts
}

// fail words a failed send on one line, the server's answer included and
// the password never, and keeps the cause for errors.Is.
func (s *SMTP) fail(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	msg := strings.Join(strings.Fields(fmt.Sprintf("send mail via %s: %v", s, err)), " ")
	if s.pass != "" {
		msg = strings.ReplaceAll(msg, s.pass, "****")
	}
	return &sendError{msg: msg, err: err}
}

// sendError is a failed send whose message has been made safe to log.
type sendError struct {
	msg string
	err error
}

func (e *sendError) Error() string { return e.msg }
func (e *sendError) Unwrap() error { return e.err }
