package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/mail/mailtest"
)

func newSMTP(t *testing.T, rawURL string, opts ...SMTPOption) *SMTP {
	t.Helper()
	s, err := NewSMTP(rawURL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// hostOf returns the host:port of a URL.
func hostOf(rawURL string) string {
	u, _ := url.Parse(rawURL)
	return u.Host
}

// via makes a transport for a server at a name that is not a loopback
// address, where STARTTLS is required, by dialing sinkURL's address
// whatever the name.
func via(sinkURL string) SMTPOption {
	return withDialer(func(ctx context.Context, network, _ string) (net.Conn, error) {
		return new(net.Dialer).DialContext(ctx, network, hostOf(sinkURL))
	})
}

func TestSMTPSend(t *testing.T) {
	sink := mailtest.NewSink(t)
	m := letter(t, "alice@example.com")
	if err := newSMTP(t, sink.URL()).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := sink.Wait(t, 1, 5*time.Second)[0]
	if got.From != "no-reply@example.com" || !slices.Equal(got.To, []string{"alice@example.com"}) {
		t.Errorf("envelope from %q to %v", got.From, got.To)
	}
	if got.TLS {
		t.Error("STARTTLS on a loopback address to a server that does not offer it")
	}
	checkMIME(t, m, got)
}

func TestSMTPAuth(t *testing.T) {
	const password = "p@ss w/rd:secret"
	sink := mailtest.NewSink(t)
	sink.RequireAuth("mailer", password)
	u, _ := url.Parse(sink.URL())

	u.User = url.UserPassword("mailer", password)
	if err := newSMTP(t, u.String()).Send(context.Background(), letter(t, "a@example.com")); err != nil {
		t.Fatalf("with the right password: %v", err)
	}
	if got := sink.Wait(t, 1, 5*time.Second)[0]; got.User != "mailer" {
		t.Errorf("signed in as %q, want mailer", got.User)
	}

	u.User = url.UserPassword("mailer", "wrong-"+password)
	s := newSMTP(t, u.String())
	err := s.Send(context.Background(), letter(t, "a@example.com"))
	if err == nil || !strings.Contains(err.Error(), "535") {
		t.Fatalf("with a wrong password: %v, want the server's 535", err)
	}
	for _, text := range []string{err.Error(), s.String()} {
		if strings.Contains(text, "secret") || strings.Contains(text, "mailer") {
			t.Errorf("%q shows the credentials", text)
		}
	}
}

func TestSMTPRefused(t *testing.T) {
	sink := mailtest.NewSink(t)
	sink.RefuseNext(1)
	s := newSMTP(t, sink.URL())
	err := s.Send(context.Background(), letter(t, "a@example.com"))
	if err == nil || !strings.Contains(err.Error(), "451") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("Send = %v, want the server's 451 on one line", err)
	}
	if err := s.Send(context.Background(), letter(t, "a@example.com")); err != nil {
		t.Fatalf("the next send: %v", err)
	}
	if n := len(sink.Wait(t, 1, 5*time.Second)); n != 1 {
		t.Errorf("%d messages arrived, want 1", n)
	}
}

// stalling is a server that accepts connections and then says nothing, or
// only its greeting, as a firewall that drops packets or a hung server
// does.
func stalling(t *testing.T, greet bool) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			if greet {
				c.Write([]byte("220 stalling ESMTP\r\n"))
			}
		}
	}()
	return "smtp://" + ln.Addr().String()
}

func TestSMTPHonoursContext(t *testing.T) {
	for _, greet := range []bool{false, true} {
		for _, want := range []error{context.DeadlineExceeded, context.Canceled} {
			t.Run(want.Error(), func(t *testing.T) {
				s := newSMTP(t, stalling(t, greet))
				ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
				defer cancel()
				if want == context.Canceled {
					time.AfterFunc(100*time.Millisecond, cancel)
				}
				start := time.Now()
				err := s.Send(ctx, letter(t, "a@example.com"))
				// go-mail's own timeout is 15 s; the context's is far less.
				if took := time.Since(start); took > 5*time.Second {
					t.Errorf("Send took %v after the context ended", took)
				}
				if !errors.Is(err, want) {
					t.Errorf("Send = %v, want %v", err, want)
				}
			})
		}
	}
}

func TestRequireSTARTTLS(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": false, "127.1.2.3": false, "::1": false, "::ffff:127.0.0.1": false,
		"localhost": false, "LocalHost": false, "localhost.": false,
		"mail.example.com": true, "10.0.0.1": true, "::2": true, "0.0.0.0": true,
		"localhost.example.com": true, "mailpit": true,
	} {
		if got := requireSTARTTLS(host); got != want {
			t.Errorf("requireSTARTTLS(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestSMTPSTARTTLS(t *testing.T) {
	const name = "mail.example.test"
	plain, secure := mailtest.NewSink(t), mailtest.NewTLSSink(t, name)
	trust := WithTLSConfig(&tls.Config{RootCAs: secure.CertPool()})
	remote := "smtp://" + name + ":587"

	err := newSMTP(t, remote, via(plain.URL())).Send(context.Background(), letter(t, "a@example.com"))
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("to a remote server without STARTTLS: %v, want a refusal", err)
	}
	if err := newSMTP(t, remote, via(secure.URL())).Send(context.Background(), letter(t, "a@example.com")); err == nil {
		t.Error("STARTTLS with a certificate nobody trusts succeeded")
	}
	if n := len(plain.Messages()) + len(secure.Messages()); n != 0 {
		t.Fatalf("%d messages were sent without TLS", n)
	}

	if err := newSMTP(t, remote, via(secure.URL()), trust).Send(context.Background(), letter(t, "a@example.com")); err != nil {
		t.Fatalf("STARTTLS with a trusted certificate: %v", err)
	}
	if got := secure.Wait(t, 1, 5*time.Second)[0]; !got.TLS {
		t.Error("the message did not come over TLS")
	}
	// On this machine, the same server is used without STARTTLS.
	if err := newSMTP(t, secure.URL()).Send(context.Background(), letter(t, "a@example.com")); err != nil {
		t.Fatalf("to a loopback address: %v", err)
	}
	if got := secure.Wait(t, 2, 5*time.Second)[1]; got.TLS {
		t.Error("STARTTLS was used on a loopback address")
	}
}

func TestSMTPS(t *testing.T) {
	sink := mailtest.NewTLSSink(t)
	sink.RequireAuth("mailer", "secret")
	u, _ := url.Parse(sink.SMTPSURL())
	u.User = url.UserPassword("mailer", "secret")
	s := newSMTP(t, u.String(), WithTLSConfig(&tls.Config{RootCAs: sink.CertPool()}))
	if err := s.Send(context.Background(), letter(t, "a@example.com")); err != nil {
		t.Fatal(err)
	}
	if got := sink.Wait(t, 1, 5*time.Second)[0]; !got.TLS || got.User != "mailer" {
		t.Errorf("TLS %v, user %q", got.TLS, got.User)
	}
	if err := newSMTP(t, sink.SMTPSURL()).Send(context.Background(), letter(t, "a@example.com")); err == nil {
		t.Error("smtps with a certificate nobody trusts succeeded")
	}
}

func TestNewSMTP(t *testing.T) {
	for _, bad := range []string{
		"http://pw-host:25", "smtp://pw-host", "smtp://:25", "smtp://pw-host:0", "smtp://pw-host:65536",
		"smtp://pw-host:submission", "smtp://u:pw-secret@pw-host:25/path", "smtp://pw-host:25?tls=no",
		"smtp://u:pw%zz@pw-host:25", "smtp:pw-host:25", "pw-host:25",
	} {
		if _, err := NewSMTP(bad); err == nil || strings.Contains(err.Error(), "pw") {
			t.Errorf("NewSMTP(%q) = %v, want an error that does not repeat the URL", bad, err)
		}
	}
	s := newSMTP(t, "smtps://u%40x:p%40ss@[::1]:465/")
	if s.String() != "smtps://[::1]:465" || s.user != "u@x" || s.pass != "p@ss" {
		t.Errorf("String %q, user %q, password %q", s, s.user, s.pass)
	}
}
