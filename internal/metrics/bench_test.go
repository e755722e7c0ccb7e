package metrics_test

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/metrics"
)

// BenchmarkObserveRequest is the cost every request pays for its series;
// it should allocate nothing once the series exists.
func BenchmarkObserveRequest(b *testing.B) {
	m := metrics.New()
	for _, p := range []string{"GET /api/users/me", "GET /api/posts", "POST /api/token", "GET /{$}", ""} {
		m.ObserveRequest(p, 200, time.Millisecond)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.ObserveRequest("GET /api/users/me", 200, 300*time.Microsecond)
		}
	})
}

// TestObserveRequestDoesNotAllocate: once a route's series exists, a
// request costs the garbage collector nothing.
func TestObserveRequestDoesNotAllocate(t *testing.T) {
	m := metrics.New()
	pattern := "GET /api/users/me"
	m.ObserveRequest(pattern, 200, time.Millisecond)
	if n := testing.AllocsPerRun(100, func() { m.ObserveRequest(pattern, 200, time.Millisecond) }); n != 0 {
		t.Fatalf("%v allocations a request", n)
	}
}
