package main

import (
	"errors"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/mail"
	"github.com/latchkey/latchkey/internal/mail/mailtest"
)

func TestMailTestOverSMTP(t *testing.T) {
	sink := mailtest.NewSink(t)
	getenv := testEnv(t, "LATCHKEY_SMTP_URL", sink.URL(), "LATCHKEY_BASE_URL", "https://auth.example.com/x")
	out, errOut, err := runCmd(t, getenv, "", "mail", "test", "--to", "ops@example.com")
	if err != nil || errOut != "" {
		t.Fatalf("mail test: %v, stderr %q", err, errOut)
	}
	if want := "sent to ops@example.com via " + sink.URL() + "\n"; out != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
	got := sink.Wait(t, 1, 5*time.Second)[0]
	if got.Subject != "Latchkey test message" || got.From != "no-reply@auth.example.com" ||
		!slices.Equal(got.To, []string{"ops@example.com"}) || !strings.Contains(got.Text, "https://auth.example.com/x") {
		t.Errorf("received %q from %q to %v:\n%s", got.Subject, got.From, got.To, got.Text)
	}
}

func TestMailTestFails(t *testing.T) {
	const password = "hunter2-smtp-password"
	sink := mailtest.NewSink(t)
	sink.RequireAuth("mailer", "another")
	u, _ := url.Parse(sink.URL())
	u.User = url.UserPassword("mailer", password)
	getenv := testEnv(t, "LATCHKEY_SMTP_URL", u.String())

	out, errOut, err := runCmd(t, getenv, "", "mail", "test", "--to", "ops@example.com")
	if err == nil || !strings.Contains(err.Error(), "535") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("with a wrong password: %v; want the server's 535 on one line", err)
	}
	if strings.Contains(err.Error(), password) || out != "" || errOut != "" {
		t.Errorf("error %q, stdout %q, stderr %q: want no output and no password", err, out, errOut)
	}
	var usage usageError
	if errors.As(err, &usage) {
		t.Error("a failed send is a usage error (exit 2); want exit 1")
	}

	sink.RequireAuth("", "")
	sink.RefuseNext(1)
	_, _, err = runCmd(t, testEnv(t, "LATCHKEY_SMTP_URL", sink.URL()), "", "mail", "test", "--to", "ops@example.com")
	if err == nil || !strings.Contains(err.Error(), "451") {
		t.Errorf("refused: %v, want the server's 451", err)
	}
}

func TestMailTestToFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	out, errOut, err := runCmd(t, testEnv(t, "LATCHKEY_MAIL_DIR", dir), "", "mail", "test", "--to", "ops@example.com")
	if err != nil || errOut != "" {
		t.Fatalf("mail test: %v, stderr %q", err, errOut)
	}
	path, ok := strings.CutPrefix(strings.TrimSuffix(out, " (LATCHKEY_SMTP_URL is not set)\n"), "written to ")
	if !ok || filepath.Dir(path) != dir || filepath.Ext(path) != ".eml" {
		t.Fatalf("stdout %q, want the path of an .eml file in %s", out, dir)
	}
	got := mailtest.ReadEML(t, path)
	if got.Subject != "Latchkey test message" || !slices.Equal(got.To, []string{"ops@example.com"}) {
		t.Errorf("the file holds %q to %v", got.Subject, got.To)
	}
}

func TestMailCommandLine(t *testing.T) {
	getenv := testEnv(t, "LATCHKEY_MAIL_DIR", t.TempDir())
	for _, args := range [][]string{
		{"mail"},
		{"mail", "send"},
		{"mail", "test"},
		{"mail", "test", "--to", "a@example.com", "b@example.com"},
		{"mail", "test", "--smtp-url", "smtp://x:25", "--to", "a@example.com"},
		{"mail", "preview"},
		{"mail", "preview", "verify_email", "reset_password"},
	} {
		var usage usageError
		if _, _, err := runCmd(t, getenv, "", args...); !errors.As(err, &usage) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
	_, _, err := runCmd(t, getenv, "", "mail", "preview", "welcome")
	var usage usageError
	if !errors.As(err, &usage) || !strings.Contains(err.Error(), "verify_email, reset_password, password_changed, confirm_email, email_changed, login_link, test") {
		t.Errorf("an unknown kind: %v; want a usage error listing the kinds", err)
	}
	if _, _, err := runCmd(t, getenv, "", "mail", "test", "--to", "not an address"); err == nil || errors.As(err, &usage) {
		t.Errorf("a bad address: %v, want an error", err)
	}
	if out, _, _ := runCmd(t, getenv, "", "help"); !strings.Contains(out, "mail test --to ADDRESS") || !strings.Contains(out, "mail preview KIND") {
		t.Errorf("help does not list the mail commands:\n%s", out)
	}
}

func TestMailPreview(t *testing.T) {
	getenv := testEnv(t, "LATCHKEY_BASE_URL", "https://auth.example.com", "LATCHKEY_MAIL_FROM", "Accounts <accounts@example.com>")
	links := map[mail.Kind]string{
		mail.VerifyEmail:     "/verify-email?token=" + previewToken,
		mail.ResetPassword:   "/reset-password?token=" + previewToken,
		mail.ConfirmEmail:    "/confirm-email?token=" + previewToken,
		mail.EmailChanged:    "/undo-email-change?token=" + previewToken,
		mail.LoginLink:       "/login-link/confirm?token=" + previewToken + "&next=%2Faccount",
		mail.PasswordChanged: "",
		mail.Test:            "",
	}
	for _, kind := range mail.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			out, errOut, err := runCmd(t, getenv, "", "mail", "preview", string(kind))
			if err != nil || errOut != "" {
				t.Fatalf("preview: %v, stderr %q", err, errOut)
			}
			got := mailtest.Parse(t, []byte(out))
			if got.Header.Get("From") != `"Accounts" <accounts@example.com>` || got.Subject == "" || !strings.Contains(got.Text, "Hello alice,") {
				t.Errorf("From %q, subject %q:\n%s", got.Header.Get("From"), got.Subject, got.Text)
			}
			want, ok := links[kind]
			if !ok {
				t.Fatalf("no link is expected for %s in this test", kind)
			}
			if want == "" {
				if strings.Contains(got.Text, "token=") {
					t.Errorf("a notice with a token link:\n%s", got.Text)
				}
				return
			}
			if link := got.Link(t, strings.SplitN(want, "?", 2)[0]); link != "https://auth.example.com"+want {
				t.Errorf("link %s, want https://auth.example.com%s", link, want)
			}
		})
	}
}

// TestDefaultSenderAgrees: config writes LATCHKEY_MAIL_FROM's default
// itself, so as not to depend on package mail; it must be mail's.
func TestDefaultSenderAgrees(t *testing.T) {
	for _, base := range []string{"https://Auth.Example.com:8443/auth", "http://[::1]:8080", "http://127.0.0.1:0", "http://localhost:8080"} {
		cfg, err := config.Load(nil, testEnv(t, "LATCHKEY_BASE_URL", base))
		if err != nil {
			t.Fatal(err)
		}
		if want := mail.DefaultFrom(cfg.BaseURL); cfg.MailFrom != want {
			t.Errorf("%s: LATCHKEY_MAIL_FROM defaults to %q, mail.DefaultFrom says %q", base, cfg.MailFrom, want)
		}
	}
}
