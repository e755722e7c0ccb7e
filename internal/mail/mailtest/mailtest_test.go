package mailtest

import (
	"crypto/tls"
	"net/smtp"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// raw is a message as another mail library might write it: an encoded
// subject, a quoted-printable text part and a base64 HTML part with line
// breaks, inside multipart/mixed, to check every decoding path.
const raw = "From: Sender <from@example.com>\r\n" +
	"To: Ann <ann@example.com>, bob@example.com\r\n" +
	"Subject: =?UTF-8?q?R=C3=A9initialiser?=\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=outer\r\n" +
	"\r\n" +
	"--outer\r\n" +
	"Content-Type: multipart/alternative; boundary=inner\r\n" +
	"\r\n" +
	"--inner\r\n" +
	"Content-Type: text/plain; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"Caf=C3=A9: https://example.com/other https://example.com/reset-password?t=\r\n" +
	"oken=3Dabc&next=3D%2F done\r\n" +
	"--inner\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"PHA+Q2Fmw6k8\r\nL3A+\r\n" +
	"--inner--\r\n" +
	"--outer--\r\n"

func TestParse(t *testing.T) {
	r := Parse(t, []byte(raw))
	checks := []struct{ name, got, want string }{
		{"Subject", r.Subject, "Réinitialiser"},
		{"Text", r.Text, "Café: https://example.com/other https://example.com/reset-password?token=abc&next=%2F done"},
		{"HTML", r.HTML, "<p>Café</p>"},
		{"Link", r.Link(t, "/reset"), "https://example.com/reset-password?token=abc&next=%2F"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if _, err := parse([]byte("Content-Type: text/plain; charset=latin1\r\n\r\nx")); err == nil {
		t.Error("a latin1 part parsed; want an error, as only UTF-8 is expected")
	}
	if _, err := parse([]byte("Content-Transfer-Encoding: uuencode\r\n\r\nx")); err == nil {
		t.Error("an unknown transfer encoding parsed")
	}
}

func TestReadEML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.eml")
	if err := os.WriteFile(path, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	r := ReadEML(t, path)
	if r.From != "from@example.com" || !slices.Equal(r.To, []string{"ann@example.com", "bob@example.com"}) || r.HTML != "<p>Café</p>" {
		t.Errorf("ReadEML = from %q to %q, HTML %q", r.From, r.To, r.HTML)
	}
}

func send(t *testing.T, c *smtp.Client, auth smtp.Auth) error {
	t.Helper()
	defer c.Close()
	if auth != nil {
		if err := c.Auth(auth); err != nil {
			return err
		}
	}
	if err := c.Mail("from@example.com"); err != nil {
		return err
	}
	if err := c.Rcpt("ann@example.com"); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(raw)); err != nil {
		return err
	}
	return w.Close()
}

func dial(t *testing.T, rawURL string) *smtp.Client {
	t.Helper()
	u, _ := url.Parse(rawURL)
	c, err := smtp.Dial(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSink(t *testing.T) {
	s := NewSink(t)
	s.RefuseNext(1)
	if err := send(t, dial(t, s.URL()), nil); err == nil || !strings.HasPrefix(err.Error(), "451 ") {
		t.Fatalf("first send: %v, want a 451 refusal", err)
	}
	if got := s.Messages(); len(got) != 0 {
		t.Fatalf("a refused message was kept: %v", got)
	}
	if err := send(t, dial(t, s.URL()), nil); err != nil {
		t.Fatalf("second send: %v", err)
	}
	got := s.Wait(t, 1, 5*time.Second)[0]
	if got.From != "from@example.com" || !slices.Equal(got.To, []string{"ann@example.com"}) || got.Subject != "Réinitialiser" || got.TLS || string(got.Raw) != raw {
		t.Errorf("received from %q to %v, subject %q, TLS %v; raw equal: %v", got.From, got.To, got.Subject, got.TLS, string(got.Raw) == raw)
	}

	s.RequireAuth("user", "pass")
	if err := send(t, dial(t, s.URL()), nil); err == nil {
		t.Error("sent without AUTH to a sink that requires it")
	}
	if err := send(t, dial(t, s.URL()), smtp.PlainAuth("", "user", "wrong", "127.0.0.1")); err == nil || !strings.HasPrefix(err.Error(), "535 ") {
		t.Errorf("wrong password: %v, want 535", err)
	}
	if err := send(t, dial(t, s.URL()), smtp.PlainAuth("", "user", "pass", "127.0.0.1")); err != nil {
		t.Errorf("right password: %v", err)
	}
	if got := s.Wait(t, 2, 5*time.Second); got[1].User != "user" {
		t.Errorf("User = %q, want user", got[1].User)
	}
}

func TestTLSSink(t *testing.T) {
	s := NewTLSSink(t, "mail.example.test")
	config := &tls.Config{RootCAs: s.CertPool(), ServerName: "mail.example.test"}

	c := dial(t, s.URL())
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Fatal("a TLS sink does not offer STARTTLS")
	}
	if err := c.StartTLS(config); err != nil {
		t.Fatalf("STARTTLS: %v", err)
	}
	if err := send(t, c, nil); err != nil {
		t.Fatal(err)
	}

	u, _ := url.Parse(s.SMTPSURL())
	conn, err := tls.Dial("tcp", u.Host, config)
	if err != nil {
		t.Fatalf("smtps: %v", err)
	}
	c, err = smtp.NewClient(conn, "mail.example.test")
	if err != nil {
		t.Fatal(err)
	}
	if err := send(t, c, nil); err != nil {
		t.Fatal(err)
	}
	for i, m := range s.Wait(t, 2, 5*time.Second) {
		if !m.TLS {
			t.Errorf("message %d: TLS = false", i)
		}
	}
}
