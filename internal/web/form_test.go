package web

import (
	"bytes"
	"html/template"
	"regexp"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/auth"
)

// TestAccountFormsMatchFormTemplates checks that the account page's two
// forms read the same as form.html's shared "hx", "notice" and "fields"
// templates render them, empty and with values, errors and notices: the
// page once wrote that markup out by hand, for speed, and must not drift
// from the other forms again.
func TestAccountFormsMatchFormTemplates(t *testing.T) {
	s := parsedSite(t)
	shared := template.Must(template.New("form.html").ParseFS(templateFS, "templates/form.html"))
	template.Must(shared.New("form").Parse(`<form {{template "hx" .}}>{{template "notice" .}}{{template "fields" .Fields}}`))

	u := &auth.User{Username: "alice", Email: "alice@example.com"}
	filled := func() (*form, *form) {
		p := profileForm(u)
		p.Values["username"], p.Values["email"], p.Values["current_password"] = "<x>", `"bad"`, "secret"
		p.set("email", "Enter a bare email address.")
		p.set("current_password", "Wrong password.")
		p.Notice = "Please check the form."
		w := passwordForm()
		w.Values["current_password"], w.Values["new_password"], w.Values["confirm_password"] = "old", "new one", "other"
		w.set("confirm_password", "The two passwords do not match.")
		w.Notice = "Too many attempts."
		return p, w
	}
	p, w := filled()
	cases := map[string][2]*form{
		"empty":  {profileForm(u), passwordForm()},
		"errors": {p, w},
	}
	// An error on each input alone, so that every input's error and
	// autofocus markup is compared, not only those the case above sets.
	for i, build := range []func() *form{func() *form { return profileForm(u) }, passwordForm} {
		for _, in := range build().inputs {
			forms := [2]*form{profileForm(u), passwordForm()}
			forms[i] = build()
			forms[i].set(in.Name, "Wrong.")
			cases["error on "+forms[i].ID+" "+in.Name] = forms
		}
	}
	for name, forms := range cases {
		t.Run(name, func(t *testing.T) {
			var page bytes.Buffer
			d := accountData{Profile: forms[0], Password: forms[1]}
			if err := s.pages["account"].Execute(&page, view{Title: "Your account", User: u, Data: d}); err != nil {
				t.Fatal(err)
			}
			for _, f := range forms {
				var want bytes.Buffer
				if err := shared.ExecuteTemplate(&want, "form", f); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(squash(page.String()), squash(want.String())) {
					t.Errorf("the account page's %s differs from form.html's:\n%s\n\npage:\n%s", f.ID, squash(want.String()), squash(page.String()))
				}
			}
			for _, secret := range []string{"secret", "old", "new one", "other"} {
				if strings.Contains(page.String(), `"`+secret+`"`) {
					t.Errorf("a password (%q) was sent back", secret)
				}
			}
		})
	}
}

// squash makes whitespace irrelevant: runs of it become one space, and
// none is left between tags.
func squash(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "> <", "><")
}

// TestAccountPageIDsAreUnique: most forms of the account page ask for the
// current password; their inputs (and error messages and hints) must
// still have ids of their own, or a label names the wrong input. The
// two-step verification section is checked off (one form) and on (two).
func TestAccountPageIDsAreUnique(t *testing.T) {
	s := parsedSite(t)
	u := &auth.User{Username: "alice", Email: "alice@example.com"}
	sections := map[string]*totpSection{
		"off": {Setup: totpSetupForm()},
		"on":  {On: true, Left: "10 recovery codes left.", Recovery: recoveryCodesForm(), Disable: totpOffForm()},
	}
	wants := map[string][]string{
		"off": {"totp-current_password", "totp-current_password-error"},
		"on":  {"recovery-current_password", "totp-off-current_password", "totp-off-code", "totp-off-code-hint", "totp-off-code-error"},
	}
	for state, totp := range sections {
		t.Run(state, func(t *testing.T) {
			p, w := profileForm(u), passwordForm()
			for _, f := range []*form{p, w, totp.Setup, totp.Recovery, totp.Disable} {
				if f == nil {
					continue
				}
				for _, in := range f.inputs {
					f.set(in.Name, "Wrong.")
				}
			}
			var page bytes.Buffer
			if err := s.pages["account"].Execute(&page, view{Title: "Your account", User: u, Data: accountData{Profile: p, Password: w, TOTP: totp}}); err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, m := range regexp.MustCompile(`\sid="([^"]+)"`).FindAllStringSubmatch(page.String(), -1) {
				if seen[m[1]] {
					t.Errorf("id %q appears twice on the account page", m[1])
				}
				seen[m[1]] = true
			}
			for _, want := range append([]string{"current_password", "password-current_password", "password-current_password-error"}, wants[state]...) {
				if !seen[want] {
					t.Errorf("no element with id %q", want)
				}
			}
		})
	}
}
