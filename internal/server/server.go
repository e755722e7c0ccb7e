// Package server composes Latchkey's HTTP surface: the JSON API, the pages
// and the endpoint for reverse proxies, behind the middleware every
// request passes through.
package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"reflect"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/apidocs"
	"github.com/latchkey/latchkey/internal/forwardauth"
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
	// ForwardAuth is what GET /auth/verify needs.
	ForwardAuth forwardauth.Deps
	// CORSOrigins are the SPA origins allowed to call the API.
	CORSOrigins []string
	// Requests, if set, is told of every request once it is answered:
	// the server's metrics.
	Requests RequestObserver
}

// RequestObserver is told of every answered request: the route pattern
// that matched it ("GET /api/users/{id}", as registered; "" when none
// did), the status written and the time taken. A pattern, never the path,
// so that what it keeps stays bounded whatever paths clients ask for. It
// is called on every request, from many goroutines, so it must be quick
// and safe for concurrent use.
type RequestObserver interface {
	ObserveRequest(pattern string, status int, took time.Duration)
}

// New returns the root handler.
func New(d Deps) (http.Handler, error) {
	mux := http.NewServeMux()
	a := api.New(mux, d.API)
	if err := web.New(mux, d.Web); err != nil {
		return nil, err
	}
	for _, r := range routes(d, a.OpenAPI().Components.Schemas) {
		mux.Handle(r.pattern, r.handler)
		if r.doc != nil {
			a.OpenAPI().AddOperation(r.doc)
		}
	}

	h := crossOrigin(d.API.Cookies, pinRequests(d.DB, routed(mux)))
	h = cors(d.CORSOrigins, h)
	h = headers(d.Web.Hosts.Others(), h)
	h = recoverPanics(d.Log, h)
	h = logRequests(d.Log, d.Requests, h)
	return h, nil
}

// route is one of the server's own endpoints, beside the API and the
// pages.
type route struct {
	pattern string
	handler http.Handler
	doc     *huma.Operation // its entry in the API's OpenAPI document; nil: none
}

// routes are the server's own endpoints: the probes, which the API's
// document lists so that whoever sets up a load balancer finds them there,
// the API reference page, and GET /auth/verify for reverse proxies
// (package forwardauth), which the document lists too.
func routes(d Deps, reg huma.Registry) []route {
	status := func(description string) *huma.Response {
		return &huma.Response{Description: description, Content: map[string]*huma.MediaType{
			"application/json": {Schema: reg.Schema(reflect.TypeFor[Status](), true, "Status")},
		}}
	}
	docs := apidocs.Handler()
	return []route{
		{"GET /healthz", http.HandlerFunc(handleHealth), &huma.Operation{
			OperationID: "healthz", Method: http.MethodGet, Path: "/healthz", Tags: []string{"health"},
			Summary:   "Whether the process is up",
			Security:  []map[string][]string{},
			Responses: map[string]*huma.Response{"200": status(`Up: {"status":"ok"}`)},
		}},
		{"GET /readyz", handleReady(d.DB), &huma.Operation{
			OperationID: "readyz", Method: http.MethodGet, Path: "/readyz", Tags: []string{"health"},
			Summary:  "Whether the instance can serve: its database answers within two seconds",
			Security: []map[string][]string{},
			Responses: map[string]*huma.Response{
				"200": status(`Ready: {"status":"ok"}`),
				"503": status(`Not ready: {"status":"database unreachable"}`),
			},
		}},
		{"GET /docs", docs, nil},
		{"GET /docs/", docs, nil},
		{"GET /auth/verify", forwardauth.Handler(d.ForwardAuth), forwardAuthDoc()},
	}
}

// Status is the answer of the probes.
type Status struct {
	Status string `json:"status" example:"ok"`
}

func handleHealth(w http.ResponseWriter, _ *http.Request) {
	writeStatus(w, http.StatusOK, "ok")
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
	b, _ := json.Marshal(Status{Status: status}) // a string field: cannot fail
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}
