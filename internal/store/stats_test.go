package store_test

import (
	"context"
	"testing"

	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/pgtest"
)

// TestPools: SQLite shows its single writer apart from its readers, and
// PostgreSQL its one pool with the configured size; a read shows up as a
// connection opened in the pool that serves reads.
func TestPools(t *testing.T) {
	tests := []struct {
		name  string
		url   func(testing.TB) string
		o     store.Options
		pools []string
		sizes []int // MaxOpenConnections of each; 0: not checked
	}{
		{"sqlite", sqliteURL, store.Options{}, []string{"write", "read"}, []int{1, 0}},
		{"postgres", pgtest.URL, store.Options{MaxOpen: 7}, []string{"read_write"}, []int{7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := store.OpenWith(context.Background(), tt.url(t), tt.o)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			if err := s.Ping(context.Background()); err != nil {
				t.Fatal(err)
			}
			pools := s.Pools()
			if len(pools) != len(tt.pools) {
				t.Fatalf("%d pools, want %v", len(pools), tt.pools)
			}
			for i, p := range pools {
				if p.Name != tt.pools[i] {
					t.Errorf("pool %d is %q, want %q", i, p.Name, tt.pools[i])
				}
				if tt.sizes[i] != 0 && p.Stats.MaxOpenConnections != tt.sizes[i] {
					t.Errorf("pool %q: at most %d connections, want %d", p.Name, p.Stats.MaxOpenConnections, tt.sizes[i])
				}
			}
			// Ping reads on the read pool, which keeps its connection.
			if last := pools[len(pools)-1]; last.Stats.OpenConnections < 1 {
				t.Errorf("pool %q has no open connection after a read: %+v", last.Name, last.Stats)
			}
		})
	}
}
