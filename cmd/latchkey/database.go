package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/store"
)

// databaseWait bounds how long start-up waits for a database that does not
// answer yet (a PostgreSQL container starting beside us, say).
const databaseWait = 30 * time.Second

// openDatabase opens and migrates the configured database, waiting up to
// databaseWait while it is unreachable, and saying so once in the log.
func openDatabase(ctx context.Context, cfg *config.Config, log *slog.Logger) (*store.Store, error) {
	deadline := time.Now().Add(databaseWait)
	for attempt := 0; ; attempt++ {
		db, err := store.OpenWith(ctx, cfg.DatabaseURL, store.Options{
			MaxOpen: cfg.DatabaseMaxConns, Timeout: cfg.DatabaseTimeout,
			CreateDir: cfg.DatabaseURL == config.DefaultDatabaseURL, // see DefaultDatabaseURL
		})
		if err == nil {
			if attempt > 0 {
				log.Info("database reachable")
			}
			return db, nil
		}
		if !errors.Is(err, auth.ErrUnavailable) || time.Now().After(deadline) {
			return nil, err
		}
		if attempt == 0 {
			log.Warn("waiting for the database", "database", redactedDB(cfg), "for_at_most", databaseWait, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// quiet is the logger of subcommands other than serve, which log nothing.
var quiet = slog.New(slog.DiscardHandler)
