package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/store/pgtest"
)

// eventQueries are the shapes of the audit log's reads: a user's own
// activity, the log by type, the whole log, and a later page of each.
func eventQueries() map[string]auth.EventQuery {
	after := &auth.PageCursor{CreatedAt: time.Now(), ID: "01900000-0000-7000-8000-000000000000"}
	return map[string]auth.EventQuery{
		"by user":          {UserID: "u1", Limit: 21},
		"by user, later":   {UserID: "u1", After: after, Limit: 21},
		"by type":          {Type: auth.EventLoginFailed, Limit: 21},
		"by type, later":   {Type: auth.EventLoginFailed, After: after, Limit: 21},
		"everything":       {Limit: 21},
		"everything later": {After: after, Limit: 21},
	}
}

// wantIndex is the index that must serve a query shape.
func wantIndex(q auth.EventQuery) string {
	switch {
	case q.UserID != "":
		return "audit_events_user"
	case q.Type != "":
		return "audit_events_type"
	}
	return "audit_events_at"
}

// TestEventsQueriesUseTheIndexes guards the audit log at a million rows on
// SQLite: every read walks an index in the list's order and stops at the
// page's end, with no scan of the table and no sort of what it found.
func TestEventsQueriesUseTheIndexes(t *testing.T) {
	s := openSQLite(t)
	for name, q := range eventQueries() {
		query, args := eventsQuery(q)
		rows, err := s.r.Query(`EXPLAIN QUERY PLAN `+query, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		joined := strings.Join(plan, "; ")
		if !strings.Contains(joined, "USING INDEX "+wantIndex(q)) || strings.Contains(joined, "TEMP B-TREE") {
			t.Errorf("%s: plan %q, want %s walked in order", name, joined, wantIndex(q))
		}
	}
}

// TestEventsQueriesUseTheIndexesOnPostgres is the same on PostgreSQL. An
// empty table is cheapest to scan, so sequential scans are switched off:
// the question is whether the index can give the order, not whether the
// planner prefers it today.
func TestEventsQueriesUseTheIndexesOnPostgres(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conn, err := s.r.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	for name, q := range eventQueries() {
		query, args := eventsQuery(q)
		rows, err := conn.QueryContext(ctx, `EXPLAIN `+query, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		joined := strings.Join(plan, "\n")
		if !strings.Contains(joined, wantIndex(q)) || strings.Contains(joined, "Sort") {
			t.Errorf("%s: plan\n%s\nwant %s walked in order, no sort", name, joined, wantIndex(q))
		}
	}
}
