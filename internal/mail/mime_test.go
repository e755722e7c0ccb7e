package mail

import (
	"bytes"
	"mime"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/mail/mailtest"
)

// checkMIME checks what both transports must deliver: the headers, and a
// multipart/alternative body whose text and HTML parts decode to exactly
// the composed ones, the text first.
func checkMIME(t *testing.T, m *Message, got mailtest.Received) {
	t.Helper()
	media, _, err := mime.ParseMediaType(got.Header.Get("Content-Type"))
	if err != nil || media != "multipart/alternative" {
		t.Errorf("Content-Type = %q, want multipart/alternative", got.Header.Get("Content-Type"))
	}
	if got.Subject != m.Subject || got.Text != m.Text || got.HTML != m.HTML {
		t.Errorf("decoded subject %q, text and HTML equal: %v, %v", got.Subject, got.Text == m.Text, got.HTML == m.HTML)
	}
	if i, j := bytes.Index(got.Raw, []byte("text/plain")), bytes.Index(got.Raw, []byte("text/html")); i < 0 || j < i {
		t.Error("the text part does not come before the HTML part (clients show the last one they can)")
	}
	from, _ := got.Header.AddressList("From")
	to, _ := got.Header.AddressList("To")
	if len(from) != 1 || from[0].String() != `"Latchkey" <no-reply@example.com>` || len(to) != 1 || to[0].Address != m.To {
		t.Errorf("From %v, To %v", from, to)
	}
	if id := got.Header.Get("Message-ID"); !regexp.MustCompile(`^<[A-Z2-7]{26}@example\.com>$`).MatchString(id) {
		t.Errorf("Message-ID = %q, want a random one at the sender's domain", id)
	}
	if date, err := got.Header.Date(); err != nil || time.Since(date).Abs() > time.Minute {
		t.Errorf("Date = %q (%v)", got.Header.Get("Date"), err)
	}
	if got.Header.Get("Auto-Submitted") != "auto-generated" {
		t.Error("no Auto-Submitted: auto-generated")
	}
	if got.Header.Get("User-Agent") != "" || got.Header.Get("X-Mailer") != "" {
		t.Error("the message names the software that sent it")
	}
}

// letter composes a reset mail with a long token whose "=" and line length
// exercise quoted-printable, and a name that needs UTF-8.
func letter(t *testing.T, to string) *Message {
	t.Helper()
	m, err := composer(t, "https://example.com").Compose(Letter{Kind: ResetPassword, To: to,
		Username: "Zoë", Token: token + strings.Repeat("x", 60), Expires: 30 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMessageWriteTo(t *testing.T) {
	m := letter(t, "alice@example.com")
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(buf.String(), "\r\n") {
		if len(line) > 78 {
			t.Errorf("line %d is %d bytes long; mail lines stay under 78", i, len(line))
		}
	}
	checkMIME(t, m, mailtest.Parse(t, buf.Bytes()))
}

func TestMessageWriteToRefuses(t *testing.T) {
	for name, m := range map[string]*Message{
		"bad sender":       {From: "Latchkey", To: "a@example.com"},
		"bad recipient":    {From: "a@example.com", To: "not an address"},
		"header injection": {From: "a@example.com", To: "a@example.com\r\nBcc: victim@example.com"},
		"two recipients":   {From: "a@example.com", To: "a@example.com, b@example.com"},
	} {
		if _, err := m.WriteTo(new(bytes.Buffer)); err == nil {
			t.Errorf("%s: WriteTo succeeded", name)
		}
	}
}
