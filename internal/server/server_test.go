package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/web"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// pinger is a database that answers Ping with err.
type pinger struct{ err error }

func (p pinger) Ping(context.Context) error { return p.err }

func (pinger) Pin(ctx context.Context) context.Context { return ctx }

// probeDeps are a server's dependencies for requests that reach no flow:
// the routes are registered from the service's settings, and no request
// here calls it.
func probeDeps(dbErr error) Deps {
	svc := auth.NewService(auth.Deps{}, auth.DefaultOptions())
	return Deps{Log: slog.New(slog.DiscardHandler), DB: pinger{dbErr},
		API: api.Deps{Auth: svc, JWKS: func() []byte { return nil }}, Web: web.Deps{Auth: svc, Log: slog.New(slog.DiscardHandler)}}
}

func TestHealthAndReadiness(t *testing.T) {
	tests := []struct {
		name   string
		db     error
		path   string
		status int
	}{
		{"healthz", nil, "/healthz", 200},
		{"healthz with the database down", errors.New("down"), "/healthz", 200},
		{"readyz", nil, "/readyz", 200},
		{"readyz with the database down", errors.New("down"), "/readyz", 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := New(probeDeps(tt.db))
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Error("nosniff header missing")
			}
		})
	}
}

// TestProbesAreDocumented: the API's document lists the probes, public,
// with the statuses they answer, so that whoever sets up a load balancer
// finds them where the rest of the surface is described.
func TestProbesAreDocumented(t *testing.T) {
	h, err := New(probeDeps(nil))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	var doc struct {
		Paths map[string]map[string]struct {
			Security  *[]map[string][]string
			Responses map[string]struct {
				Content map[string]struct {
					Schema struct {
						Ref string `json:"$ref"`
					}
				}
			}
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("GET /openapi.json: %d %v", rec.Code, err)
	}
	for path, statuses := range map[string][]string{"/healthz": {"200"}, "/readyz": {"200", "503"}} {
		o, ok := doc.Paths[path]["get"]
		if !ok {
			t.Errorf("GET %s is not in the document", path)
			continue
		}
		if o.Security == nil || len(*o.Security) != 0 {
			t.Errorf("GET %s: security %v; want [] (public)", path, o.Security)
		}
		if len(o.Responses) != len(statuses) {
			t.Errorf("GET %s: %d responses documented; want %v", path, len(o.Responses), statuses)
		}
		for _, code := range statuses {
			if ref := o.Responses[code].Content["application/json"].Schema.Ref; ref != "#/components/schemas/Status" {
				t.Errorf("GET %s %s: schema %q; want the Status schema", path, code, ref)
			}
		}
	}
}

func TestPanicIsA500AndLogged(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	h := logRequests(log, nil, recoverPanics(log, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x?token=secret", nil))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), `"code":"internal"`) {
		t.Fatalf("got %d %s", rec.Code, rec.Body.String())
	}
	if !strings.Contains(logs.String(), "panic=boom") || !strings.Contains(logs.String(), "status=500") {
		t.Fatalf("logs: %s", logs.String())
	}
	if strings.Contains(logs.String(), "secret") {
		t.Fatal("the query string was logged")
	}
}

// countingPins is a database whose every Pin is a new number in the context.
type countingPins struct {
	pinger
	n int
}

type pinNumber struct{}

func (c *countingPins) Pin(ctx context.Context) context.Context {
	c.n++
	return context.WithValue(ctx, pinNumber{}, c.n)
}

// TestEachRequestHasItsOwnPin: a pin shared between requests would let a
// later request see the sessions as an earlier one found them.
func TestEachRequestHasItsOwnPin(t *testing.T) {
	type requestKey struct{}
	db := &countingPins{}
	var seen []any
	h := pinRequests(db, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Context().Value(requestKey{}) == nil {
			t.Error("the pinned context lost the request's own")
		}
		seen = append(seen, r.Context().Value(pinNumber{}))
	}))
	for range 3 {
		r := httptest.NewRequest("GET", "/account", nil)
		h.ServeHTTP(httptest.NewRecorder(), r.WithContext(context.WithValue(r.Context(), requestKey{}, true)))
	}
	if len(seen) != 3 || seen[0] != 1 || seen[1] != 2 || seen[2] != 3 {
		t.Errorf("pins seen by three requests: %v; want 1, 2, 3", seen)
	}
}

// TestForwardAuthIsServedAndDocumented: GET /auth/verify is routed (an
// anonymous request needs no flow: 401) and the API's document lists it
// with every status it answers.
func TestForwardAuthIsServedAndDocumented(t *testing.T) {
	h, err := New(probeDeps(nil))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/auth/verify", nil))
	if rec.Code != http.StatusUnauthorized || rec.Body.Len() != 0 {
		t.Errorf("GET /auth/verify: %d %q, want 401 without a body", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Headers map[string]any
			}
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	o, ok := doc.Paths["/auth/verify"]["get"]
	if !ok {
		t.Fatal("GET /auth/verify is not in the document")
	}
	for code, header := range map[string]string{"204": "X-Latchkey-User-Id", "302": "Location", "400": "", "401": "WWW-Authenticate", "403": "", "503": "Retry-After"} {
		r, ok := o.Responses[code]
		if !ok {
			t.Errorf("the %s response is not documented", code)
		} else if _, ok := r.Headers[header]; header != "" && !ok {
			t.Errorf("the %s response does not document %s", code, header)
		}
	}
}
