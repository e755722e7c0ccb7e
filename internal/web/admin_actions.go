package web

import (
	"context"
	"net/http"

	"github.com/latchkey/latchkey/internal/auth"
)

// What an admin does to a user, each a POST from the user's page. Each
// goes back to the page with a notice of what happened (a redirect, so a
// reload does not do it again), or shows the page again with why it was
// refused: the last active admin (409), two-step verification turned off
// already (409), a disabled account that gets no reset link (422), a link
// asked for too recently (429).

// errNoSuchSession answers a session id that is not one of the user's
// live sessions.
var errNoSuchSession = &auth.Error{Code: auth.CodeNotFound, Message: "This user has no such session."}

// act runs do on the user the path names, as the admin p. It reports
// whether do succeeded; otherwise it has answered: the 404 page for no
// such user (notFound for a missing thing), the error page for an outage
// or a bug, and the user's page with the refusal for the rest.
func (s *site) act(w http.ResponseWriter, r *http.Request, notFound error, do func(ctx context.Context, p *auth.Principal, id string) error) bool {
	id := r.PathValue("id")
	if !auth.WellFormedID(id) {
		s.fail(w, r, errNoSuchUser)
		return false
	}
	err := do(r.Context(), principal(r), id)
	switch {
	case err == nil:
		return true
	case auth.ErrorCode(err) == auth.CodeNotFound:
		err = notFound
	}
	fl := failureOf(err)
	if fl.err == nil || fl.status == http.StatusNotFound || fl.status == http.StatusServiceUnavailable {
		s.fail(w, r, err)
		return false
	}
	s.note(w, r, fl, err)
	msg := fl.message()
	if len(fl.err.Fields) > 0 {
		msg = fl.err.Fields[0].Message
	}
	s.renderAdminUser(w, r, fl.status, "", msg)
	return false
}

// done sends the admin back to the user's page with the notice for what
// happened; or home when they just took away their own way in (disabled
// or demoted themselves), since the admin pages would refuse them now.
func (s *site) done(w http.ResponseWriter, r *http.Request, what string, lostAccess bool) {
	if lostAccess && r.PathValue("id") == principal(r).User.ID {
		s.redirect(w, r, "/")
		return
	}
	s.redirect(w, r, "/admin/users/"+r.PathValue("id")+"?done="+what)
}

func (s *site) adminDisable(w http.ResponseWriter, r *http.Request) {
	if s.act(w, r, errNoSuchUser, func(ctx context.Context, p *auth.Principal, id string) error {
		_, err := s.Auth.SetDisabled(ctx, p, id, true)
		return err
	}) {
		s.done(w, r, "disabled", true)
	}
}

func (s *site) adminEnable(w http.ResponseWriter, r *http.Request) {
	if s.act(w, r, errNoSuchUser, func(ctx context.Context, p *auth.Principal, id string) error {
		_, err := s.Auth.SetDisabled(ctx, p, id, false)
		return err
	}) {
		s.done(w, r, "enabled", false)
	}
}

// adminSetRole gives the user the role the button posts ("admin" or
// "user"); SetRole refuses any other.
func (s *site) adminSetRole(w http.ResponseWriter, r *http.Request) {
	role, ok := posted(w, r, "role")
	if !ok {
		return
	}
	if s.act(w, r, errNoSuchUser, func(ctx context.Context, p *auth.Principal, id string) error {
		_, err := s.Auth.SetRole(ctx, p, id, auth.Role(role))
		return err
	}) {
		s.done(w, r, role, auth.Role(role) != auth.RoleAdmin)
	}
}

func (s *site) adminSendReset(w http.ResponseWriter, r *http.Request) {
	if s.act(w, r, errNoSuchUser, func(ctx context.Context, p *auth.Principal, id string) error {
		_, err := s.Auth.SendPasswordReset(ctx, p, id)
		return err
	}) {
		s.done(w, r, "reset", false)
	}
}

func (s *site) adminRevokeSession(w http.ResponseWriter, r *http.Request) {
	if s.act(w, r, errNoSuchSession, func(ctx context.Context, p *auth.Principal, id string) error {
		return s.Auth.RevokeUserSession(ctx, p, id, r.PathValue("sid"))
	}) {
		s.done(w, r, "session", false)
	}
}

func (s *site) adminRevokeSessions(w http.ResponseWriter, r *http.Request) {
	if s.act(w, r, errNoSuchUser, func(ctx context.Context, p *auth.Principal, id string) error {
		return s.Auth.RevokeUserSessions(ctx, p, id)
	}) {
		s.done(w, r, "sessions", false)
	}
}

// adminResetMFA turns two-step verification off for a user who lost both
// their phone and their recovery codes: they sign in with the password
// alone until they set it up again.
func (s *site) adminResetMFA(w http.ResponseWriter, r *http.Request) {
	if s.act(w, r, errNoSuchUser, func(ctx context.Context, p *auth.Principal, id string) error {
		_, err := s.Auth.ResetMFA(ctx, p, id)
		return err
	}) {
		s.done(w, r, "mfa", false)
	}
}

type adminDeleteData struct {
	User *auth.User
	Self bool
}

// adminDeletePage is the confirmation step before a deletion: it names
// the user and says what goes with them, and its button is the only one
// that deletes.
func (s *site) adminDeletePage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !auth.WellFormedID(id) {
		s.fail(w, r, errNoSuchUser)
		return
	}
	u, err := s.Auth.FindUser(r.Context(), id)
	if auth.ErrorCode(err) == auth.CodeNotFound {
		err = errNoSuchUser
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin_delete", "Delete "+u.Username+"?", adminDeleteData{User: u, Self: u.ID == principal(r).User.ID})
}

// adminDelete deletes the user, when the post comes from the confirmation
// page (confirm=yes); any other post is sent to that page first, so that
// no form can skip the step.
func (s *site) adminDelete(w http.ResponseWriter, r *http.Request) {
	confirm, ok := posted(w, r, "confirm")
	if !ok {
		return
	}
	if confirm != "yes" {
		if !auth.WellFormedID(r.PathValue("id")) {
			s.fail(w, r, errNoSuchUser)
			return
		}
		s.redirect(w, r, "/admin/users/"+r.PathValue("id")+"/delete")
		return
	}
	if !s.act(w, r, errNoSuchUser, func(ctx context.Context, p *auth.Principal, id string) error {
		return s.Auth.DeleteUser(ctx, p, id)
	}) {
		return
	}
	if r.PathValue("id") == principal(r).User.ID {
		s.redirect(w, r, "/") // their own account: signed out with it
		return
	}
	s.redirect(w, r, "/admin/users?done=deleted")
}
