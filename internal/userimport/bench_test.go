package userimport_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store/storetest"
	"github.com/latchkey/latchkey/internal/userimport"
)

var benchLines = flag.Int("import.lines", 100_000, "lines BenchmarkImport imports")

// BenchmarkImport imports generated lines from a pipe (so spooled, the
// slower way in) into a fresh database, and reports users written a
// second and the process's peak resident memory. The design's figure is
// a million lines on SQLite:
//
//	go test -run '^$' -bench Import/sqlite -benchtime 1x ./internal/userimport/ -import.lines 1000000
func BenchmarkImport(b *testing.B) {
	for _, backend := range backends {
		b.Run(backend, func(b *testing.B) {
			hash := loadVector(b, "django pbkdf2_sha256").Hash
			var elapsed time.Duration
			for b.Loop() {
				b.StopTimer()
				s := storetest.OpenBackend(b, backend)
				resetPeakRSS()
				b.StartTimer()
				start := time.Now()
				sum, err := userimport.Import(context.Background(), s, &generated{n: *benchLines, hash: hash},
					userimport.Options{SpoolDir: b.TempDir()})
				elapsed += time.Since(start)
				if err != nil || sum.Imported != *benchLines {
					b.Fatalf("Import = %v, %v", sum, err)
				}
			}
			b.ReportMetric(float64(*benchLines*b.N)/elapsed.Seconds(), "users/s")
			if rss := peakRSS(); rss > 0 {
				b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
			}
		})
	}
}

// resetPeakRSS starts Linux's count of the peak resident set afresh, so
// that what the database was opened with, or an earlier run, is not
// counted; elsewhere it does nothing.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS is the process's peak resident set in bytes, 0 where Linux's
// /proc is not there.
func peakRSS() int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	_, rest, ok := bytes.Cut(status, []byte("VmHWM:"))
	if !ok {
		return 0
	}
	fields := bytes.Fields(rest)
	if len(fields) < 2 {
		return 0
	}
	kib, err := strconv.ParseInt(string(fields[0]), 10, 64)
	if err != nil {
		return 0
	}
	return kib << 10
}
