package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
)

// TestPurgeWorksInBatches: with more dead rows than a batch holds, Purge
// goes on batch after batch until none are left, the store's own rate-limit
// buckets included.
func TestPurgeWorksInBatches(t *testing.T) {
	s := openSQLite(t)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	u := authtest.NewUser("alice", "alice@example.com", t0)
	authtest.NoError(t, s.CreateUser(ctx, u, nil))
	for i := range 7 {
		ss, rt := authtest.NewSession(u, auth.SessionAPI, t0, fmt.Sprint("h", i))
		authtest.NoError(t, s.CreateSession(ctx, ss, rt))
	}
	lim := s.IPLimiter(60)
	for i := range 5 {
		_, _, err := lim.Allow(ctx, fmt.Sprint("ip:192.0.2.", i), t0)
		authtest.NoError(t, err)
	}
	now := t0.Add(40 * 24 * time.Hour)
	n, err := s.purge(ctx, now, now, now, 2)
	authtest.NoError(t, err)
	authtest.Equal(t, n, int64(7+5))
	for _, table := range []string{"sessions", "refresh_tokens", "rate_limits"} {
		var left int
		authtest.NoError(t, s.r.QueryRow(`SELECT count(*) FROM `+table).Scan(&left))
		authtest.Equal(t, left, 0)
	}
}

// TestPurgeUsesTheIndexes guards the purge at scale: each batch must find
// its rows through an index, not by reading the whole table every time.
func TestPurgeUsesTheIndexes(t *testing.T) {
	s := openSQLite(t)
	for _, st := range purgeSteps(time.Now(), time.Now(), time.Now(), purgeBatch) {
		rows, err := s.r.Query(`EXPLAIN QUERY PLAN `+st.query, st.before)
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
		if joined := strings.Join(plan, "; "); strings.Contains(joined, "SCAN ") {
			t.Errorf("%s\nplan %q: want index searches only", st.query, joined)
		}
	}
}
