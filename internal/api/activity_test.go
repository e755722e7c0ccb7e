package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"
	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/auth"
)

// myEvents walks the caller's events, limit at a time, to the end.
func (s *testServer) myEvents(t *testing.T, token string, limit int) []api.EventView {
	t.Helper()
	var all []api.EventView
	cursor := ""
	for range 1000 {
		q := url.Values{"limit": {fmt.Sprint(limit)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		res := s.do(t, "GET", "/api/users/me/events?"+q.Encode(), "", "", token)
		s.wantStatus(t, "GET /api/users/me/events", res, http.StatusOK, "")
		var page api.EventList
		res.json(t, &page)
		if len(page.Items) > limit {
			t.Fatalf("%d events on a page of %d", len(page.Items), limit)
		}
		all = append(all, page.Items...)
		if cursor = page.NextCursor; cursor == "" {
			return all
		}
	}
	t.Fatal("the events never end")
	return nil
}

func TestMyEvents(t *testing.T) {
	s := newServer(t, serverOptions{})
	root := s.makeAdmin(t, "root").AccessToken
	s.register(t, "alice")
	alice := s.login(t, "alice").AccessToken
	aliceID := s.me(t, alice).ID
	s.wantStatus(t, "new password", s.postJSON(t, "/api/users/me/password",
		`{"current_password":"`+goodPassword+`","new_password":"another good passphrase"}`, alice), http.StatusNoContent, "")
	s.wantStatus(t, "root revokes", s.do(t, "DELETE", "/api/admin/users/"+aliceID+"/sessions", "", "", root), http.StatusNoContent, "")
	alice = s.postForm(t, "/api/token", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"another good passphrase"}}).accessToken(t)

	events := s.myEvents(t, alice, 20)
	var types []auth.EventType
	for _, e := range events {
		types = append(types, auth.EventType(e.Type))
		if e.UserID == nil || *e.UserID != aliceID {
			t.Errorf("someone else's event among alice's: %+v", e)
		}
	}
	want := []auth.EventType{auth.EventLoginSucceeded, auth.EventSessionRevoked, auth.EventPasswordChanged, auth.EventLoginSucceeded}
	if len(types) < len(want)+2 || !slices.Equal(types[:len(want)], want) {
		t.Fatalf("alice's events %q, want %q first, then her registration", types, want)
	}
	if revoked := events[1]; revoked.ActorID == nil || *revoked.ActorID == aliceID {
		t.Errorf("the admin's revocation is not theirs: %+v", revoked)
	}
	if changed := events[2]; changed.SessionID == nil || changed.IP == nil || changed.UserAgent == nil || *changed.ActorID != aliceID {
		t.Errorf("the password change lacks where it came from: %+v", changed)
	}
	for i := 1; i < len(events); i++ {
		if events[i].At.After(events[i-1].At) {
			t.Fatalf("not newest first: %v after %v", events[i].At, events[i-1].At)
		}
	}
	// Pages of one are the same list.
	var ids, oneByOne []string
	for _, e := range events {
		ids = append(ids, e.ID)
	}
	for _, e := range s.myEvents(t, alice, 1) {
		oneByOne = append(oneByOne, e.ID)
	}
	if !slices.Equal(ids, oneByOne) {
		t.Errorf("pages of one: %q, want %q", oneByOne, ids)
	}

	// Nulls are null and details an object, never absent.
	res := s.do(t, "GET", "/api/users/me/events?limit=100", "", "", alice)
	var raw struct{ Items []map[string]json.RawMessage }
	res.json(t, &raw)
	registered := raw.Items[len(raw.Items)-1]
	for _, f := range []string{"id", "at", "type", "user_id", "actor_id", "session_id", "ip", "user_agent", "details"} {
		if _, ok := registered[f]; !ok {
			t.Errorf("%s absent from %v", f, registered)
		}
	}
	if string(registered["session_id"]) != "null" {
		t.Errorf("a registration happens in no session, but session_id is %s", registered["session_id"])
	}
	if d := string(registered["details"]); !strings.HasPrefix(d, "{") {
		t.Errorf("details %s, want an object", d)
	}

	for _, q := range []string{"limit=0", "limit=101", "cursor=abc"} {
		s.wantStatus(t, q, s.do(t, "GET", "/api/users/me/events?"+q, "", "", alice), http.StatusUnprocessableEntity, auth.CodeInvalid)
	}
	s.wantStatus(t, "no credentials", s.do(t, "GET", "/api/users/me/events", "", "", ""), http.StatusUnauthorized, auth.CodeUnauthenticated)
}

func (r response) accessToken(t *testing.T) string {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	var p tokenPair
	r.json(t, &p)
	return p.AccessToken
}

// TestExport: the caller's export is one attachment holding their
// profile, live sessions, every post and every event, however many pages
// they fill, and nothing secret: no password hash, no token the caller
// holds, no token mailed to them.
func TestExport(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	first := s.login(t, "alice")
	second := s.login(t, "alice")
	alice := second.AccessToken
	aliceID := s.me(t, alice).ID
	s.register(t, "bob")
	bob := s.login(t, "bob").AccessToken
	s.wantStatus(t, "bob writes", s.do(t, "POST", "/api/posts", "application/json", `{"title":"not hers"}`, bob), http.StatusCreated, "")
	verify := s.mailTo(t, "alice@example.com", auth.MailVerifyEmail)

	// More posts and events than one page holds.
	const posts, extraEvents = auth.MaxPageSize + 3, auth.MaxPageSize + 5
	for i := range posts {
		s.wantStatus(t, "post", s.do(t, "POST", "/api/posts", "application/json", fmt.Sprintf(`{"title":"post %d","body":"text"}`, i), alice), http.StatusCreated, "")
	}
	var events []auth.Event
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond)
	for i := range extraEvents {
		events = append(events, auth.Event{ID: uuid.Must(uuid.NewV7()).String(), At: at.Add(time.Duration(i) * time.Second),
			Type: auth.EventLoginFailed, UserID: aliceID, IP: "192.0.2.1", Details: map[string]string{"reason": auth.ReasonInvalidCredentials}})
	}
	if err := s.store.RecordEvents(context.Background(), events...); err != nil {
		t.Fatal(err)
	}
	// A passkey, stored as a ceremony would leave it.
	passkey := &auth.Passkey{ID: uuid.Must(uuid.NewV7()).String(), UserID: aliceID, Name: "Phone", CreatedAt: at,
		Credential: webauthn.Credential{ID: []byte("alice's credential id"), PublicKey: []byte("alice's public key")}}
	if err := s.store.CreatePasskey(context.Background(), passkey); err != nil {
		t.Fatal(err)
	}
	var hash string
	if u, err := s.store.UserByID(context.Background(), aliceID); err != nil || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Fatalf("alice's hash %q, %v", u.PasswordHash, err)
	} else {
		hash = u.PasswordHash
	}

	v := newValidator(t, fetchSpec(t, s))
	req, httpRes := exchange(t, s, "GET", "/api/users/me/export", "", "", alice)
	if httpRes.StatusCode != http.StatusOK {
		t.Fatalf("export: %d", httpRes.StatusCode)
	}
	if _, errs := v.ValidateHttpRequestResponse(req, httpRes); len(errs) > 0 {
		reportValidation(t, "export against the document", errs)
	}
	var body bytes.Buffer
	body.ReadFrom(httpRes.Body)
	if got, want := httpRes.Header.Get("Content-Disposition"), `attachment; filename="latchkey-export-alice.json"`; got != want {
		t.Errorf("Content-Disposition %q, want %q", got, want)
	}
	if ct := httpRes.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := httpRes.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	for name, secret := range map[string]string{
		"the password hash": hash, "the hash's prefix": "$argon2id$", "the password": goodPassword,
		"an access token": alice, "the other access token": first.AccessToken,
		"a refresh token": second.RefreshToken, "the other refresh token": first.RefreshToken,
		"the verification link's token": verify.Token,
		"the passkey's credential id":   base64.RawURLEncoding.EncodeToString(passkey.Credential.ID),
		"the passkey's public key":      base64.RawURLEncoding.EncodeToString(passkey.Credential.PublicKey),
	} {
		if strings.Contains(body.String(), secret) {
			t.Errorf("the export holds %s", name)
		}
	}

	var export api.Export
	dec := json.NewDecoder(bytes.NewReader(body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&export); err != nil {
		t.Fatalf("the export is not one Export document: %v\n%.500s", err, body.String())
	}
	if dec.More() {
		t.Error("something follows the export's document")
	}
	p := export.Profile
	if p.ID != aliceID || p.Username != "alice" || p.Email != "alice@example.com" || p.EmailVerified || p.EmailVerifiedAt != nil || p.UpdatedAt.IsZero() {
		t.Errorf("profile %+v", p)
	}
	if len(export.Sessions) != 2 || !slices.ContainsFunc(export.Sessions, func(s api.SessionView) bool { return s.Current }) {
		t.Errorf("sessions %+v, want both, the current one marked", export.Sessions)
	}
	if len(export.Passkeys) != 1 || export.Passkeys[0].ID != passkey.ID || export.Passkeys[0].Name != "Phone" ||
		!export.Passkeys[0].CreatedAt.Equal(at) || export.Passkeys[0].LastUsedAt != nil {
		t.Errorf("passkeys %+v, want alice's one, never used", export.Passkeys)
	}
	if len(export.Posts) != posts {
		t.Errorf("%d posts, want %d", len(export.Posts), posts)
	}
	seen := map[string]bool{}
	for _, post := range export.Posts {
		if post.Author.ID != aliceID || seen[post.ID] {
			t.Fatalf("post %+v: not alice's, or twice", post)
		}
		seen[post.ID] = true
	}
	if export.Posts[0].Title != fmt.Sprintf("post %d", posts-1) {
		t.Errorf("the first post is %q, want the newest", export.Posts[0].Title)
	}
	var mine []string
	for _, e := range s.myEvents(t, alice, 100) {
		mine = append(mine, e.ID)
	}
	var exported []string
	for _, e := range export.Events {
		exported = append(exported, e.ID)
	}
	if len(exported) < extraEvents+3 || !slices.Equal(exported, mine) {
		t.Errorf("%d events exported, want the %d of /api/users/me/events, in order", len(exported), len(mine))
	}
	if time.Since(export.ExportedAt) > time.Minute {
		t.Errorf("exported_at %v", export.ExportedAt)
	}

	s.wantStatus(t, "no credentials", s.do(t, "GET", "/api/users/me/export", "", "", ""), http.StatusUnauthorized, auth.CodeUnauthenticated)
}

// TestExportOfANewUser: a user with nothing yet exports empty lists, not
// nulls, and their unverified state as null.
func TestExportOfANewUser(t *testing.T) {
	s := newServer(t, serverOptions{})
	s.register(t, "alice")
	res := s.do(t, "GET", "/api/users/me/export", "", "", s.login(t, "alice").AccessToken)
	s.wantStatus(t, "export", res, http.StatusOK, "")
	var raw map[string]json.RawMessage
	res.json(t, &raw)
	if string(raw["posts"]) != "[]" {
		t.Errorf("posts %s, want []", raw["posts"])
	}
	if string(raw["passkeys"]) != "[]" {
		t.Errorf("passkeys %s, want []", raw["passkeys"])
	}
	var profile map[string]json.RawMessage
	if err := json.Unmarshal(raw["profile"], &profile); err != nil || string(profile["email_verified_at"]) != "null" {
		t.Errorf("profile %s (%v), want email_verified_at null", raw["profile"], err)
	}
}
