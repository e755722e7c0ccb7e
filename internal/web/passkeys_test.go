package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/store/storetest"
)

// passkeyBase is the base URL of the passkey tests' sites: a host name,
// as WebAuthn wants. The software authenticator claims it as the page's
// origin, wherever the test server really listens.
const passkeyBase = "http://latchkey.localhost:8080"

func newPasskeySite(t *testing.T) *site {
	o := auth.DefaultOptions()
	o.BaseURL, _ = url.Parse(passkeyBase)
	return newSiteWith(t, storetest.Open(t), o, nil)
}

// postJSON sends body (a string is sent as it is) as the page's script
// does, and decodes the JSON answer into out when given.
func postJSON(t *testing.T, c *http.Client, u string, body any, out any) page {
	t.Helper()
	raw, ok := body.(string)
	if !ok {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		raw = string(b)
	}
	req, _ := http.NewRequest("POST", u, strings.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("POST %s: %d with Content-Type %q: %s", u, res.StatusCode, ct, b)
	}
	if out != nil && res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("POST %s: %v in %s", u, err, b)
		}
	}
	return page{res.StatusCode, res.Header, string(b)}
}

type begun struct {
	Ceremony string          `json:"ceremony"`
	Options  json.RawMessage `json:"options"`
}

type landed struct {
	Location string `json:"location"`
}

// addPasskey adds a passkey of key's through the account page's calls.
func (s *site) addPasskey(t *testing.T, c *http.Client, key *authtest.Authenticator, name string) {
	t.Helper()
	var b begun
	if p := postJSON(t, c, s.URL+"/account/passkeys/begin", map[string]string{"name": name, "current_password": pw}, &b); p.status != 200 {
		t.Fatalf("begin adding a passkey: %d %s", p.status, p.body)
	}
	answer, err := key.Create(b.Options)
	if err != nil {
		t.Fatal(err)
	}
	var l landed
	p := postJSON(t, c, s.URL+"/account/passkeys/finish", map[string]any{"ceremony": b.Ceremony, "credential": json.RawMessage(answer)}, &l)
	if p.status != 200 || l.Location != "/account?done=passkey-added" {
		t.Fatalf("finish adding a passkey: %d %s", p.status, p.body)
	}
}

// passkeyLogin logs in with key through the login page's calls.
func (s *site) passkeyLogin(t *testing.T, c *http.Client, key *authtest.Authenticator, next string) page {
	t.Helper()
	var b begun
	if p := postJSON(t, c, s.URL+"/passkeys/login/begin", map[string]any{}, &b); p.status != 200 {
		t.Fatalf("begin a passkey login: %d %s", p.status, p.body)
	}
	answer, err := key.Get(b.Options)
	if err != nil {
		t.Fatal(err)
	}
	return postJSON(t, c, s.URL+"/passkeys/login/finish",
		map[string]any{"ceremony": b.Ceremony, "credential": json.RawMessage(answer), "remember": true, "next": next}, nil)
}

// TestPasskeysThroughThePages: a passkey added on the account page logs
// in a new browser, which lands where next says; it is listed with its
// name and use, renamed and removed by plain forms, and after removal its
// login is refused with a message saying so.
func TestPasskeysThroughThePages(t *testing.T) {
	s := newPasskeySite(t)
	alice, _ := s.member(t, "alice")
	key := &authtest.Authenticator{Origin: passkeyBase}
	s.addPasskey(t, alice, key, "Phone")
	p := do(t, alice, "GET", s.URL+"/account?done=passkey-added", nil)
	for _, want := range []string{"Your passkey was added.", `<strong class="passkey-name">Phone</strong>`, "not used yet", "Passkey added: Phone"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the account page lacks %q", want)
		}
	}

	c := s.browser(t)
	p = s.passkeyLogin(t, c, key, "/posts/new")
	if p.status != 200 || p.body != `{"location":"/posts/new"}`+"\n" {
		t.Fatalf("passkey login: %d %s", p.status, p.body)
	}
	if setCookie := p.header.Get("Set-Cookie"); !strings.Contains(setCookie, "latchkey_session=") || !strings.Contains(setCookie, "Max-Age=") {
		t.Fatalf("a remembered passkey login set %q", setCookie)
	}
	p = do(t, c, "GET", s.URL+"/account", nil)
	for _, want := range []string{">alice</a>", "Signed in (passkey)", "last used"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("after the passkey login, the account page lacks %q", want)
		}
	}
	// next is checked as the login form's is.
	if p := s.passkeyLogin(t, s.browser(t), key, "//evil.example/"); p.status != 200 || !strings.Contains(p.body, `"location":"/"`) {
		t.Fatalf("passkey login with a foreign next: %d %s", p.status, p.body)
	}

	id := regexp.MustCompile(`/account/passkeys/([0-9a-f-]{36})/remove`).FindStringSubmatch(p.body)
	if id == nil {
		t.Fatal("no remove form on the account page")
	}
	bob, _ := s.member(t, "bob")
	for _, action := range []string{"/name", "/remove"} {
		if p := do(t, bob, "POST", s.URL+"/account/passkeys/"+id[1]+action, url.Values{"name": {"Mine"}}); p.status != http.StatusNotFound {
			t.Errorf("bob's POST %s of alice's passkey: %d", action, p.status)
		}
	}
	p = do(t, c, "POST", s.URL+"/account/passkeys/"+id[1]+"/name", url.Values{"name": {strings.Repeat("x", 65)}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "at most 64 characters") ||
		!strings.Contains(p.body, `aria-invalid="true" aria-describedby="passkey-`+id[1]+`-name-error"`) {
		t.Fatalf("a rename too long: %d", p.status)
	}
	if p := do(t, c, "POST", s.URL+"/account/passkeys/"+id[1]+"/name", url.Values{"name": {"Work phone"}}); p.status != http.StatusSeeOther {
		t.Fatalf("rename: %d", p.status)
	}
	if p := do(t, c, "GET", s.URL+"/account", nil); !strings.Contains(p.body, ">Work phone</strong>") {
		t.Fatal("the new name is not listed")
	}
	if p := do(t, c, "POST", s.URL+"/account/passkeys/"+id[1]+"/remove", nil); p.status != http.StatusSeeOther ||
		p.header.Get("Location") != "/account?done=passkey-removed" {
		t.Fatalf("remove: %d %s", p.status, p.header.Get("Location"))
	}
	if p := do(t, c, "GET", s.URL+"/account", nil); !strings.Contains(p.body, "You have no passkeys yet.") || !strings.Contains(p.body, "Passkey removed: Work phone") {
		t.Fatal("the removed passkey is still listed, or its removal not in the activity")
	}
	p = s.passkeyLogin(t, s.browser(t), key, "/")
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "This passkey is not registered here.") {
		t.Fatalf("login with a removed passkey: %d %s", p.status, p.body)
	}
}

// TestPasskeyCallsRefuseBadInput: whatever the script (or anyone) sends,
// the answer is JSON with a message and a 4xx status, never a 500.
func TestPasskeyCallsRefuseBadInput(t *testing.T) {
	s := newPasskeySite(t)
	alice, _ := s.member(t, "alice")
	visitor := s.browser(t)
	var b begun
	if p := postJSON(t, visitor, s.URL+"/passkeys/login/begin", "{}", &b); p.status != 200 {
		t.Fatalf("begin: %d", p.status)
	}
	for _, tt := range []struct {
		name   string
		c      *http.Client
		path   string
		body   string
		status int
		says   string
	}{
		{"not JSON", visitor, "/passkeys/login/finish", "not json", 400, "one JSON object"},
		{"two values", visitor, "/passkeys/login/finish", "{} {}", 400, "one JSON object"},
		{"an array", visitor, "/passkeys/login/finish", "[]", 400, "one JSON object"},
		{"too large", visitor, "/passkeys/login/finish", `{"ceremony":"` + strings.Repeat("x", 1<<20) + `"}`, 413, "at most 1 MiB"},
		{"nothing", visitor, "/passkeys/login/finish", "{}", 422, "expired or was used"},
		{"an unknown ceremony", visitor, "/passkeys/login/finish", `{"ceremony":"abc","credential":{}}`, 422, "expired or was used"},
		{"no credential", visitor, "/passkeys/login/finish", `{"ceremony":"` + b.Ceremony + `"}`, 422, "could not be read"},
		{"the same ceremony again", visitor, "/passkeys/login/finish", `{"ceremony":"` + b.Ceremony + `","credential":{"id":"AA","rawId":"AA","type":"public-key"}}`, 422, "expired or was used"},
		{"adding without a session", visitor, "/account/passkeys/begin", `{"current_password":"x"}`, 401, "Log in again"},
		{"finishing without a session", visitor, "/account/passkeys/finish", `{}`, 401, "Log in again"},
		{"adding without the password", alice, "/account/passkeys/begin", `{"name":"Phone"}`, 422, "current password"},
		{"adding with a wrong password", alice, "/account/passkeys/begin", `{"current_password":"wrong password"}`, 422, "not correct"},
		{"a name with a NUL", alice, "/account/passkeys/begin", `{"name":"a\u0000b","current_password":"` + pw + `"}`, 422, "control or invalid"},
		{"adding, not JSON", alice, "/account/passkeys/begin", `name=x`, 400, "one JSON object"},
		{"finishing an unknown ceremony", alice, "/account/passkeys/finish", `{"ceremony":"abc","credential":{}}`, 422, "expired or was used"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := postJSON(t, tt.c, s.URL+tt.path, tt.body, nil)
			var got struct{ Message string }
			json.Unmarshal([]byte(p.body), &got)
			if p.status != tt.status || !strings.Contains(p.body, tt.says) || got.Message == "" {
				t.Fatalf("%d %s, want %d saying %q", p.status, p.body, tt.status, tt.says)
			}
		})
	}
	if logs := s.logs.String(); strings.Contains(logs, "level=ERROR") {
		t.Fatalf("bad input was logged as an error:\n%s", logs)
	}
}

// TestPasskeysOnThePages: the login and account pages offer passkeys only
// when they work, the parts that need WebAuthn hidden until the script
// shows them and the script a file of its own (no inline script).
func TestPasskeysOnThePages(t *testing.T) {
	on, off := newPasskeySite(t), newSite(t)
	for _, tt := range []struct {
		s  *site
		on bool
	}{{on, true}, {off, false}} {
		login := do(t, tt.s.browser(t), "GET", tt.s.URL+"/login", nil).body
		c, _ := tt.s.member(t, "alice")
		account := do(t, c, "GET", tt.s.URL+"/account", nil).body
		for page, body := range map[string]string{"login": login, "account": account} {
			if strings.Contains(body, "<script>") || regexp.MustCompile(`<script(?: [^>]*)?>[^<]`).MatchString(body) {
				t.Errorf("%s page (passkeys %v) has an inline script", page, tt.on)
			}
			if got := strings.Contains(body, `<script src="/static/passkey.js?v=`); got != tt.on {
				t.Errorf("%s page (passkeys %v) loads passkey.js: %v", page, tt.on, got)
			}
		}
		for _, want := range []string{`autocomplete="username webauthn"`, `<div id="passkey-login" class="passkey-login" hidden`} {
			if strings.Contains(login, want) != tt.on {
				t.Errorf("login page (passkeys %v) has %q: %v", tt.on, want, !tt.on)
			}
		}
		for _, want := range []string{`<h2 id="passkeys-heading">Passkeys</h2>`, `<form id="passkey-add" hidden`} {
			if strings.Contains(account, want) != tt.on {
				t.Errorf("account page (passkeys %v) has %q: %v", tt.on, want, !tt.on)
			}
		}
		if p := do(t, c, "POST", tt.s.URL+"/passkeys/login/begin", nil); (p.status == 200) != tt.on {
			t.Errorf("passkeys %v: POST /passkeys/login/begin answers %d", tt.on, p.status)
		}
	}
	if p := do(t, on.browser(t), "GET", on.URL+"/static/passkey.js", nil); p.status != 200 || !strings.Contains(p.body, "navigator.credentials") {
		t.Fatalf("GET /static/passkey.js: %d", p.status)
	}
}
