package api_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
)

// deliver takes every due message out of the outbox and completes it as
// the server's sender does (ResolveMail: a request finds its account and
// gets its link's token, or turns out to go nowhere), into s.mailbox.
func (s *testServer) deliver(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	got, err := s.store.ClaimMail(ctx, time.Now().Add(time.Second), time.Hour, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range got {
		m, err := s.svc.ResolveMail(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		if m != nil {
			s.mailbox = append(s.mailbox, m)
		}
	}
}

// mailTo returns the newest message of kind delivered to address (see
// deliver), failing the test when there is none.
func (s *testServer) mailTo(t *testing.T, address string, kind auth.MailKind) *auth.Mail {
	t.Helper()
	s.deliver(t)
	for i := len(s.mailbox) - 1; i >= 0; i-- {
		if m := s.mailbox[i]; m.To == address && m.Kind == kind {
			return m
		}
	}
	t.Fatalf("no %s mail to %s among %d", kind, address, len(s.mailbox))
	return nil
}

// noMailTo fails the test if a message of kind was delivered to address.
func (s *testServer) noMailTo(t *testing.T, address string, kind auth.MailKind) {
	t.Helper()
	s.deliver(t)
	for _, m := range s.mailbox {
		if m.To == address && m.Kind == kind {
			t.Fatalf("a %s mail was delivered to %s", kind, address)
		}
	}
}

func (s *testServer) postJSON(t *testing.T, path, body, bearer string) response {
	t.Helper()
	return s.do(t, "POST", path, "application/json", body, bearer)
}

// TestPasswordResetOverHTTP walks the reset: the request, a refused
// password that leaves the link good, the reset that ends every session,
// the new password, and the link dead afterwards.
func TestPasswordResetOverHTTP(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	before := s.login(t, "alice")

	res := s.postJSON(t, "/api/password-reset", `{"email":"Alice@Example.com"}`, "")
	if res.status != http.StatusAccepted {
		t.Fatalf("reset request: %d %s", res.status, res.body)
	}
	token := s.mailTo(t, "alice@example.com", auth.MailResetPassword).Token
	confirm := func(pw string) response {
		return s.postJSON(t, "/api/password-reset/confirm", `{"token":"`+token+`","new_password":"`+pw+`"}`, "")
	}
	if res := confirm("password1"); res.status != 422 || s.problem(t, res).Errors[0].Location != "body.new_password" {
		t.Fatalf("a common password: %d %s", res.status, res.body)
	}
	if res := confirm("a brand new passphrase"); res.status != http.StatusNoContent {
		t.Fatalf("reset after a refused password (the link must still work): %d %s", res.status, res.body)
	}
	if got := s.do(t, "GET", "/api/users/me", "", "", before.AccessToken); got.status != 401 {
		t.Fatalf("a session from before the reset: %d", got.status)
	}
	if got := s.postForm(t, "/api/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {before.RefreshToken}}); got.status != 400 {
		t.Fatalf("a refresh token from before the reset: %d", got.status)
	}
	if got := s.postForm(t, "/api/token", url.Values{"username": {"alice"}, "password": {goodPassword}}); got.status != 400 {
		t.Fatalf("the old password: %d", got.status)
	}
	after := s.postForm(t, "/api/token", url.Values{"username": {"alice"}, "password": {"a brand new passphrase"}})
	if after.status != 200 {
		t.Fatalf("the new password: %d %s", after.status, after.body)
	}
	var p tokenPair
	after.json(t, &p)
	if me := s.do(t, "GET", "/api/users/me", "", "", p.AccessToken); !strings.Contains(me.body, `"email_verified":true`) {
		t.Fatalf("a reset proves the address: %s", me.body)
	}
	s.mailTo(t, "alice@example.com", auth.MailPasswordChanged)
	if res := confirm("yet another passphrase"); res.status != 400 || s.problem(t, res).Code != auth.CodeInvalidToken {
		t.Fatalf("the link used again: %d %s", res.status, res.body)
	}
}

// TestResetRequestsAnswerAlike: known, unknown and disabled addresses get
// the same answer, and only the known, active one gets mail.
func TestResetRequestsAnswerAlike(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	s.register(t, "dora")
	dora, err := s.store.UserByUsername(context.Background(), "dora")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.SetDisabled(context.Background(), nil, dora.ID, true); err != nil {
		t.Fatal(err)
	}
	var first string
	for _, email := range []string{"alice@example.com", "nobody@example.com", "dora@example.com", "alice@example.com"} {
		res := s.postJSON(t, "/api/password-reset", `{"email":"`+email+`"}`, "")
		if res.status != http.StatusAccepted {
			t.Fatalf("%s: %d %s", email, res.status, res.body)
		}
		if first == "" {
			first = res.body
		} else if res.body != first {
			t.Fatalf("%s answered %q, the first %q", email, res.body, first)
		}
	}
	s.mailTo(t, "alice@example.com", auth.MailResetPassword)
	s.noMailTo(t, "nobody@example.com", auth.MailResetPassword)
	s.noMailTo(t, "dora@example.com", auth.MailResetPassword)
	if res := s.postJSON(t, "/api/password-reset", `{"email":"not an address"}`, ""); res.status != 422 {
		t.Fatalf("a malformed address: %d %s", res.status, res.body)
	}
}

// TestResetLinkRace: of two uses of one link at once, exactly one wins.
func TestResetLinkRace(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	s.postJSON(t, "/api/password-reset", `{"email":"alice@example.com"}`, "")
	token := s.mailTo(t, "alice@example.com", auth.MailResetPassword).Token
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[int]int{}
	)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := s.postJSON(t, "/api/password-reset/confirm", `{"token":"`+token+`","new_password":"new passphrase number `+string(rune('a'+i))+`"}`, "")
			mu.Lock()
			statuses[res.status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if statuses[204] != 1 || statuses[400] != 1 {
		t.Fatalf("two uses at once: %v, want one 204 and one 400", statuses)
	}
}

// TestResetLinkDies: a password change, a newer link's owner disabling,
// and a change of address each end an outstanding reset link.
func TestResetLinkDies(t *testing.T) {
	s := newServer(t, serverOptions{})
	ctx := context.Background()
	request := func(name string) string {
		t.Helper()
		s.postJSON(t, "/api/password-reset", `{"email":"`+name+`@example.com"}`, "")
		return s.mailTo(t, name+"@example.com", auth.MailResetPassword).Token
	}
	dead := func(what, token string) {
		t.Helper()
		res := s.postJSON(t, "/api/password-reset/confirm", `{"token":"`+token+`","new_password":"a brand new passphrase"}`, "")
		if res.status != 400 || s.problem(t, res).Code != auth.CodeInvalidToken {
			t.Fatalf("%s: %d %s", what, res.status, res.body)
		}
	}

	s.register(t, "alice")
	token := request("alice")
	p := s.login(t, "alice")
	if res := s.postJSON(t, "/api/users/me/password", `{"current_password":"`+goodPassword+`","new_password":"changed from the account"}`, p.AccessToken); res.status != 204 {
		t.Fatalf("change password: %d %s", res.status, res.body)
	}
	dead("after a password change", token)

	s.register(t, "bob")
	token = request("bob")
	bob, _ := s.store.UserByUsername(ctx, "bob")
	if _, err := s.svc.SetDisabled(ctx, nil, bob.ID, true); err != nil {
		t.Fatal(err)
	}
	dead("of a disabled account", token)

	s.register(t, "carol")
	token = request("carol")
	carol, _ := s.store.UserByUsername(ctx, "carol")
	if err := s.store.ApplyChange(ctx, auth.Change{UserID: carol.ID, At: time.Now(), Email: "carol.new@example.com"}); err != nil {
		t.Fatal(err)
	}
	dead("after the address changed", token)
	dead("unknown", "bm90IGEgdG9rZW4")
}

// TestVerificationOverHTTP: registering queues a link; asking again sends a
// new one.
func TestVerificationOverHTTP(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	first := s.mailTo(t, "alice@example.com", auth.MailVerifyEmail)
	p := s.login(t, "alice")
	if res := s.postJSON(t, "/api/users/me/verification", ``, p.AccessToken); res.status != http.StatusAccepted {
		t.Fatalf("resend: %d %s", res.status, res.body)
	}
	if again := s.mailTo(t, "alice@example.com", auth.MailVerifyEmail); again.Token == first.Token {
		t.Fatal("no new link was queued")
	}
	if _, err := s.svc.VerifyEmail(context.Background(), first.Token, auth.Client{}); err != auth.ErrDeadLink {
		t.Fatalf("the first link after a newer one: %v", err)
	}
	if res := s.postJSON(t, "/api/users/me/verification", ``, ""); res.status != 401 {
		t.Fatalf("resend without a login: %d", res.status)
	}
}

// TestLoginLinkGrant: a sign-in link's token buys one token pair, proves
// the address, and is dead afterwards.
func TestLoginLinkGrant(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	if res := s.postJSON(t, "/api/login-link", `{"email":"alice@example.com","next":"//evil.example"}`, ""); res.status != http.StatusAccepted {
		t.Fatalf("request: %d %s", res.status, res.body)
	}
	m := s.mailTo(t, "alice@example.com", auth.MailLoginLink)
	if m.Next != "" {
		t.Fatalf("an off-site next was kept: %q", m.Next)
	}
	grant := url.Values{"grant_type": {"urn:latchkey:grant-type:login-link"}, "token": {m.Token}}
	res := s.postForm(t, "/api/token", grant)
	if res.status != 200 {
		t.Fatalf("grant: %d %s", res.status, res.body)
	}
	var p tokenPair
	res.json(t, &p)
	if me := s.do(t, "GET", "/api/users/me", "", "", p.AccessToken); me.status != 200 || !strings.Contains(me.body, `"email_verified":true`) {
		t.Fatalf("after the grant: %d %s", me.status, me.body)
	}
	if res := s.postForm(t, "/api/token", grant); res.status != 400 || !strings.Contains(res.body, `"invalid_grant"`) {
		t.Fatalf("the link used again: %d %s", res.status, res.body)
	}
	if res := s.postForm(t, "/api/token", url.Values{"grant_type": {"urn:latchkey:grant-type:login-link"}}); res.status != 400 || !strings.Contains(res.body, `"invalid_request"`) {
		t.Fatalf("no token: %d %s", res.status, res.body)
	}
}

// TestLoginLinksOff: with LATCHKEY_LOGIN_LINKS=false the endpoint does not
// exist and the grant is unsupported.
func TestLoginLinksOff(t *testing.T) {
	s := newServer(t, serverOptions{noLoginLinks: true})
	s.register(t, "alice")
	if res := s.postJSON(t, "/api/login-link", `{"email":"alice@example.com"}`, ""); res.status != 404 {
		t.Fatalf("POST /api/login-link: %d", res.status)
	}
	res := s.postForm(t, "/api/token", url.Values{"grant_type": {"urn:latchkey:grant-type:login-link"}, "token": {"x"}})
	if res.status != 400 || !strings.Contains(res.body, `"unsupported_grant_type"`) {
		t.Fatalf("the grant: %d %s", res.status, res.body)
	}
}

// TestRequireVerifiedEmail: with LATCHKEY_REQUIRE_VERIFIED_EMAIL, the right
// password of an unproven address is refused with a reason (a wrong one
// gets the ordinary answer), writing posts is 403, and using the link
// opens both.
func TestRequireVerifiedEmail(t *testing.T) {
	s := newServer(t, serverOptions{requireVerified: true})
	s.register(t, "alice")
	res := s.postForm(t, "/api/token", url.Values{"username": {"alice"}, "password": {goodPassword}})
	if res.status != 400 || !strings.Contains(res.body, `"invalid_grant"`) || !strings.Contains(res.body, "Confirm your e-mail address") {
		t.Fatalf("the right password, unverified: %d %s", res.status, res.body)
	}
	wrong := s.postForm(t, "/api/token", url.Values{"username": {"alice"}, "password": {"not the password"}})
	if wrong.status != 400 || strings.Contains(wrong.body, "Confirm") {
		t.Fatalf("a wrong password, unverified: %d %s", wrong.status, wrong.body)
	}

	// A session the account had before the setting: it may read, not write.
	lax := auth.NewService(auth.Deps{Store: s.store, Hasher: authtest.NewHasher(), Tokens: s.tokens}, auth.DefaultOptions())
	g, err := lax.PasswordGrant(context.Background(), "alice", goodPassword, auth.Client{})
	if err != nil {
		t.Fatal(err)
	}
	post := s.postJSON(t, "/api/posts", `{"title":"Hello","body":"World"}`, g.AccessToken)
	if post.status != 403 || s.problem(t, post).Code != auth.CodeEmailNotVerified {
		t.Fatalf("a post, unverified: %d %s", post.status, post.body)
	}

	if _, err := s.svc.VerifyEmail(context.Background(), s.mailTo(t, "alice@example.com", auth.MailVerifyEmail).Token, auth.Client{}); err != nil {
		t.Fatal(err)
	}
	p := s.login(t, "alice")
	if post := s.postJSON(t, "/api/posts", `{"title":"Hello","body":"World"}`, p.AccessToken); post.status != 201 {
		t.Fatalf("a post, verified: %d %s", post.status, post.body)
	}
}

// TestRequestsForMailCountPerIP: every request for mail takes from the
// per-IP budget of logins and registrations, whatever its address.
func TestRequestsForMailCountPerIP(t *testing.T) {
	s := newServer(t, serverOptions{perIP: 3})
	for i, path := range []string{"/api/password-reset", "/api/login-link", "/api/password-reset"} {
		if res := s.postJSON(t, path, `{"email":"someone`+string(rune('a'+i))+`@example.com"}`, ""); res.status != http.StatusAccepted {
			t.Fatalf("request %d: %d %s", i+1, res.status, res.body)
		}
	}
	res := s.postJSON(t, "/api/login-link", `{"email":"another@example.com"}`, "")
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
		t.Fatalf("a fourth request within the minute: %d Retry-After %q", res.status, res.header.Get("Retry-After"))
	}
}
