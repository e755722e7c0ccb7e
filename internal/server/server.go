// Package server composes Latchkey's HTTP surface: the JSON API (and later
// the pages) behind the middleware every request passes through.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/apidocs"
	"github.com/latchkey/latchkey/internal/web"
)

// Database is what the server asks of the store directly.
type Database interface {
	// Ping reports whether the database is reachable.
	Ping(ctx context.Context) error
	// Pin gives a request's context one shared check of the session cache
	// (store.Store.Pin).
	Pin(ctx context.Context) context.Context
}

// Deps are what the server needs.
type Deps struct {
	Log *slog.Logger
	DB  Database
	API api.Deps
	Web web.Deps
	// CORSOrigins are the SPA origins allowed to call the API.
	CORSOrigins []string
}

// New returns the root handler.
func New(d Deps) (http.Handler, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeStatus(w, http.StatusOK, "ok")
	})
	mux.Handle("GET /readyz", handleReady(d.DB))
	api.New(mux, d.API)
	if err := web.New(mux, d.Web); err != nil {
		return nil, err
	}
	docs := apidocs.Handler()
	mux.Handle("GET /docs", docs)
	mux.Handle("GET /docs/", docs)

	h, err := crossOrigin(d.API.Cookies, d.CORSOrigins, pinRequests(d.DB, mux))
	if err != nil {
		return nil, err
	}
	h = cors(d.CORSOrigins, h)
	h = headers(h)
	h = recoverPanics(d.Log, h)
	h = logRequests(d.Log, h)
	return h, nil
}

// handleReady answers 200 when the database answers within two seconds, so
// a load balancer stops sending traffic to an instance that cannot serve it.
func handleReady(db Database) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			writeStatus(w, http.StatusServiceUnavailable, "database unreachable")
			return
		}
		writeStatus(w, http.StatusOK, "ok")
	})
}

// pinRequests gives each request its own pin of the session cache, so
// that a page which reads the session and then the session list checks
// the database once.
func pinRequests(db Database, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(db.Pin(r.Context())))
	})
}

func writeStatus(w http.ResponseWriter, code int, status string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write([]byte(`{"status":"` + status + `"}` + "\n"))
}
