package userimport_test

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/userimport"
)

// recordingStore keeps no user: it records the batches it was given and
// the live heap while it had them.
type recordingStore struct {
	batches, users, largest int
	peakHeap                uint64
	measureEvery            int // batches; 0: never
}

func (r *recordingStore) ImportNewUsers(_ context.Context, users []*auth.User) (int, error) {
	r.batches++
	r.users += len(users)
	r.largest = max(r.largest, len(users))
	if r.measureEvery > 0 && r.batches%r.measureEvery == 0 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		r.peakHeap = max(r.peakHeap, m.HeapAlloc)
	}
	return len(users), nil
}

func (r *recordingStore) ImportTaken(_ context.Context, users []*auth.User) ([]bool, error) {
	return make([]bool, len(users)), nil
}

// generated is a pipe of n valid lines, made as they are read: the input
// itself takes no memory, and, not being seekable, is spooled.
type generated struct {
	n, next int
	hash    string
	buf     []byte
}

func (g *generated) Read(p []byte) (int, error) {
	for len(g.buf) < len(p) && g.next < g.n {
		g.buf = fmt.Appendf(g.buf, `{"username":"user%07d","email":"user%07d@example.com","password_hash":%q,"created_at":"2020-01-02T03:04:05Z"}`+"\n",
			g.next, g.next, g.hash)
		g.next++
	}
	if len(g.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	return n, nil
}

// TestImportMemoryIsBounded imports 100,000 lines, some 18 MB, from a
// pipe: the store never gets more than a batch at once, and the live heap
// measured while batches are written stays a fraction of the input.
// Holding the lines would need twice the bound; holding the users, five
// times.
func TestImportMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 100,000 lines")
	}
	const lines = 100_000
	in := &generated{n: lines, hash: loadVector(t, "django pbkdf2_sha256").Hash}
	s := &recordingStore{measureEvery: 20}
	sum, err := userimport.Import(context.Background(), s, in, userimport.Options{SpoolDir: t.TempDir()})
	if err != nil || sum != (userimport.Summary{Imported: lines}) {
		t.Fatalf("Import = %v, %v", sum, err)
	}
	if s.users != lines || s.largest > userimport.BatchSize {
		t.Errorf("the store got %d users, at most %d at once; want %d, at most %d", s.users, s.largest, lines, userimport.BatchSize)
	}
	const bound = 8 << 20
	if s.peakHeap == 0 || s.peakHeap > bound {
		t.Errorf("live heap up to %d bytes while importing; want at most %d", s.peakHeap, bound)
	}
	t.Logf("%d lines in %d batches, live heap at most %.1f MiB", lines, s.batches, float64(s.peakHeap)/(1<<20))
}
