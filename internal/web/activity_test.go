package web

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

// TestEveryEventTypeHasWords: a type added to auth without words here
// would show its machine name on /account and in the admins' filter.
func TestEveryEventTypeHasWords(t *testing.T) {
	for _, typ := range auth.EventTypes {
		if typeNames[typ] == "" {
			t.Errorf("event type %s has no words in typeNames", typ)
		}
	}
	if len(typeNames) != len(auth.EventTypes) {
		t.Errorf("typeNames has %d entries for %d event types", len(typeNames), len(auth.EventTypes))
	}
}

func TestEventLabel(t *testing.T) {
	tests := []struct {
		typ     auth.EventType
		details map[string]string
		want    string
	}{
		{auth.EventLoginSucceeded, map[string]string{"method": "password", "session_kind": "browser"}, "Signed in (password)"},
		{auth.EventLoginSucceeded, map[string]string{"method": "password", "session_kind": "api"}, "Signed in (password, API)"},
		{auth.EventLoginSucceeded, map[string]string{"method": "login_link", "session_kind": "browser"}, "Signed in (sign-in link)"},
		{auth.EventLoginSucceeded, map[string]string{"method": "registration", "session_kind": "browser"}, "Signed in after registering"},
		{auth.EventLoginSucceeded, map[string]string{"method": "password", "session_kind": "browser", "second_factor": "totp"}, "Signed in (password and app code)"},
		{auth.EventLoginSucceeded, map[string]string{"method": "login_link", "session_kind": "browser", "second_factor": "recovery_code"}, "Signed in (sign-in link and recovery code)"},
		{auth.EventLoginSucceeded, map[string]string{"method": "password", "session_kind": "api", "second_factor": "totp"}, "Signed in (password and app code, API)"},
		{auth.EventMFAReset, nil, "Two-step verification reset"},
		{auth.EventLoginSucceeded, map[string]string{"method": "passkey", "session_kind": "browser"}, "Signed in (passkey)"},
		{auth.EventLoginSucceeded, map[string]string{"session_kind": "api"}, "Signed in (API)"},
		{auth.EventLoginSucceeded, nil, "Signed in"},
		{auth.EventLoginFailed, map[string]string{"reason": auth.ReasonInvalidCredentials}, "Sign-in failed: wrong password"},
		{auth.EventLoginFailed, map[string]string{"reason": auth.ReasonInvalidCredentials, "method": "passkey"}, "Sign-in failed: passkey not accepted"},
		{auth.EventLoginFailed, map[string]string{"reason": auth.ReasonThrottled}, "Sign-in refused: too many attempts"},
		{auth.EventLoginFailed, map[string]string{"reason": auth.ReasonDisabled}, "Sign-in refused: account disabled"},
		{auth.EventLoginFailed, map[string]string{"reason": auth.ReasonNotVerified}, "Sign-in refused: e-mail address not confirmed"},
		{auth.EventLoginFailed, nil, "Sign-in failed"},
		{auth.EventSessionRevoked, map[string]string{"revoked": "all_others"}, "Signed out everywhere else"},
		{auth.EventSessionRevoked, map[string]string{"revoked": "all"}, "Every session ended"},
		{auth.EventSessionRevoked, map[string]string{"revoked": "01a21ae5-d4be-7e31-9c2b-1d16df6f5f50"}, "Session ended"},
		{auth.EventPasswordChanged, nil, "Password changed"},
		{auth.EventEmailChanged, map[string]string{"undo": "true"}, "E-mail change undone"},
		{auth.EventEmailChangeRequested, map[string]string{"resent": "true"}, "E-mail change link sent again"},
		{auth.EventUserRoleChanged, map[string]string{"old_role": "user", "new_role": "admin"}, "Made an admin"},
		{auth.EventUserRoleChanged, map[string]string{"old_role": "admin", "new_role": "user"}, "No longer an admin"},
		{auth.EventPasskeyAdded, map[string]string{"name": "Phone"}, "Passkey added: Phone"},
		{auth.EventPasskeyRemoved, map[string]string{"name": "YubiKey"}, "Passkey removed: YubiKey"},
		{auth.EventPasskeyRemoved, nil, "Passkey removed"},
		{"some.future_type", nil, "some.future_type"},
	}
	for _, tt := range tests {
		if got := eventLabel(&auth.Event{Type: tt.typ, Details: tt.details}); got != tt.want {
			t.Errorf("eventLabel(%s, %v) = %q, want %q", tt.typ, tt.details, got, tt.want)
		}
	}
}

func TestDoneBy(t *testing.T) {
	const alice, admin = "a", "b"
	tests := []struct {
		e    auth.Event
		want string
	}{
		{auth.Event{UserID: alice, ActorID: alice}, ""},
		{auth.Event{UserID: alice, ActorID: ""}, ""}, // a failed sign-in: nobody known
		{auth.Event{UserID: alice, ActorID: admin}, "by an admin"},
		{auth.Event{UserID: alice, ActorID: "", Details: map[string]string{"via": "command_line"}}, "from the command line"},
	}
	for _, tt := range tests {
		if got := doneBy(&tt.e); got != tt.want {
			t.Errorf("doneBy(%+v) = %q, want %q", tt.e, got, tt.want)
		}
	}
}

// TestActivityLineIsEscaped: the line under each event is written in Go,
// not by html/template, so it must escape as the template would.
func TestActivityLineIsEscaped(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rows := activityRows([]*auth.Event{
		{At: at, Type: auth.EventLogout, IP: "192.0.2.1", UserAgent: `"><script>alert(1)</script> caf` + "\xe9"},
		{At: at, Type: auth.EventKeysRotated},
	})
	got := string(rows[0].Line)
	want := `<time datetime="2026-01-02T03:04:05Z" title="2 January 2026, 03:04 UTC">2 January 2026</time> · 192.0.2.1 · ` +
		`<span title="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt; caf` + "\uFFFD" + `">&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt; caf` + "\uFFFD" + `</span>`
	if got != want {
		t.Errorf("line\n got %s\nwant %s", got, want)
	}
	if got := string(rows[1].Line); got != string(when(at)) {
		t.Errorf("an event without IP or device: %s", got)
	}
}
