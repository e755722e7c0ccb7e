package web

import (
	"html"
	"html/template"
	"strings"

	"github.com/latchkey/latchkey/internal/auth"
)

// The audit log in words. The event types are stable names for machines
// ("login.failed"); a person reading their account page or an admin
// reading the log wants "Sign-in failed: wrong password". typeNames says
// what each type means on its own (the log's filter lists them), and
// eventLabel sharpens it with the event's details where they say more
// (how someone signed in, why a sign-in failed).
var typeNames = map[auth.EventType]string{
	auth.EventUserRegistered:       "Account created",
	auth.EventLoginSucceeded:       "Signed in",
	auth.EventLoginFailed:          "Sign-in failed",
	auth.EventLogout:               "Signed out",
	auth.EventSessionRevoked:       "Session ended",
	auth.EventTokenReuseDetected:   "Stolen refresh token suspected",
	auth.EventPasswordChanged:      "Password changed",
	auth.EventPasswordResetAsked:   "Password reset link requested",
	auth.EventPasswordReset:        "Password reset",
	auth.EventVerificationSent:     "Confirmation link sent",
	auth.EventEmailVerified:        "E-mail address confirmed",
	auth.EventEmailChangeRequested: "E-mail change requested",
	auth.EventEmailChanged:         "E-mail address changed",
	auth.EventLoginLinkSent:        "Sign-in link sent",
	auth.EventLoginLinkUsed:        "Sign-in link used",
	auth.EventUserUpdated:          "Username changed",
	auth.EventUserDisabled:         "Account disabled",
	auth.EventUserEnabled:          "Account enabled",
	auth.EventUserRoleChanged:      "Role changed",
	auth.EventUserDeleted:          "Account deleted",
	auth.EventKeysRotated:          "Signing keys rotated",
	auth.EventMFAEnabled:           "Two-step verification turned on",
	auth.EventMFADisabled:          "Two-step verification turned off",
	auth.EventMFAReset:             "Two-step verification reset",
	auth.EventPasskeyAdded:         "Passkey added",
	auth.EventPasskeyRemoved:       "Passkey removed",
}

// typeName is t in words, or t itself for a type this table lacks (one
// added to auth and not yet here: TestEveryEventTypeHasWords catches it).
func typeName(t auth.EventType) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return string(t)
}

// eventLabel says what happened in e, in a few words.
func eventLabel(e *auth.Event) string {
	d := e.Details
	switch e.Type {
	case auth.EventLoginSucceeded:
		if d["method"] == string(auth.LoginRegistration) {
			return "Signed in after registering"
		}
		how := map[string]string{string(auth.LoginPassword): "password", string(auth.LoginLink): "sign-in link",
			string(auth.LoginPasskey): "passkey"}[d["method"]]
		if how != "" {
			how += map[string]string{"totp": " and app code", "recovery_code": " and recovery code"}[d["second_factor"]]
		}
		if d["session_kind"] == string(auth.SessionAPI) {
			how = strings.TrimPrefix(how+", API", ", ")
		}
		if how == "" {
			return "Signed in"
		}
		return "Signed in (" + how + ")"
	case auth.EventLoginFailed:
		switch d["reason"] {
		case auth.ReasonInvalidCredentials:
			if d["method"] == string(auth.LoginPasskey) {
				return "Sign-in failed: passkey not accepted"
			}
			return "Sign-in failed: wrong password"
		case auth.ReasonThrottled:
			return "Sign-in refused: too many attempts"
		case auth.ReasonDisabled:
			return "Sign-in refused: account disabled"
		case auth.ReasonNotVerified:
			return "Sign-in refused: e-mail address not confirmed"
		}
	case auth.EventSessionRevoked:
		switch d["revoked"] {
		case "all_others":
			return "Signed out everywhere else"
		case "all":
			return "Every session ended"
		}
	case auth.EventEmailChangeRequested:
		if d["resent"] == "true" {
			return "E-mail change link sent again"
		}
	case auth.EventEmailChanged:
		if d["undo"] == "true" {
			return "E-mail change undone"
		}
	case auth.EventPasskeyAdded, auth.EventPasskeyRemoved:
		if d["name"] != "" {
			return typeName(e.Type) + ": " + d["name"]
		}
	case auth.EventUserRoleChanged:
		switch auth.Role(d["new_role"]) {
		case auth.RoleAdmin:
			return "Made an admin"
		case auth.RoleUser:
			return "No longer an admin"
		}
	}
	return typeName(e.Type)
}

// activityRow is one line of "Recent security activity". Its second line
// (when, IP, device) is written here, escaped, as one piece of HTML: the
// account page has a budget, most of its time is html/template's escaper
// called by reflection for each action, and twenty rows of six actions
// each would double it.
type activityRow struct {
	What string
	By   string // who did it when not the user: "by an admin", "from the command line"
	Line template.HTML
}

// activityRows puts a user's events into words. A user agent is named
// once however many events share it: a page of events mostly comes from
// the same few browsers, and naming one parses it.
func activityRows(list []*auth.Event) []activityRow {
	rows := make([]activityRow, len(list))
	devices := make(map[string]string, 4)
	var b strings.Builder
	for i, e := range list {
		b.Reset()
		b.WriteString(string(when(e.At)))
		if e.IP != "" {
			b.WriteString(" · ")
			b.WriteString(escape(e.IP))
		}
		if e.UserAgent != "" {
			dev, ok := devices[e.UserAgent]
			if !ok {
				dev = deviceName(e.UserAgent)
				devices[e.UserAgent] = dev
			}
			b.WriteString(` · <span title="`)
			b.WriteString(escape(e.UserAgent))
			b.WriteString(`">`)
			b.WriteString(escape(dev))
			b.WriteString(`</span>`)
		}
		rows[i] = activityRow{What: eventLabel(e), By: doneBy(e), Line: template.HTML(b.String())}
	}
	return rows
}

// escape makes text safe in HTML, in an element or a quoted attribute, as
// html/template would: bytes that are not UTF-8 are replaced first.
func escape(s string) string {
	return html.EscapeString(strings.ToValidUTF8(s, "\uFFFD"))
}

// doneBy names who did e when it was not its user themselves nor someone
// anonymous (a failed sign-in): an admin over the web or the API, or an
// operator on the command line. The user sees that it was not them, and
// no admin's name.
func doneBy(e *auth.Event) string {
	switch {
	case e.Details["via"] == "command_line":
		return "from the command line"
	case e.ActorID != "" && e.ActorID != e.UserID:
		return "by an admin"
	}
	return ""
}
