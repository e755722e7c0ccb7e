package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

type accountData struct {
	Email    string // the account's address, and whether it is proven
	Verified bool
	Pending  string // an address waiting for its confirmation
	Profile  *form  // nil: the form as it starts
	Password *form  // nil: the form as it starts
	TOTP     *totpSection
	Sessions []sessionRow
	Others   bool // whether there is a session besides this browser's
	Activity []activityRow
	Notice   string
	Passkeys passkeySection
	rename   *passkeyRow // a refused rename of a passkey, shown on its row
}

// recentActivity is how many of their latest events /account shows.
const recentActivity = 20

// sessionRow is one line of the sessions list, its text worked out here so
// that the template prints plain strings: each function call or
// comparison in a template is a call by reflection.
type sessionRow struct {
	ID              string
	Device          string // the user agent as people say it (deviceName)
	UserAgent       string // empty when the browser sent none
	Detail          string // kind and IP address
	Kind, IP        string // the same apart, for the columns of an admin's table
	Since, LastSeen time.Time
	Current         bool // this browser's session
}

func sessionRows(list []*auth.Session, current string) []sessionRow {
	rows := make([]sessionRow, len(list))
	for i, s := range list {
		rows[i] = sessionRow{
			ID:        s.ID,
			Device:    deviceName(s.UserAgent),
			UserAgent: s.UserAgent,
			Detail:    string(s.Kind) + " · " + s.IP,
			Kind:      string(s.Kind),
			IP:        s.IP,
			Since:     s.CreatedAt,
			LastSeen:  s.LastSeenAt,
			Current:   s.ID == current,
		}
	}
	return rows
}

func profileForm(u *auth.User) *form {
	f := newForm("profile-form", "/account/profile",
		input{"username", "Username", "text", "username"},
		input{"email", "Email", "email", "email"},
		input{"current_password", "Current password (to change the email)", "password", "current-password"})
	f.Values["username"], f.Values["email"] = u.Username, u.Email
	return f
}

func passwordForm() *form {
	f := newForm("password-form", "/account/password",
		input{"current_password", "Current password", "password", "current-password"},
		input{"new_password", "New password", "password", "new-password"},
		input{"confirm_password", "Confirm new password", "password", "new-password"})
	f.idPrefix = "password-" // the profile form above has a current_password too
	return f
}

func (s *site) accountPage(w http.ResponseWriter, r *http.Request) {
	s.renderAccount(w, r, http.StatusOK, accountData{Notice: r.URL.Query().Get("done")})
}

// renderAccount shows the account page with the forms given (the others
// as they start) and the current list of sessions.
func (s *site) renderAccount(w http.ResponseWriter, r *http.Request, status int, d accountData) {
	p := principal(r)
	if d.Profile == nil {
		d.Profile = profileForm(p.User)
	}
	if d.Password == nil {
		d.Password = passwordForm()
	}
	var err error
	if d.TOTP, err = s.fillTOTPSection(r.Context(), p, d.TOTP); err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.Auth.Sessions(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Sessions, d.Others = sessionRows(list, p.Session.ID), len(list) > 1
	// One query on the audit log's index by user, newest first.
	events, _, err := s.Auth.EventsPage(r.Context(), p.User.ID, "", "", recentActivity)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Activity = activityRows(events)
	if d.Passkeys, err = s.passkeys(r, p, d.rename); err != nil {
		s.fail(w, r, err)
		return
	}
	d.Email, d.Verified, d.Pending = p.User.Email, p.User.EmailVerifiedAt != nil, p.User.PendingEmail
	switch d.Notice {
	case "profile":
		d.Notice = "Your profile was saved."
	case "password":
		d.Notice = "Your password was changed. Every other session has been logged out."
	case "sessions":
		d.Notice = "Logged out."
	case "others":
		switch n, _ := strconv.Atoi(r.URL.Query().Get("n")); n {
		case 0:
			d.Notice = "There was no other session to log out of."
		case 1:
			d.Notice = "Logged out of 1 other session."
		default:
			d.Notice = "Logged out of " + strconv.Itoa(n) + " other sessions."
		}
	case "verification":
		d.Notice = "A new confirmation link is on its way to " + p.User.Email + "."
	case "pending":
		d.Notice = "A link is on its way to " + p.User.PendingEmail + ". Your address changes when you use it."
	case "cancelled":
		d.Notice = "The change of address is cancelled."
	case "totp-on":
		d.Notice = "Two-step verification is on: signing in takes a code from your app after the password."
	case "recovery":
		d.Notice = "Your new recovery codes are the only ones that work now."
	case "totp-off":
		d.Notice = "Two-step verification is off: signing in takes your password alone."
	case "passkey-added":
		d.Notice = "Your passkey was added. You can log in with it from now on."
	case "passkey-renamed":
		d.Notice = "The passkey was renamed."
	case "passkey-removed":
		d.Notice = "The passkey was removed. It no longer logs in here; you may delete it from your device too."
	default:
		d.Notice = ""
	}
	s.render(w, r, status, "account", "Your account", d)
}

func (s *site) updateProfile(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	f := profileForm(p.User)
	if err := readForm(w, r, f); err != nil {
		badForm(w, err)
		return
	}
	username, email := f.Values["username"], f.Values["email"]
	u, err := s.Auth.UpdateProfile(r.Context(), p, auth.ProfileChange{Username: &username, Email: &email, CurrentPassword: f.Values["current_password"]})
	if err != nil {
		status, ok := s.apply(w, r, f, err)
		if !ok {
			return // answered with the error page
		}
		s.renderAccount(w, r, status, accountData{Profile: f, Password: passwordForm()})
		return
	}
	if u.PendingEmail != p.User.PendingEmail {
		s.redirect(w, r, "/account?done=pending")
		return
	}
	s.redirect(w, r, "/account?done=profile")
}

func (s *site) changePassword(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	f := passwordForm()
	if err := readForm(w, r, f); err != nil {
		badForm(w, err)
		return
	}
	if f.Values["confirm_password"] != f.Values["new_password"] {
		f.set("confirm_password", "The two passwords do not match.")
		s.renderAccount(w, r, http.StatusUnprocessableEntity, accountData{Profile: profileForm(p.User), Password: f})
		return
	}
	cookie, err := s.Auth.ChangePassword(r.Context(), p, f.Values["current_password"], f.Values["new_password"])
	if err != nil {
		status, ok := s.apply(w, r, f, err)
		if !ok {
			return // answered with the error page
		}
		s.renderAccount(w, r, status, accountData{Profile: profileForm(p.User), Password: f})
		return
	}
	s.Cookies.Set(w, cookie, p.Session, s.Now()) // the old cookie value no longer works
	s.redirect(w, r, "/account?done=password")
}

func (s *site) revokeSession(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	id := r.PathValue("id")
	if err := s.Auth.RevokeSession(r.Context(), p, id); err != nil {
		s.fail(w, r, err) // 404 for a session that is not theirs
		return
	}
	if id == p.Session.ID { // logged this browser out
		s.Cookies.Clear(w)
		s.redirect(w, r, "/")
		return
	}
	s.redirect(w, r, "/account?done=sessions")
}

func (s *site) revokeOtherSessions(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	list, err := s.Auth.Sessions(r.Context(), p)
	if err == nil {
		err = s.Auth.RevokeOtherSessions(r.Context(), p)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The count is the message's only: it says what happened.
	s.redirect(w, r, "/account?done=others&n="+strconv.Itoa(max(len(list)-1, 0)))
}
