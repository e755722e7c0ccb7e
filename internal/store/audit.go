package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/latchkey/latchkey/internal/auth"
)

const eventColumns = `id, at, type, actor_id, user_id, session_id, ip, user_agent, details`

// insertEvents records events inside the transaction of the change they
// record.
func insertEvents(ctx context.Context, tx *sql.Tx, events []auth.Event) error {
	for _, e := range events {
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_events (`+eventColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, eventValues(e)...); err != nil {
			return err
		}
	}
	return nil
}

// eventValues are e's values for eventColumns.
func eventValues(e auth.Event) []any {
	details := "{}"
	if len(e.Details) > 0 {
		b, _ := json.Marshal(e.Details) // a map of strings always marshals
		details = string(b)
	}
	return []any{e.ID, e.At, string(e.Type), nullString(e.ActorID), nullString(e.UserID), nullString(e.SessionID),
		e.IP, e.UserAgent, details}
}

// RecordEvents implements auth.Store.
func (s *Store) RecordEvents(ctx context.Context, events ...auth.Event) error {
	if len(events) == 0 {
		return nil
	}
	return s.inTx(ctx, "record events", func(tx *sql.Tx) error { return insertEvents(ctx, tx, events) })
}

// ListEvents implements auth.Store.
func (s *Store) ListEvents(ctx context.Context, q auth.EventQuery) ([]*auth.Event, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	query, args := eventsQuery(q)
	st, err := s.prepared(ctx, query)
	if err != nil {
		return nil, s.classify(ctx, "list events", err)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, s.classify(ctx, "list events", err)
	}
	list, err := collect(rows, scanEvent)
	return list, s.classify(ctx, "list events", err)
}

// eventsQuery is ListEvents' statement. Each filter has an index that
// gives the rows in the list's order (migration 00013), so a page costs
// the same at a million events as at ten: TestEventsQueriesUseTheIndexes.
func eventsQuery(q auth.EventQuery) (string, []any) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.UserID != "" {
		where = append(where, "user_id = "+arg(q.UserID))
	}
	if q.Type != "" {
		where = append(where, "type = "+arg(string(q.Type)))
	}
	if q.After != nil {
		at, id := arg(q.After.CreatedAt), arg(q.After.ID)
		where = append(where, "(at < "+at+" OR (at = "+at+" AND id < "+id+"))")
	}
	query := `SELECT ` + eventColumns + ` FROM audit_events`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	return query + ` ORDER BY at DESC, id DESC LIMIT ` + arg(q.Limit), args
}

func scanEvent(row scanner) (*auth.Event, error) {
	var (
		e                      auth.Event
		typ, details           string
		actor, user, sessionID sql.NullString
	)
	if err := row.Scan(&e.ID, &e.At, &typ, &actor, &user, &sessionID, &e.IP, &e.UserAgent, &details); err != nil {
		return nil, err
	}
	e.At, e.Type = e.At.UTC(), auth.EventType(typ)
	e.ActorID, e.UserID, e.SessionID = actor.String, user.String, sessionID.String
	if details != "{}" {
		if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
			return nil, err
		}
	}
	return &e, nil
}
