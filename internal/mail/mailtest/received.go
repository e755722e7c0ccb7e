package mailtest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
)

// Received is one message as a recipient would read it: the headers, and
// the text and HTML parts decoded from their transfer encoding, so that a
// test compares words and links, not quoted-printable.
type Received struct {
	// From and To are the SMTP envelope (MAIL FROM, RCPT TO) for a message
	// the Sink took, and the addresses of the From and To headers for one
	// read from a file.
	From string
	To   []string
	// Subject is the decoded Subject header.
	Subject string
	// Text and HTML are the decoded text/plain and text/html parts, with
	// line endings made "\n".
	Text, HTML string
	// Header holds every header of the message.
	Header mail.Header
	// TLS reports whether the Sink took the message over TLS (STARTTLS or
	// smtps), and User who signed in with AUTH ("" for nobody).
	TLS  bool
	User string
	// Raw is the message as it was delivered.
	Raw []byte
}

// urlPattern finds absolute URLs in a text part, which ends them at white
// space.
var urlPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// Link returns the first absolute URL in the text part whose path starts
// with pathPrefix (such as "/reset-password"), failing the test if there
// is none: the way a test follows the link a flow mailed.
func (r Received) Link(t testing.TB, pathPrefix string) string {
	t.Helper()
	for _, s := range urlPattern.FindAllString(r.Text, -1) {
		if u, err := url.Parse(s); err == nil && strings.HasPrefix(u.Path, pathPrefix) {
			return s
		}
	}
	t.Fatalf("no link to %s in the mail %q to %v:\n%s", pathPrefix, r.Subject, r.To, r.Text)
	return ""
}

// ReadEML reads a message written by the Dir transport, failing the test
// if it cannot be read or parsed.
func ReadEML(t testing.TB, path string) Received {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read mail: %v", err)
	}
	r := Parse(t, raw)
	if a, err := mail.ParseAddress(r.Header.Get("From")); err == nil {
		r.From = a.Address
	}
	if list, err := r.Header.AddressList("To"); err == nil {
		for _, a := range list {
			r.To = append(r.To, a.Address)
		}
	}
	return r
}

// Parse reads a MIME message, failing the test if it is not one.
func Parse(t testing.TB, raw []byte) Received {
	t.Helper()
	r, err := parse(raw)
	if err != nil {
		t.Fatalf("parse mail: %v\n%s", err, raw)
	}
	return r
}

// parse decodes the headers and walks the parts of a message.
func parse(raw []byte) (Received, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Received{}, err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return Received{}, fmt.Errorf("subject: %w", err)
	}
	r := Received{Subject: subject, Header: msg.Header, Raw: raw}
	err = r.part(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return r, err
}

// part decodes one part into r, descending into multipart ones.
func (r *Received) part(contentType, encoding string, body io.Reader) error {
	if contentType == "" {
		contentType = "text/plain; charset=us-ascii"
	}
	media, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(media, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// NextRawPart: the transfer encoding is decoded here, on
			// purpose, rather than silently by the reader.
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: %w", media, err)
			}
			if err := r.part(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	if cs := strings.ToLower(params["charset"]); cs != "" && cs != "utf-8" && cs != "us-ascii" {
		return fmt.Errorf("%s in charset %q: only UTF-8 is expected", media, cs)
	}
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body) // which skips line breaks
	case "", "7bit", "8bit", "binary":
	default:
		return fmt.Errorf("unknown transfer encoding %q", encoding)
	}
	data, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("%s (%s): %w", media, encoding, err)
	}
	// Mail has CRLF line endings; tests compare with Go strings.
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	switch media {
	case "text/plain":
		r.Text = text
	case "text/html":
		r.HTML = text
	}
	return nil
}
