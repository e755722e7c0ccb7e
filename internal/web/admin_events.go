package web

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

// eventRow is one line of an admin's table of events, its text worked out
// here.
type eventRow struct {
	At      time.Time
	Type    string // the stable name, for whoever searches the API or logs for it
	What    string
	Details string
	// UserID is whom it concerns and UserName their username now; ""
	// when the account is gone (the log outlives it) or none was known.
	UserID, UserName string
	// Actor is who did it in words; ActorID links to them when they are
	// someone other than the user and still exist.
	Actor, ActorID        string
	IP, Device, UserAgent string
}

// eventRows puts a page of events into words for an admin, naming the
// users they concern and who did them. Each user is looked up once per
// page, by id: a page of the log mostly concerns a few people.
func (s *site) eventRows(ctx context.Context, list []*auth.Event) ([]eventRow, error) {
	names := make(map[string]string)
	name := func(id string) (string, error) {
		if id == "" {
			return "", nil
		}
		if n, ok := names[id]; ok {
			return n, nil
		}
		u, err := s.Auth.FindUser(ctx, id)
		switch {
		case err == nil:
			names[id] = u.Username
		case auth.ErrorCode(err) == auth.CodeNotFound:
			names[id] = "" // deleted since
		default:
			return "", err
		}
		return names[id], nil
	}
	devices := make(map[string]string, 4)
	rows := make([]eventRow, len(list))
	for i, e := range list {
		user, err := name(e.UserID)
		if err != nil {
			return nil, err
		}
		dev, ok := devices[e.UserAgent]
		if !ok {
			dev = deviceName(e.UserAgent)
			devices[e.UserAgent] = dev
		}
		row := eventRow{At: e.At, Type: string(e.Type), What: eventLabel(e), Details: eventDetails(e),
			UserID: e.UserID, UserName: user, IP: e.IP, UserAgent: e.UserAgent}
		if e.UserAgent != "" {
			row.Device = dev
		}
		switch {
		case e.Details["via"] == "command_line":
			row.Actor = "command line"
		case e.ActorID == "":
			row.Actor = "anonymous"
		case e.ActorID == e.UserID:
			row.Actor = "themselves"
		default:
			actor, err := name(e.ActorID)
			if err != nil {
				return nil, err
			}
			row.Actor, row.ActorID = actor, e.ActorID
			if actor == "" {
				row.Actor, row.ActorID = "a deleted user", ""
			}
		}
		rows[i] = row
	}
	return rows, nil
}

// eventDetails is an event's details as "key: value" pairs in a stable
// order, for admins, who may want the new address or the session id.
// They never hold a secret (auth.Event).
func eventDetails(e *auth.Event) string {
	if len(e.Details) == 0 {
		return ""
	}
	keys := make([]string, 0, len(e.Details))
	for k := range e.Details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k + ": " + e.Details[k])
	}
	return b.String()
}

// typeOption is one choice of the log's filter by type.
type typeOption struct {
	Value, Name string
	Selected    bool
}

type adminEventsData struct {
	Types     []typeOption
	Type      string // the filters as typed
	User      string
	TypeError string // why a filter cannot be used
	UserError string
	Filtered  *auth.User // the user the filter names, when they exist
	Events    []eventRow
	ShowUser  bool   // whether the events table names whom each concerns: yes, in the whole log
	Next      string // the next page's URL; "" on the last page
	First     string // the first page's URL, when this is not it
}

// adminEvents is the whole audit log, newest first, filtered by type and
// by user (named by id, e-mail or username, as the command line names
// one), a page at a time.
func (s *site) adminEvents(w http.ResponseWriter, r *http.Request) {
	query := r.URL.Query()
	d := adminEventsData{Type: query.Get("type"), User: strings.TrimSpace(query.Get("user")), ShowUser: true}
	typ := auth.EventType(d.Type)
	d.Types = make([]typeOption, 0, len(auth.EventTypes)+1)
	d.Types = append(d.Types, typeOption{Value: "", Name: "Every type", Selected: typ == ""})
	for _, t := range auth.EventTypes {
		d.Types = append(d.Types, typeOption{Value: string(t), Name: typeName(t) + " (" + string(t) + ")", Selected: t == typ})
	}
	if typ != "" && !typ.Known() {
		d.TypeError = "Choose one of the listed types."
	}
	userID := ""
	if d.User != "" {
		if d.UserError = badQueryText(d.User); d.UserError == "" {
			u, err := s.Auth.FindUser(r.Context(), d.User)
			switch {
			case err == nil:
				userID, d.Filtered = u.ID, u
			case auth.ErrorCode(err) == auth.CodeNotFound && auth.WellFormedID(d.User):
				userID = d.User // a deleted account: its events stay in the log
			case auth.ErrorCode(err) == auth.CodeNotFound:
				d.UserError = "No user has this id, e-mail or username."
			default:
				s.fail(w, r, err)
				return
			}
		}
	}
	if d.TypeError != "" || d.UserError != "" {
		s.render(w, r, http.StatusUnprocessableEntity, "admin_events", "Audit log", d)
		return
	}
	cursor := query.Get("cursor")
	events, next, err := s.Auth.EventsPage(r.Context(), userID, typ, cursor, adminPageSize)
	if auth.ErrorCode(err) == auth.CodeInvalid && cursor != "" { // a stale or edited cursor: start over
		cursor = ""
		events, next, err = s.Auth.EventsPage(r.Context(), userID, typ, "", adminPageSize)
	}
	if err == nil {
		d.Events, err = s.eventRows(r.Context(), events)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if next != "" {
		d.Next = pageURL("/admin/events", "type", d.Type, "user", d.User, "cursor", next)
	}
	if cursor != "" {
		d.First = pageURL("/admin/events", "type", d.Type, "user", d.User)
	}
	s.render(w, r, http.StatusOK, "admin_events", "Audit log", d)
}
