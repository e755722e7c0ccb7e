package server

import (
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/metrics"
)

// observed records what the server tells its RequestObserver.
type observed struct {
	mu   sync.Mutex
	seen []string // "pattern status"
}

func (o *observed) ObserveRequest(pattern string, status int, took time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if took <= 0 {
		pattern += " (no duration)"
	}
	o.seen = append(o.seen, pattern+" "+http.StatusText(status))
}

func (o *observed) take() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.seen
	o.seen = nil
	return s
}

// TestRequestsObservedByPattern: every request is reported once, with the
// pattern of the route that matched it and never its path, and "" when
// none matched, whatever stood in the path.
func TestRequestsObservedByPattern(t *testing.T) {
	obs := &observed{}
	d := probeDeps(nil)
	d.Requests = obs
	h, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		req    *http.Request
		status int
		want   string
	}{
		{"a probe", httptest.NewRequest("GET", "/healthz", nil), 200, "GET /healthz OK"},
		{"HEAD takes the GET route", httptest.NewRequest("HEAD", "/healthz", nil), 200, "GET /healthz OK"},
		{"an API route with an id", httptest.NewRequest("GET", "/api/users/"+rand.Text(), nil), 404, "GET /api/users/{id} Not Found"},
		{"another id, the same route", httptest.NewRequest("GET", "/api/users/"+rand.Text(), nil), 404, "GET /api/users/{id} Not Found"},
		{"a page", httptest.NewRequest("GET", "/posts/"+rand.Text(), nil), 404, "GET /posts/{id} Not Found"},
		{"no route", httptest.NewRequest("GET", "/no/such/"+rand.Text(), nil), 404, " Not Found"},
		{"no route for the method", httptest.NewRequest("PUT", "/healthz", nil), 405, " Method Not Allowed"},
		{"a path to clean", httptest.NewRequest("GET", "/api/../healthz", nil), 307, "GET /healthz Temporary Redirect"},
		{"a CONNECT", &http.Request{Method: "CONNECT", Host: "x.example:443", URL: mustURL(t, "//x.example:443"), RequestURI: "x.example:443", Header: http.Header{}}, 405, " Method Not Allowed"},
		{"refused before routing", func() *http.Request {
			r := httptest.NewRequest("POST", "/logout", nil)
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			return r
		}(), 403, " Forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs.take()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tt.req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			got := obs.take()
			if len(got) != 1 || got[0] != tt.want {
				t.Fatalf("observed %q, want [%q]", got, tt.want)
			}
		})
	}
}

// TestPanicObservedAgainstItsRoute: a handler that panics is counted as a
// 500 of its route.
func TestPanicObservedAgainstItsRoute(t *testing.T) {
	obs := &observed{}
	log := slog.New(slog.DiscardHandler)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /boom/{id}", func(http.ResponseWriter, *http.Request) { panic("boom") })
	h := logRequests(log, obs, recoverPanics(log, pinRequests(pinger{}, routed(mux))))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/boom/1", nil))
	if got := obs.take(); len(got) != 1 || got[0] != "GET /boom/{id} Internal Server Error" {
		t.Fatalf("observed %q", got)
	}
}

func mustURL(t *testing.T, s string) *neturl.URL {
	t.Helper()
	u, err := neturl.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// BenchmarkObserveRequests is the server's whole middleware on a cheap
// request, without metrics and with them, so that their cost on the hot
// path (the /me budget of DESIGN.md) shows as the difference.
func BenchmarkObserveRequests(b *testing.B) {
	for _, tt := range []struct {
		name string
		obs  RequestObserver
	}{{"none", nil}, {"metrics", metrics.New()}} {
		b.Run(tt.name, func(b *testing.B) {
			d := probeDeps(nil)
			d.Requests = tt.obs
			h, err := New(d)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
				if !strings.Contains(rec.Body.String(), "ok") {
					b.Fatal(rec.Body.String())
				}
			}
		})
	}
}
