package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/auth"
)

// The admin pages (DESIGN.md, "Admin pages"): the users, a user's page
// with their sessions, their events and what an admin may do to them
// (admin_actions.go), and the whole audit log (admin_events.go). Only an
// admin gets in; every action is a plain POST form, covered like every
// other form by the server's cross-origin protection, and each is an
// audit event with the admin as its actor, written by the auth flow it
// calls.

// adminPageSize is how many rows a page of users or events shows: enough
// to scan at a glance, few enough that a page stays quick to read.
const adminPageSize = 50

// requireAdmin lets only an admin through: a visitor goes to the login
// page (requireLogin), a signed-in user who is not an admin gets the 403
// page. The role is the one read with the session on this very request,
// so one taken away counts at once.
func (s *site) requireAdmin(next http.HandlerFunc) http.Handler {
	return s.requireLogin(func(w http.ResponseWriter, r *http.Request) {
		if err := auth.RequireAdmin(principal(r)); err != nil {
			s.fail(w, r, err)
			return
		}
		next(w, r)
	})
}

// errNoSuchUser is the pages' word for a user id that names no one, or is
// not an id at all.
var errNoSuchUser = &auth.Error{Code: auth.CodeNotFound, Message: "There is no such user."}

// badQueryText says what is wrong with a search or filter typed into an
// admin page, or "" when nothing is. What no username or address can
// hold (a NUL, bytes that are not UTF-8) is refused here, the same on
// both databases, rather than matching nothing on SQLite and being
// refused by PostgreSQL.
func badQueryText(s string) string {
	if !utf8.ValidString(s) || strings.ContainsFunc(s, isControl) {
		return auth.ErrUnstorableText.Message
	}
	return ""
}

// pageURL is path with the query values that are not empty: the link to
// another page of a list, keeping its filters.
func pageURL(path string, kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Set(kv[i], kv[i+1])
		}
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

type adminUsersData struct {
	Q      string // the search as typed
	QError string // why it cannot be searched for
	Users  []userRow
	Next   string // the next page's URL; "" on the last page
	First  string // the first page's URL, when this is not it
	Notice string
}

// userRow is one line of the users table.
type userRow struct {
	ID, Username, Email, Role string
	Verified                  bool
	DisabledAt, LastSeen      *time.Time
	Created                   time.Time
}

// adminHome is where the header's "Admin" link leads: the users.
func (s *site) adminHome(w http.ResponseWriter, r *http.Request) {
	s.redirect(w, r, "/admin/users")
}

// adminUsers lists the users whose username or e-mail starts with q,
// newest first, a page at a time.
func (s *site) adminUsers(w http.ResponseWriter, r *http.Request) {
	query := r.URL.Query()
	d := adminUsersData{Q: query.Get("q")}
	if query.Get("done") == "deleted" {
		d.Notice = "The user was deleted."
	}
	if d.QError = badQueryText(d.Q); d.QError != "" {
		s.render(w, r, http.StatusUnprocessableEntity, "admin_users", "Users", d)
		return
	}
	cursor := query.Get("cursor")
	list, next, err := s.Auth.UsersPage(r.Context(), d.Q, cursor, adminPageSize)
	if auth.ErrorCode(err) == auth.CodeInvalid && cursor != "" { // a stale or edited cursor: start over
		cursor = ""
		list, next, err = s.Auth.UsersPage(r.Context(), d.Q, "", adminPageSize)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Users = make([]userRow, len(list))
	for i, u := range list {
		d.Users[i] = userRow{ID: u.ID, Username: u.Username, Email: u.Email, Role: string(u.Role),
			Verified: u.EmailVerifiedAt != nil, DisabledAt: u.DisabledAt, LastSeen: u.LastSeenAt, Created: u.CreatedAt}
	}
	if next != "" {
		d.Next = pageURL("/admin/users", "q", d.Q, "cursor", next)
	}
	if cursor != "" {
		d.First = pageURL("/admin/users", "q", d.Q)
	}
	s.render(w, r, http.StatusOK, "admin_users", "Users", d)
}

type adminUserData struct {
	User     *auth.User
	IsAdmin  bool // their role
	Self     bool // the page of the admin reading it
	Verified bool
	Sessions []sessionRow
	Events   []eventRow
	ShowUser bool   // whether the events table names whom each concerns: no, it is this user
	Next     string // the next page of events; "" on the last
	First    string // the first page of events, when this is not it
	Notice   string // what an action just did
	Alert    string // why an action was refused
}

// adminUser shows a user: who they are, their live sessions and their
// events, with the actions on them.
func (s *site) adminUser(w http.ResponseWriter, r *http.Request) {
	s.renderAdminUser(w, r, http.StatusOK, r.URL.Query().Get("done"), "")
}

// renderAdminUser shows the page of the user the path names, with the
// notice that done (an action's name) gives or with alert, why an action
// was refused; a path that names no one is the 404 page.
func (s *site) renderAdminUser(w http.ResponseWriter, r *http.Request, status int, done, alert string) {
	id := r.PathValue("id")
	if !auth.WellFormedID(id) {
		s.fail(w, r, errNoSuchUser)
		return
	}
	u, sessions, err := s.Auth.UserSessions(r.Context(), id)
	if auth.ErrorCode(err) == auth.CodeNotFound {
		err = errNoSuchUser
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cursor := ""
	if r.Method == http.MethodGet {
		cursor = r.URL.Query().Get("cursor")
	}
	events, next, err := s.Auth.EventsPage(r.Context(), u.ID, "", cursor, adminPageSize)
	if auth.ErrorCode(err) == auth.CodeInvalid && cursor != "" {
		cursor = ""
		events, next, err = s.Auth.EventsPage(r.Context(), u.ID, "", "", adminPageSize)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := adminUserData{User: u, IsAdmin: u.Role == auth.RoleAdmin, Self: u.ID == principal(r).User.ID,
		Verified: u.EmailVerifiedAt != nil, Sessions: sessionRows(sessions, principal(r).Session.ID),
		Notice: adminNotice(done, u), Alert: alert}
	if d.Events, err = s.eventRows(r.Context(), events); err != nil {
		s.fail(w, r, err)
		return
	}
	if next != "" {
		d.Next = pageURL("/admin/users/"+u.ID, "cursor", next) + "#events"
	}
	if cursor != "" {
		d.First = "/admin/users/" + u.ID + "#events"
	}
	s.render(w, r, status, "admin_user", u.Username, d)
}

// adminNotice is what an action on u did, by the name it redirects with.
func adminNotice(done string, u *auth.User) string {
	switch done {
	case "disabled":
		return u.Username + " is disabled: they cannot sign in, and every session of theirs has ended."
	case "enabled":
		return u.Username + " is enabled and can sign in again."
	case "admin":
		return u.Username + " is now an admin."
	case "user":
		return u.Username + " is no longer an admin."
	case "reset":
		return "A password reset link is on its way to " + u.Email + "."
	case "session":
		return "The session has ended."
	case "sessions":
		return "Every session of " + u.Username + " has ended."
	case "mfa":
		return "Two-step verification is off for " + u.Username + ": they sign in with their password alone until they set it up again."
	}
	return ""
}
