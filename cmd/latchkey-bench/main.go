// Command latchkey-bench measures Latchkey against the budgets of
// DESIGN.md: it builds and starts the real binary on 127.0.0.1 with a
// temporary database (SQLite, or PostgreSQL from the local binaries),
// seeds users through the store, runs bounded scenarios with a small
// closed-loop load generator, and measures in the same run, in slices
// alternating with the scenarios, the baselines the budgets are ratios of:
// a bare net/http server (in a process of its own) writing the same
// answer, and the raw argon2id rate on the same cores. It prints one
// table and exits 1 when a budget is missed (not with -short, which is a
// smoke test for CI).
//
//	go run ./cmd/latchkey-bench                     (make bench)
//	go run ./cmd/latchkey-bench -database postgres
//	go run ./cmd/latchkey-bench -run 'me|flood'     (some scenarios)
//	go run ./cmd/latchkey-bench -short              (CI)
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"time"
)

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 8*time.Second, "how long each scenario runs")
	flag.IntVar(&o.users, "users", 1000, "users seeded in the database")
	// Throughput is what a server serves when it is the limit: with too
	// few clients, a server whose requests wait for a database round trip
	// leaves the CPU idle (docs/performance.md).
	flag.IntVar(&o.workers, "workers", 16*runtime.NumCPU(), "concurrent clients per scenario")
	flag.BoolVar(&o.short, "short", false, "a quick smoke run: one-second scenarios, budgets reported but not enforced")
	flag.IntVar(&o.scaleUsers, "scale-users", 1_000_000, "users in the large database of the scale scenario")
	flag.StringVar(&o.run, "run", ".", "run only the scenarios whose name matches this `regexp` (me, refresh, login, register, page, forward, flood, cheap, scale)")
	flag.StringVar(&o.database, "database", "sqlite", "sqlite, or postgres: a throwaway cluster from the local initdb/postgres, with fsync on")
	flag.StringVar(&o.bin, "bin", "", "the latchkey binary to measure (default: build ./cmd/latchkey)")
	bareFile := flag.String("bare", "", "internal: serve the response recorded in this file, as the baseline")
	flag.Parse()
	if *bareFile != "" {
		if err := serveBare(*bareFile, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "latchkey-bench -bare:", err)
			os.Exit(2)
		}
		return
	}
	if o.short {
		o.duration, o.users, o.scaleUsers = time.Second, 200, 20_000
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ok, err := run(ctx, o, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "latchkey-bench:", err)
		os.Exit(2)
	}
	if !ok && !o.short {
		fmt.Fprintln(os.Stderr, "latchkey-bench: a budget was missed")
		os.Exit(1)
	}
}

type options struct {
	duration   time.Duration
	users      int
	workers    int
	short      bool
	bin        string
	run        string
	scaleUsers int
	database   string
}
