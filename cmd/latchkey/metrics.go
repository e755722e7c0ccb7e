package main

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/metrics"
	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/server"
	"github.com/latchkey/latchkey/internal/store"
)

var _ server.RequestObserver = (*metrics.Metrics)(nil)

// newMetrics makes the server's metrics and has them read, at each
// scrape, the hashing pool, the database's connection pools and group
// commit, and the mail outbox.
func newMetrics(db *store.Store, pool *password.Pool) *metrics.Metrics {
	m := metrics.New()
	m.WatchHashing(pool.Stats)
	m.WatchDatabase(db.Pools)
	m.WatchGroupCommit(db.GroupCommits)
	m.WatchMail(db.MailBacklog)
	return m
}

// newMetricsServer serves GET /metrics, on the metrics' own listener.
// Its clients are scrapers, whose requests are small and whose answers
// take a database read at most (bounded by the outbox's own deadline), so
// its timeouts are the public server's, shorter where they can be.
func newMetricsServer(m *metrics.Metrics, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           m.Handler(log),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
