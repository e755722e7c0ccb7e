package main

import (
	"context"
	"fmt"
	"time"
)

// scale runs /me and login against two fresh servers, one with the run's
// users (1,000 by default) and one with -scale-users (1,000,000), in
// alternating slices; DESIGN.md's budget is a median latency within 1.2×.
func (b *bench) scale(ctx context.Context) ([]row, error) {
	small, err := b.startSeeded(ctx, "small", b.o.users)
	if err != nil {
		return nil, err
	}
	defer small.stop()
	t0 := time.Now()
	large, err := b.startSeeded(ctx, "large", b.o.scaleUsers)
	if err != nil {
		return nil, err
	}
	defer large.stop()
	seeded := time.Since(t0)

	var rows []row
	for _, srv := range []*server{small, large} {
		if err := srv.logIn(ctx, b.c, b.o.workers*4); err != nil {
			return nil, err
		}
	}
	me := func(srv *server) func(time.Duration) result {
		return func(d time.Duration) result {
			return load(ctx, b.c, b.o.workers, d, meRequest(srv.url, srv.tokens), is(200))
		}
	}
	meSmall, meLarge, _ := interleave(b.o.duration, me(small), me(large))
	rows = append(rows, b.scaleRows("GET /api/users/me", meSmall, meLarge, small, large)...)
	login := func(srv *server) func(time.Duration) result {
		req := loginRequest(srv.url, srv.users)
		return func(d time.Duration) result { return load(ctx, b.c, b.pool*2, d, req, is(200)) }
	}
	loginSmall, loginLarge, _ := interleave(b.o.duration, login(small), login(large))
	rows = append(rows, b.scaleRows("login", loginSmall, loginLarge, small, large)...)
	rows[len(rows)-1].scenario += fmt.Sprintf(" (seeded in %s)", seeded.Round(time.Second))
	return rows, nil
}

func (b *bench) scaleRows(name string, small, large result, ss, ls *server) []row {
	ratio := float64(large.quantile(0.5)) / float64(max(small.quantile(0.5), 1))
	return []row{
		{scenario: fmt.Sprintf("scale: %s, %d users", name, ss.users), res: small, rss: ss.peakRSS(), ok: small.errors == 0},
		{scenario: fmt.Sprintf("scale: %s, %d users", name, ls.users), res: large, rss: ls.peakRSS(), ratio: ratio,
			baseline: "p50 of the small one", budget: "p50 ≤ 1.2×", ok: ratio <= 1.2 && large.errors == 0},
	}
}
