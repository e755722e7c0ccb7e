package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

// Passkeys on the pages (DESIGN.md, "Second factor and passkeys"): the
// account page lists them, with a form each to rename and to remove, and
// the login page offers "Sign in with a passkey" and the browser's
// autofill. A ceremony needs the browser's WebAuthn API, so the page's
// script (static/passkey.js) runs it, calling the JSON endpoints here
// with fetch; everything else is a plain form. Without the script, or
// WebAuthn, the passkey parts stay hidden and the rest works as before.
// Routed only when passkeys are on (auth.Service.PasskeysOn).

// passkeySection is the account page's "Passkeys" card.
type passkeySection struct {
	On   bool // passkeys work here: show the card
	List []passkeyRow
}

// passkeyRow is one passkey of the account page's list.
type passkeyRow struct {
	ID, Name string
	Created  time.Time
	LastUsed time.Time
	Used     bool
	// Rename is the name typed into a refused rename, and Error why.
	Rename, Error string
}

// passkeys fills the account page's card; rename, when not nil, is a
// refused rename to show on its row.
func (s *site) passkeys(r *http.Request, p *auth.Principal, rename *passkeyRow) (passkeySection, error) {
	if !s.Auth.PasskeysOn() {
		return passkeySection{}, nil
	}
	list, err := s.Auth.Passkeys(r.Context(), p)
	if err != nil {
		return passkeySection{}, err
	}
	rows := make([]passkeyRow, len(list))
	for i, pk := range list {
		rows[i] = passkeyRow{ID: pk.ID, Name: pk.Name, Rename: pk.Name, Created: pk.CreatedAt}
		if pk.LastUsedAt != nil {
			rows[i].LastUsed, rows[i].Used = *pk.LastUsedAt, true
		}
		if rename != nil && rename.ID == pk.ID {
			rows[i].Rename, rows[i].Error = rename.Rename, rename.Error
		}
	}
	return passkeySection{On: true, List: rows}, nil
}

// renamePasskey is the plain form on each row of the list.
func (s *site) renamePasskey(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	f := newForm("", "", input{Name: "name"})
	if err := readForm(w, r, f); err != nil {
		badForm(w, err)
		return
	}
	id := r.PathValue("id")
	err := s.Auth.RenamePasskey(r.Context(), p, id, f.Values["name"])
	if err == nil {
		s.redirect(w, r, "/account?done=passkey-renamed")
		return
	}
	fl := failureOf(err)
	if fl.err == nil || fl.status != http.StatusUnprocessableEntity {
		s.fail(w, r, err) // 404 for a passkey that is not theirs
		return
	}
	s.note(w, r, fl, err)
	msg := fl.message()
	if len(fl.err.Fields) > 0 {
		msg = fl.err.Fields[0].Message
	}
	s.renderAccount(w, r, fl.status, accountData{Profile: profileForm(p.User), Password: passwordForm(),
		rename: &passkeyRow{ID: id, Rename: f.Values["name"], Error: msg}})
}

// removePasskey is the plain form on each row of the list.
func (s *site) removePasskey(w http.ResponseWriter, r *http.Request) {
	if err := s.Auth.RemovePasskey(r.Context(), principal(r), r.PathValue("id")); err != nil {
		s.fail(w, r, err) // 404 for a passkey that is not theirs
		return
	}
	s.redirect(w, r, "/account?done=passkey-removed")
}

// The JSON endpoints the script calls. A ceremony's first step answers
// {"ceremony", "options"}: the handle to send back and the options for
// navigator.credentials; the second step answers {"location"}, where the
// page goes next. Every failure is {"message"} (and "fields" for a form's
// fields) with the status the pages' table gives its code, so that the
// script shows what went wrong; bad input is never a 500.

// ceremonyJSON is a first step's answer.
type ceremonyJSON struct {
	Ceremony string          `json:"ceremony"`
	Options  json.RawMessage `json:"options"`
}

// locationJSON is a second step's answer.
type locationJSON struct {
	Location string `json:"location"`
}

// problemJSON is a failure's answer.
type problemJSON struct {
	Message string            `json:"message"`
	Fields  []auth.FieldError `json:"fields,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// failJSON answers a flow's error, as fail does for a page.
func (s *site) failJSON(w http.ResponseWriter, r *http.Request, err error) {
	fl := failureOf(err)
	s.note(w, r, fl, err)
	p := problemJSON{Message: fl.message()}
	if fl.err != nil {
		p.Fields = fl.err.Fields
	}
	writeJSON(w, fl.status, p)
}

// readJSON reads a request body of exactly one JSON object, at most 1
// MiB, into v; a body that is not is answered (400, or 413) and reported
// false.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	err := dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("more than one JSON value")
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeJSON(w, http.StatusRequestEntityTooLarge, problemJSON{Message: "The request is too large: at most 1 MiB."})
	case err != nil:
		writeJSON(w, http.StatusBadRequest, problemJSON{Message: "The request could not be read: it must be one JSON object."})
	default:
		return true
	}
	return false
}

// requireLoginJSON is requireLogin for the script's calls: a visitor gets
// 401 and a message rather than the login page.
func (s *site) requireLoginJSON(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if principal(r) == nil {
			if err := unchecked(r); err != nil {
				s.failJSON(w, r, err)
				return
			}
			writeJSON(w, http.StatusUnauthorized, problemJSON{Message: "Your session has ended. Log in again to add a passkey."})
			return
		}
		next(w, r)
	})
}

func (s *site) beginPasskeyLogin(w http.ResponseWriter, r *http.Request) {
	o, err := s.Auth.BeginPasskeyLogin(r.Context(), s.client(r))
	if err != nil {
		s.failJSON(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ceremonyJSON{Ceremony: o.Ceremony, Options: o.Options})
}

// finishPasskeyLogin opens a new browser session as the login form does:
// any earlier one on this browser ends, and the page goes to next.
func (s *site) finishPasskeyLogin(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Ceremony   string          `json:"ceremony"`
		Credential json.RawMessage `json:"credential"`
		Remember   bool            `json:"remember"`
		Next       string          `json:"next"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	bs, err := s.Auth.LoginWithPasskey(r.Context(), in.Ceremony, in.Credential, in.Remember, s.client(r))
	if err != nil {
		s.failJSON(w, r, err)
		return
	}
	s.startSession(w, r, bs)
	writeJSON(w, http.StatusOK, locationJSON{Location: s.safeNext(in.Next)})
}

func (s *site) beginPasskeyRegistration(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name            string `json:"name"`
		CurrentPassword string `json:"current_password"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	o, err := s.Auth.BeginPasskeyRegistration(r.Context(), principal(r), in.Name, in.CurrentPassword)
	if err != nil {
		s.failJSON(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ceremonyJSON{Ceremony: o.Ceremony, Options: o.Options})
}

func (s *site) finishPasskeyRegistration(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Ceremony   string          `json:"ceremony"`
		Credential json.RawMessage `json:"credential"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	if _, err := s.Auth.FinishPasskeyRegistration(r.Context(), principal(r), in.Ceremony, in.Credential); err != nil {
		s.failJSON(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, locationJSON{Location: "/account?done=passkey-added"})
}
