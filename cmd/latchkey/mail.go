package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/mail"
)

// newTransport is the configured mail transport: the SMTP server of
// LATCHKEY_SMTP_URL, or else .eml files in LATCHKEY_MAIL_DIR, logged to
// log. `latchkey mail test` and the server's sender both use it, so the
// test goes the way real mail goes.
func newTransport(cfg *config.Config, log *slog.Logger) (mail.Transport, error) {
	if cfg.SMTPURL.IsSet() {
		return mail.NewSMTP(cfg.SMTPURL.Reveal())
	}
	return mail.NewDir(cfg.MailDir, log), nil
}

// newComposer renders mail with links on the base URL, from the
// configured sender.
func newComposer(cfg *config.Config) mail.Composer {
	return mail.Composer{BaseURL: cfg.BaseURL, From: cfg.MailFrom}
}

// mailTestTimeout bounds `latchkey mail test`, so that a server that
// accepts and never answers gets an error rather than a hung terminal.
const mailTestTimeout = 30 * time.Second

func (env *environment) mail(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("mail needs a subcommand: test or preview")
	}
	switch args[0] {
	case "test":
		return env.mailTest(ctx, args[1:])
	case "preview":
		return env.mailPreview(args[1:])
	}
	return usagef("unknown mail subcommand %q", args[0])
}

// mailTest sends the test message through the configured transport and
// says where it went: the server (without its credentials), or the file.
func (env *environment) mailTest(ctx context.Context, args []string) error {
	fs, cf := env.flags("mail test")
	to := fs.String("to", "", "the `address` to send the test message to")
	cfg, err := env.parse(fs, cf, args)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("mail test takes no arguments; got %q", fs.Arg(0))
	}
	if *to == "" {
		return usagef("mail test needs --to ADDRESS")
	}
	m, err := newComposer(cfg).Compose(mail.Letter{Kind: mail.Test, To: *to})
	if err != nil {
		return fmt.Errorf("%q is not an e-mail address", *to)
	}
	transport, err := newTransport(cfg, quiet)
	if err != nil {
		return err
	}
	if dir, ok := transport.(*mail.Dir); ok {
		path, err := dir.Write(m)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "written to %s (LATCHKEY_SMTP_URL is not set)\n", path)
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, mailTestTimeout)
	defer cancel()
	if err := transport.Send(ctx, m); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "sent to %s via %s\n", *to, transport)
	return nil
}

// previewLetters are the sample letters `latchkey mail preview` renders,
// with the lifetimes DESIGN.md gives each link.
var previewLetters = map[mail.Kind]mail.Letter{
	mail.VerifyEmail:     {Expires: 24 * time.Hour},
	mail.ResetPassword:   {Expires: 30 * time.Minute},
	mail.PasswordChanged: {},
	mail.ConfirmEmail:    {To: "alice.new@example.com", Expires: 24 * time.Hour},
	mail.EmailChanged:    {NewEmail: "alice.new@example.com", Expires: 7 * 24 * time.Hour},
	mail.LoginLink:       {Next: "/account", Expires: 10 * time.Minute},
	mail.Test:            {},
}

// previewToken stands for a one-time token: as long as a real one, and
// saying what it is.
const previewToken = "SAMPLE-token-for-a-preview-it-opens-nothing"

// mailPreview writes one kind of message, with sample data, as the full
// MIME message a transport would deliver, so that it can be saved as an
// .eml file and opened in a mail client.
func (env *environment) mailPreview(args []string) error {
	fs, cf := env.flags("mail preview")
	cfg, err := env.parse(fs, cf, args)
	if err != nil {
		return err
	}
	kinds := make([]string, 0, len(mail.Kinds()))
	for _, k := range mail.Kinds() {
		kinds = append(kinds, string(k))
	}
	if fs.NArg() != 1 {
		return usagef("mail preview needs one kind: %s", strings.Join(kinds, ", "))
	}
	kind := mail.Kind(fs.Arg(0))
	if !slices.Contains(mail.Kinds(), kind) {
		return usagef("unknown mail kind %q: it is one of %s", kind, strings.Join(kinds, ", "))
	}
	l := previewLetters[kind]
	l.Kind = kind
	l.Username = "alice"
	if l.To == "" {
		l.To = "alice@example.com"
	}
	if l.Expires > 0 {
		l.Token = previewToken
	}
	m, err := newComposer(cfg).Compose(l)
	if err != nil {
		return err
	}
	_, err = m.WriteTo(env.stdout)
	return err
}
