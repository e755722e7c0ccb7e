package authtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

func auditTests() []storeTest {
	return []storeTest{
		{"EventsRoundTripAndFilter", testEventsFilter},
		{"EventsPageNewestFirst", testEventsPaging},
		{"EventsGoWithTheirChange", testEventsAtomic},
		{"PurgeDropsOldEvents", testPurgeEvents},
	}
}

func newEvent(t auth.EventType, userID string, at time.Time) auth.Event {
	return auth.Event{ID: newID(), At: at, Type: t, ActorID: userID, UserID: userID}
}

// testEventsFilter: every field comes back as written (details included,
// empty ones as empty), and each filter selects exactly its rows.
func testEventsFilter(t *testing.T, s auth.Store) {
	ctx := context.Background()
	full := auth.Event{ID: newID(), At: t0, Type: auth.EventLoginFailed, UserID: "u1", SessionID: "s1",
		IP: "192.0.2.1", UserAgent: "curl/8", Details: map[string]string{"reason": "throttled", "note": "ünïcode"}}
	anon := auth.Event{ID: newID(), At: t0.Add(time.Second), Type: auth.EventLoginFailed}
	other := newEvent(auth.EventLogout, "u1", t0.Add(2*time.Second))
	NoError(t, s.RecordEvents(ctx, full, anon, other))

	all, err := s.ListEvents(ctx, auth.EventQuery{Limit: 10})
	NoError(t, err)
	if len(all) != 3 || all[0].ID != other.ID || all[1].ID != anon.ID || all[2].ID != full.ID {
		t.Fatalf("all events, newest first: %+v", all)
	}
	got := all[2]
	if got.Type != full.Type || !got.At.Equal(full.At) || got.ActorID != "" || got.UserID != "u1" || got.SessionID != "s1" ||
		got.IP != full.IP || got.UserAgent != full.UserAgent || got.Details["reason"] != "throttled" || got.Details["note"] != "ünïcode" {
		t.Fatalf("read back %+v, wrote %+v", got, full)
	}
	if a := all[1]; a.UserID != "" || a.ActorID != "" || a.SessionID != "" || len(a.Details) != 0 {
		t.Fatalf("an anonymous event read back as %+v", a)
	}

	byUser, err := s.ListEvents(ctx, auth.EventQuery{UserID: "u1", Limit: 10})
	NoError(t, err)
	EqualSlices(t, ids(byUser), []string{other.ID, full.ID})
	byType, err := s.ListEvents(ctx, auth.EventQuery{Type: auth.EventLoginFailed, Limit: 10})
	NoError(t, err)
	EqualSlices(t, ids(byType), []string{anon.ID, full.ID})
	both, err := s.ListEvents(ctx, auth.EventQuery{UserID: "u1", Type: auth.EventLogout, Limit: 10})
	NoError(t, err)
	EqualSlices(t, ids(both), []string{other.ID})
	none, err := s.ListEvents(ctx, auth.EventQuery{UserID: "nobody", Limit: 10})
	NoError(t, err)
	Equal(t, len(none), 0)
}

func ids(events []*auth.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.ID)
	}
	return out
}

// testEventsPaging: pages after a cursor follow on exactly, events of the
// same instant included (ordered by id).
func testEventsPaging(t *testing.T, s auth.Store) {
	ctx := context.Background()
	var want []string
	for i := range 7 {
		e := newEvent(auth.EventLoginSucceeded, "u1", t0.Add(time.Duration(i/2)*time.Second)) // pairs share an instant
		NoError(t, s.RecordEvents(ctx, e))
		want = append([]string{e.ID}, want...)
	}
	var got []string
	q := auth.EventQuery{UserID: "u1", Limit: 3}
	for range 5 {
		page, err := s.ListEvents(ctx, q)
		NoError(t, err)
		got = append(got, ids(page)...)
		if len(page) < q.Limit {
			break
		}
		last := page[len(page)-1]
		q.After = &auth.PageCursor{CreatedAt: last.At, ID: last.ID}
	}
	EqualSlices(t, got, want)
}

// testEventsAtomic: an event goes with its change, and not without it: a
// change that fails (a taken name) records nothing.
func testEventsAtomic(t *testing.T, s auth.Store) {
	ctx := context.Background()
	u := NewUser("alice", "alice@example.com", t0)
	NoError(t, s.CreateUser(ctx, u, nil, newEvent(auth.EventUserRegistered, u.ID, t0)))
	dup := NewUser("ALICE", "other@example.com", t0)
	if err := s.CreateUser(ctx, dup, nil, newEvent(auth.EventUserRegistered, dup.ID, t0)); !errors.Is(err, auth.ErrUsernameTaken) {
		t.Fatalf("duplicate: %v", err)
	}
	ss, rt := NewSession(u, auth.SessionAPI, t0, "a1")
	NoError(t, s.CreateSession(ctx, ss, rt, newEvent(auth.EventLoginSucceeded, u.ID, t0.Add(time.Second))))
	browser, _ := NewSession(u, auth.SessionBrowser, t0, "")
	browser.TokenHash = "cookie-hash"
	NoError(t, s.CreateSession(ctx, browser, nil, newEvent(auth.EventLoginSucceeded, u.ID, t0.Add(2*time.Second))))
	NoError(t, s.RevokeSession(ctx, u.ID, ss.ID, t0, newEvent(auth.EventLogout, u.ID, t0.Add(3*time.Second))))
	// Revoked already: nothing changes, nothing is recorded.
	NoError(t, s.RevokeSession(ctx, u.ID, ss.ID, t0, newEvent(auth.EventLogout, u.ID, t0.Add(4*time.Second))))
	if err := s.RevokeSession(ctx, u.ID, newID(), t0, newEvent(auth.EventLogout, u.ID, t0.Add(4*time.Second))); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("revoking no session: %v", err)
	}
	NoError(t, s.RevokeUserSessions(ctx, u.ID, "", t0, newEvent(auth.EventSessionRevoked, u.ID, t0.Add(5*time.Second))))
	NoError(t, s.ApplyChange(ctx, auth.Change{UserID: u.ID, At: t0, Username: "Alice2",
		Events: []auth.Event{newEvent(auth.EventUserUpdated, u.ID, t0.Add(6*time.Second))}}))
	other := mustUser(t, s, "bob")
	Code(t, s.ApplyChange(ctx, auth.Change{UserID: u.ID, At: t0, Username: "BOB",
		Events: []auth.Event{newEvent(auth.EventUserUpdated, u.ID, t0.Add(7*time.Second))}}), auth.CodeUsernameTaken)
	NoError(t, s.DeleteUser(ctx, other.ID, newEvent(auth.EventUserDeleted, other.ID, t0.Add(8*time.Second))))
	if err := s.DeleteUser(ctx, other.ID, newEvent(auth.EventUserDeleted, other.ID, t0.Add(9*time.Second))); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("deleting a deleted user: %v", err)
	}

	got, err := s.ListEvents(ctx, auth.EventQuery{Limit: 20})
	NoError(t, err)
	var types []auth.EventType
	for _, e := range got {
		types = append(types, e.Type)
	}
	EqualSlices(t, types, []auth.EventType{auth.EventUserDeleted, auth.EventUserUpdated, auth.EventSessionRevoked,
		auth.EventLogout, auth.EventLoginSucceeded, auth.EventLoginSucceeded, auth.EventUserRegistered})
	// The log outlives the account it is about.
	gone, err := s.ListEvents(ctx, auth.EventQuery{UserID: other.ID, Limit: 5})
	NoError(t, err)
	Equal(t, len(gone), 1)
}

// testPurgeEvents: events older than the cut go, the rest stay.
func testPurgeEvents(t *testing.T, s auth.Store) {
	ctx := context.Background()
	old := newEvent(auth.EventLogout, "u1", t0)
	recent := newEvent(auth.EventLogout, "u1", t0.Add(48*time.Hour))
	NoError(t, s.RecordEvents(ctx, old, recent))
	now := t0.Add(72 * time.Hour)
	_, err := s.Purge(ctx, now, now, t0.Add(24*time.Hour))
	NoError(t, err)
	left, err := s.ListEvents(ctx, auth.EventQuery{Limit: 5})
	NoError(t, err)
	EqualSlices(t, ids(left), []string{recent.ID})
}
