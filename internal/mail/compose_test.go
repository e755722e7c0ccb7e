package mail

import (
	"net/mail"
	"net/url"
	"strings"
	"testing"
	"time"
)

const token = "Zm9vYmFy-_token_0123456789abcdefghijklmnopqrs"

func composer(t *testing.T, base string) Composer {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	return Composer{BaseURL: u, From: DefaultFrom(u)}
}

func TestCompose(t *testing.T) {
	tests := []struct {
		kind    Kind
		expires time.Duration
		subject string
		path    string // of the link; "" for none
		words   string // the expiry as the text says it
	}{
		{VerifyEmail, 24 * time.Hour, "Confirm your e-mail address", "/verify-email", "24 hours"},
		{ResetPassword, 30 * time.Minute, "Reset your Latchkey password", "/reset-password", "30 minutes"},
		{PasswordChanged, 0, "Your password was changed", "", ""},
		{ConfirmEmail, 24 * time.Hour, "Confirm your new e-mail address", "/confirm-email", "24 hours"},
		{EmailChanged, 7 * 24 * time.Hour, "Your e-mail address was changed", "/undo-email-change", "7 days"},
		{LoginLink, 10 * time.Minute, "Your sign-in link", "/login-link/confirm", "10 minutes"},
		{Test, 0, "Latchkey test message", "", ""},
	}
	if len(tests) != len(Kinds()) {
		t.Fatalf("the table has %d kinds, Kinds() %d", len(tests), len(Kinds()))
	}
	for _, base := range []string{"https://example.com", "https://example.com/auth", "http://127.0.0.1:8080"} {
		c := composer(t, base)
		for _, tt := range tests {
			t.Run(base+"/"+string(tt.kind), func(t *testing.T) {
				m, err := c.Compose(Letter{Kind: tt.kind, To: "alice@example.com", Username: "alice",
					Token: token, NewEmail: "alice@new.example", Expires: tt.expires})
				if err != nil {
					t.Fatal(err)
				}
				if m.Subject != tt.subject || m.To != "alice@example.com" || m.From != c.From {
					t.Errorf("subject %q to %q from %q", m.Subject, m.To, m.From)
				}
				if !strings.Contains(m.Text, "Hello alice,") || !strings.Contains(m.HTML, "Hello alice,") {
					t.Errorf("no greeting:\n%s", m.Text)
				}
				if !strings.Contains(m.Text, base) || !strings.Contains(m.HTML, base) {
					t.Errorf("the base URL %s is not named:\n%s", base, m.Text)
				}
				if tt.path == "" {
					if strings.Contains(m.Text, "token") || strings.Contains(m.HTML, "token") {
						t.Errorf("a notice carries a token link:\n%s", m.Text)
					}
					return
				}
				link := base + tt.path + "?token=" + token
				if !strings.Contains(m.Text, "\n"+link+"\n") || !strings.Contains(m.HTML, `href="`+link+`"`) {
					t.Errorf("no link %s:\n%s\n%s", link, m.Text, m.HTML)
				}
				if strings.Count(m.Text, "token=") != 1 {
					t.Errorf("the text has %d links with a token, want 1", strings.Count(m.Text, "token="))
				}
				if !strings.Contains(m.Text, tt.words) || !strings.Contains(m.HTML, tt.words) {
					t.Errorf("the expiry %q is not said:\n%s", tt.words, m.Text)
				}
			})
		}
	}
}

func TestComposeNotices(t *testing.T) {
	c := composer(t, "https://example.com/auth")
	m, err := c.Compose(Letter{Kind: PasswordChanged, To: "a@example.com", Username: "a", Token: "ignored", Expires: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"https://example.com/auth/forgot-password", "https://example.com/auth/login"} {
		if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
			t.Errorf("password_changed does not point to %s", want)
		}
	}
	if strings.Contains(m.Text+m.HTML, "ignored") {
		t.Error("password_changed shows the token it was given")
	}

	m, err = c.Compose(Letter{Kind: EmailChanged, To: "old@example.com", Token: token, NewEmail: "new@example.com", Expires: 7 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Text, "new@example.com") || !strings.Contains(m.Text, "within 7 days") {
		t.Errorf("email_changed does not name the new address and the undo window:\n%s", m.Text)
	}
	if !strings.Contains(m.Text, "Hello,\n") {
		t.Errorf("without a username, the greeting is not plain:\n%s", m.Text)
	}
}

func TestComposeLoginLinkNext(t *testing.T) {
	c := composer(t, "https://example.com/auth")
	l := Letter{Kind: LoginLink, To: "a@example.com", Token: token, Expires: 10 * time.Minute}
	for next, want := range map[string]string{
		"":                      "https://example.com/auth/login-link/confirm?token=" + token,
		"/blog/new?x=1&y=é#top": "https://example.com/auth/login-link/confirm?token=" + token + "&next=%2Fblog%2Fnew%3Fx%3D1%26y%3D%C3%A9%23top",
	} {
		l.Next = next
		m, err := c.Compose(l)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Text, "\n"+want+"\n") {
			t.Errorf("next %q: want the link %s in\n%s", next, want, m.Text)
		}
		if !strings.Contains(m.HTML, `href="`+strings.ReplaceAll(want, "&", "&amp;")+`"`) {
			t.Errorf("next %q: the HTML lacks the link:\n%s", next, m.HTML)
		}
	}
	l.Kind, l.Next = ResetPassword, "/elsewhere"
	if m, _ := c.Compose(l); strings.Contains(m.Text, "next=") {
		t.Error("next is added to a link other than the sign-in link")
	}
}

func TestComposeEscapesHTML(t *testing.T) {
	c := composer(t, "https://example.com")
	m, err := c.Compose(Letter{Kind: EmailChanged, To: "a@example.com", Username: "<b>x</b>",
		NewEmail: `"<i>"@example.com`, Token: token, Expires: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.HTML, "<b>") || strings.Contains(m.HTML, "<i>") {
		t.Errorf("markup from a user reached the HTML:\n%s", m.HTML)
	}
	if !strings.Contains(m.HTML, "Hello &lt;b&gt;x&lt;/b&gt;,") {
		t.Errorf("the username is not shown escaped:\n%s", m.HTML)
	}
	if !strings.Contains(m.Text, "Hello <b>x</b>,") {
		t.Errorf("the text part changed the username:\n%s", m.Text)
	}
}

func TestComposeRefuses(t *testing.T) {
	c := composer(t, "https://example.com")
	ok := Letter{Kind: ResetPassword, To: "a@example.com", Token: token, Expires: time.Hour}
	tests := []struct {
		name   string
		change func(c *Composer, l *Letter)
	}{
		{"unknown kind", func(_ *Composer, l *Letter) { l.Kind = "welcome" }},
		{"no token", func(_ *Composer, l *Letter) { l.Token = "" }},
		{"no expiry", func(_ *Composer, l *Letter) { l.Expires = 0 }},
		{"no recipient", func(_ *Composer, l *Letter) { l.To = "" }},
		{"two recipients", func(_ *Composer, l *Letter) { l.To = "a@example.com, b@example.com" }},
		{"email_changed without the new address", func(_ *Composer, l *Letter) { l.Kind = EmailChanged }},
		{"no base URL", func(c *Composer, _ *Letter) { c.BaseURL = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, l := c, ok
			tt.change(&c, &l)
			if m, err := c.Compose(l); err == nil {
				t.Errorf("Compose = %q, want an error", m.Subject)
			}
		})
	}
	if _, err := c.Compose(ok); err != nil {
		t.Fatalf("the valid letter: %v", err)
	}
}

func TestInWords(t *testing.T) {
	for d, want := range map[time.Duration]string{
		10 * time.Minute:             "10 minutes",
		30 * time.Minute:             "30 minutes",
		time.Minute:                  "1 minute",
		90 * time.Second:             "1 minute",
		10 * time.Second:             "1 minute",
		90 * time.Minute:             "90 minutes",
		time.Hour:                    "1 hour",
		24 * time.Hour:               "24 hours",
		36 * time.Hour:               "36 hours",
		48 * time.Hour:               "2 days",
		7 * 24 * time.Hour:           "7 days",
		7*24*time.Hour + time.Hour:   "169 hours",
		7*24*time.Hour + time.Minute: "10081 minutes",
	} {
		if got := inWords(d); got != want {
			t.Errorf("inWords(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestDefaultFrom(t *testing.T) {
	for base, want := range map[string]string{
		"https://example.com":             "Latchkey <no-reply@example.com>",
		"https://Auth.Example.com:8443/x": "Latchkey <no-reply@auth.example.com>",
		"http://localhost:8080":           "Latchkey <no-reply@localhost>",
		"http://127.0.0.1:0":              "Latchkey <no-reply@127.0.0.1>",
		"http://[::1]:8080":               "Latchkey <no-reply@[::1]>",
	} {
		u, _ := url.Parse(base)
		got := DefaultFrom(u)
		if got != want {
			t.Errorf("DefaultFrom(%s) = %q, want %q", base, got, want)
		}
		if _, err := mail.ParseAddress(got); err != nil {
			t.Errorf("DefaultFrom(%s) = %q is not an address: %v", base, got, err)
		}
	}
}
