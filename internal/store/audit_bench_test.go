package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/latchkey/latchkey/internal/auth"
)

// BenchmarkListEvents reads a page of the audit log, by user, by type and
// over all, from a SQLite log of a thousand and of a million events: with
// the indexes, both sizes cost about the same (docs/performance.md). The
// million takes a minute to seed, so it only runs with -bench.
func BenchmarkListEvents(b *testing.B) {
	for _, n := range []int{1_000, 1_000_000} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			s := openSQLite(b)
			seedEvents(b, s, n)
			for name, q := range map[string]auth.EventQuery{
				"by user": {UserID: "user-7", Limit: 21},
				"by type": {Type: auth.EventLoginFailed, Limit: 21},
				"all":     {Limit: 21},
			} {
				b.Run(name, func(b *testing.B) {
					for b.Loop() {
						list, err := s.ListEvents(context.Background(), q)
						if err != nil || len(list) != 21 {
							b.Fatalf("%d events, %v", len(list), err)
						}
					}
				})
			}
		})
	}
}

// seedEvents writes n events, a second apart, over forty users and
// every type, in transactions of ten thousand.
func seedEvents(b *testing.B, s *Store, n int) {
	ctx := context.Background()
	start := time.Now().Add(-time.Duration(n) * time.Second)
	for i := 0; i < n; {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		var batch []auth.Event
		for ; i < n && len(batch) < 10_000; i++ {
			user := fmt.Sprintf("user-%d", i%40)
			batch = append(batch, auth.Event{ID: uuid.Must(uuid.NewV7()).String(), At: start.Add(time.Duration(i) * time.Second),
				Type: auth.EventTypes[i%len(auth.EventTypes)], ActorID: user, UserID: user, IP: "192.0.2.1", UserAgent: "bench",
				Details: map[string]string{"reason": "invalid_credentials"}})
		}
		if err := insertEvents(ctx, tx, batch); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}
