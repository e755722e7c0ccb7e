package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/blog"
	"github.com/latchkey/latchkey/internal/clientip"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/forwardauth"
	"github.com/latchkey/latchkey/internal/hosts"
	"github.com/latchkey/latchkey/internal/metrics"
	"github.com/latchkey/latchkey/internal/outbox"
	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/seal"
	"github.com/latchkey/latchkey/internal/server"
	"github.com/latchkey/latchkey/internal/sessioncookie"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
	"github.com/latchkey/latchkey/internal/web"
)

// shutdownTimeout bounds how long in-flight requests may run after a
// SIGINT or SIGTERM.
const shutdownTimeout = 15 * time.Second

// purgeEvery is how often the server deletes the rows that can no longer
// matter (auth.Service.Purge). A run that finds none costs a few indexed
// statements; one a minute keeps the tables a flood writes to (login
// attempts, rate limits) from growing for long.
const purgeEvery = time.Minute

func (env *environment) serve(ctx context.Context, args []string) error {
	fs, cf := env.flags("serve")
	cfg, err := env.parse(fs, cf, args)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("serve takes no arguments, got %q", fs.Arg(0))
	}
	log := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))

	db, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()

	// Listen before building the handlers, so that they see the real
	// address when any free port (":0") was asked for.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if cfg.BaseURL.Port() == "0" {
		// Asked for any free port: the base URL names the one we got.
		cfg.BaseURL.Host = ln.Addr().String()
	}
	var mln net.Listener // the metrics' own listener; nil: no metrics
	if cfg.MetricsAddr != "" {
		if mln, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			ln.Close()
			return fmt.Errorf("listen for metrics: %w", err)
		}
	}

	tokens, err := newTokens(ctx, cfg, db)
	if err != nil {
		return err
	}
	go tokens.Run(ctx) // picks up key rotations made by `latchkey keys rotate` or other instances

	transport, err := newTransport(cfg, log)
	if err != nil {
		return err
	}
	pool := newHashPool(cfg)
	var meter *metrics.Metrics // nil: no metrics
	if mln != nil {
		meter = newMetrics(db, pool)
	}
	// The service tells the sender when it queues mail; the sender asks the
	// service to complete the requests it delivers.
	var sender *outbox.Sender
	parts := serverParts{tokens: tokens, pool: pool, mailQueued: func() { sender.Wake() }}
	sendOpts := outbox.Options{}
	if meter != nil {
		parts.meter = meter
		sendOpts.Attempted = meter.MailAttempted
	}
	svc := newService(cfg, db, parts)
	if !svc.PasskeysOn() {
		log.Info("passkeys are off: WebAuthn needs a base URL whose host is a name, not an IP address", "base_url", cfg.BaseURL.String())
	}
	sender = outbox.New(db, outbox.Post(newComposer(cfg), transport, svc.ResolveMail), log, time.Now, sendOpts)
	sendCtx, stopSending := context.WithCancel(ctx)
	sending := make(chan struct{})
	go func() { sender.Run(sendCtx); close(sending) }()
	// Stopped after the HTTP server (and before the database closes), so
	// that mail a last request queued is delivered or left in the outbox
	// for the next start.
	defer func() { stopSending(); <-sending }()
	go purgeLoop(ctx, svc, log, purgeEvery)
	posts := blog.NewService(blog.Deps{Store: db, Accounts: svc, Now: time.Now})
	cookies := sessioncookie.New(cfg.BaseURL, cfg.CookieDomain)
	ips := clientip.Resolver{Trusted: cfg.TrustedProxies}
	// Where a login may send the browser back to: built after listening,
	// as the base URL names the port only then when any was asked for.
	returns := hosts.NewList(cfg.BaseURL, cfg.ForwardAuthHosts)
	deps := server.Deps{
		Log:         log,
		DB:          db,
		CORSOrigins: cfg.CORSOrigins,
		API: api.Deps{
			Auth:       svc,
			Blog:       posts,
			Log:        log,
			ClientIP:   ips,
			JWKS:       tokens.JWKS,
			JWKSMaxAge: tokens.JWKSMaxAge(),
			BaseURL:    cfg.BaseURL.String(),
			Cookies:    cookies,
		},
		Web:         web.Deps{Auth: svc, Blog: posts, Log: log, ClientIP: ips, Cookies: cookies, Hosts: returns},
		ForwardAuth: forwardauth.Deps{Auth: svc, Log: log, ClientIP: ips, Cookies: cookies, BaseURL: cfg.BaseURL, Hosts: returns},
	}
	if meter != nil {
		deps.Requests = meter
	}
	handler, err := server.New(deps)
	if err != nil {
		return err
	}
	// The server's own timeouts bound what a client can hold; the waits
	// inside a request are bounded where they happen (each database call
	// by LATCHKEY_DATABASE_TIMEOUT, at most 30s; a hashing slot by
	// LATCHKEY_HASH_QUEUE_TIMEOUT, at most 30s). The headers must come
	// within 10s (slowloris); the whole request, a slow client's body
	// included, within 30s, which the small bodies we accept leave ample.
	// The answer must be written within a minute of the headers, which
	// covers a request that waited the longest for a hashing slot and then
	// the longest for the database, so that its 503 is still written and
	// not cut off. An idle keep-alive connection is closed after 2m.
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL.String(), "database", redactedDB(cfg))

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	// The metrics listener starts and stops with the server: it is shut
	// down after it, so that a scrape can still watch the last requests
	// drain.
	var msrv *http.Server
	metricsServed := make(chan error, 1)
	if mln != nil {
		msrv = newMetricsServer(meter, log)
		go func() { metricsServed <- msrv.Serve(mln) }()
		log.Info("serving metrics", "addr", mln.Addr().String())
		if env.metricsListening != nil {
			env.metricsListening(mln.Addr().String())
		}
	}
	if env.listening != nil {
		env.listening(ln.Addr().String())
	}
	var failed error
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case err := <-metricsServed:
		failed = fmt.Errorf("serve metrics: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	if msrv != nil && failed == nil {
		if err := msrv.Shutdown(sctx); err != nil {
			return fmt.Errorf("shutdown metrics: %w", err)
		}
		if err := <-metricsServed; !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve metrics: %w", err)
		}
	}
	if failed != nil {
		return failed
	}
	log.Info("stopped")
	return nil
}

// purgeLoop purges at once, then every interval, until ctx ends. A failed
// run is retried at the next tick: nothing is lost by waiting.
func purgeLoop(ctx context.Context, svc *auth.Service, log *slog.Logger, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		n, err := svc.Purge(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("purge failed; retrying in a while", "err", err, "retry_in", every)
		case n > 0:
			log.Info("purged expired and revoked rows", "rows", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// newTokens loads (or, on first start, creates) the signing keys.
func newTokens(ctx context.Context, cfg *config.Config, db *store.Store) (*token.Manager, error) {
	m, err := token.New(ctx, db, token.Options{
		Alg:        cfg.JWTAlg,
		Secret:     []byte(cfg.JWTSecret.Reveal()),
		MasterKey:  cfg.MasterKeyBytes(),
		Issuer:     cfg.BaseURL.String(),
		Audience:   cfg.BaseURL.String(),
		TTL:        cfg.AccessTokenTTL,
		JWKSMaxAge: cfg.JWKSMaxAge,
		Now:        time.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	return m, nil
}

// serverParts are what the server gives the account flows beyond the
// settings; the other commands give none (the zero value).
type serverParts struct {
	tokens     auth.AccessTokens // nil: the token flows are unavailable
	pool       *password.Pool    // the hashing pool; nil: one made from the settings
	mailQueued func()            // told when a flow queues mail (the sender); nil: none
	meter      auth.Meter        // counts the flows' outcomes (the metrics); nil: none
}

// newHashPool is the hashing pool the settings ask for.
func newHashPool(cfg *config.Config) *password.Pool {
	return password.NewPool(cfg.HashConcurrency, cfg.HashQueueTimeout)
}

// newService builds the account flows from the settings, with what the
// server adds to them in p.
//
// The per-IP budget lives in memory on SQLite (one machine, one process)
// and in the database on PostgreSQL, where several instances share it.
func newService(cfg *config.Config, db *store.Store, p serverParts) *auth.Service {
	if p.pool == nil {
		p.pool = newHashPool(cfg)
	}
	params := password.Params{MemoryKiB: cfg.Argon2MemoryKiB, Time: cfg.Argon2Time, Threads: cfg.Argon2Threads}
	hasher := password.NewHasher(params, p.pool)
	var limiter auth.Limiter
	if _, sqlite := cfg.SQLitePath(); cfg.RateLimitPerIP > 0 && sqlite {
		limiter = auth.NewMemoryLimiter(cfg.RateLimitPerIP)
	} else if cfg.RateLimitPerIP > 0 {
		limiter = db.IPLimiter(cfg.RateLimitPerIP)
	}
	return auth.NewService(auth.Deps{Store: db, Hasher: hasher, Limiter: limiter, Tokens: p.tokens, Now: time.Now,
		MailQueued: p.mailQueued, Meter: p.meter, Secrets: secretsBox(cfg)}, auth.Options{
		PasswordMinLength:    cfg.PasswordMinLength,
		RefreshTokenTTL:      cfg.RefreshTokenTTL,
		SessionAbsoluteTTL:   cfg.SessionAbsoluteTTL,
		SessionIdleTTL:       cfg.SessionIdleTTL,
		LoginLinks:           cfg.LoginLinks,
		AuditRetention:       cfg.AuditRetention,
		RequireVerifiedEmail: cfg.RequireVerifiedEmail,
		IntrospectionClients: introspectionClients(cfg),
		TOTPIssuer:           cfg.BaseURL.Host,
		BaseURL:              cfg.BaseURL,
	})
}

// secretsBox seals secrets at rest with the master key; nil without one.
func secretsBox(cfg *config.Config) *seal.Box {
	key := cfg.MasterKeyBytes()
	if key == nil {
		return nil
	}
	box, err := seal.New(key)
	if err != nil {
		// The settings refuse a master key that is not 32 bytes.
		panic(fmt.Sprintf("master key: %v", err))
	}
	return box
}

// introspectionClients are LATCHKEY_INTROSPECTION_CLIENTS as the flows
// take them.
func introspectionClients(cfg *config.Config) []auth.IntrospectionClient {
	cs := make([]auth.IntrospectionClient, len(cfg.IntrospectionClients))
	for i, c := range cfg.IntrospectionClients {
		cs[i] = auth.IntrospectionClient{Name: c.Name, Secret: c.Secret.Reveal()}
	}
	return cs
}

func redactedDB(cfg *config.Config) string {
	if p, ok := cfg.SQLitePath(); ok {
		return "sqlite:" + p
	}
	return "postgres"
}

func (env *environment) migrate(ctx context.Context, args []string) error {
	fs, cf := env.flags("migrate")
	cfg, err := env.parse(fs, cf, args)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("migrate takes no arguments")
	}
	db, err := openDatabase(ctx, cfg, quiet) // Open migrates
	if err != nil {
		return err
	}
	if m := db.Migrated(); m.Applied > 0 {
		fmt.Fprintf(env.stdout, "applied %d migrations, now at version %d\n", m.Applied, m.Version)
	} else {
		fmt.Fprintf(env.stdout, "up to date at version %d\n", m.Version)
	}
	return db.Close()
}
