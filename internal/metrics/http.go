package metrics

import (
	"maps"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// durationBuckets are the request duration histogram's upper bounds, in
// seconds. The budgets of DESIGN.md fall on bounds (25ms for /me under a
// login flood, 1s for a refused login's 503 and for logins under a flood
// of cheap requests, 2s for admitted logins), so that a quantile over them
// is read against the budget without interpolation; a /me answers in the
// first bucket, a login (one argon2id hash) in the tens of milliseconds.
var durationBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2, 5, 10}

// unmatched labels a request no route matched (a 404 or 405 of the
// router), so that a scan of random paths adds no series.
const unmatched = "unmatched"

// other labels the routes past maxRoutes.
const other = "other"

// maxRoutes bounds the route labels. The router's patterns are already a
// bounded set (the server has a few dozen), so this is only a backstop:
// whatever a caller passes, the series stay bounded.
const maxRoutes = 500

// statusClasses are the status label's values, by status/100; index 0 is
// for a status outside 100–599, which net/http does not send.
var statusClasses = [6]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}

// routeKey is one series of the histogram: a route and a status class.
type routeKey struct {
	route string
	class uint8
}

// ObserveRequest records one answered request: pattern is the route
// pattern that matched it ("GET /api/users/{id}", net/http's
// Request.Pattern), "" when none did; status is the status written; took,
// the time to answer.
//
// It runs on every request, so it must cost little: the series of a
// route and class is found in a map that is read without a lock (it is
// replaced whole, under a mutex, on the rare first sight of a series), by
// a key built of the pattern string as the router holds it. No label
// string is built and nothing is allocated once a series exists.
func (m *Metrics) ObserveRequest(pattern string, status int, took time.Duration) {
	class := uint8(0)
	if status >= 100 && status < 600 {
		class = uint8(status / 100)
	}
	k := routeKey{pattern, class}
	o, ok := (*m.routes.Load())[k]
	if !ok {
		o = m.series(k)
	}
	o.Observe(took.Seconds())
}

// series returns the histogram's series for k, adding it to the cache.
func (m *Metrics) series(k routeKey) prometheus.Observer {
	m.addRoute.Lock()
	defer m.addRoute.Unlock()
	routes := *m.routes.Load()
	if o, ok := routes[k]; ok { // added while we waited
		return o
	}
	label := k.route
	switch {
	case label == "":
		label = unmatched
	case len(routes) >= maxRoutes:
		// Past the bound nothing is cached (the map would grow with
		// what it is meant to bound): such a request takes the mutex,
		// and shares the one series of its class.
		return m.requests.WithLabelValues(other, statusClasses[k.class])
	}
	o := m.requests.WithLabelValues(label, statusClasses[k.class])
	next := make(map[routeKey]prometheus.Observer, len(routes)+1)
	maps.Copy(next, routes)
	next[k] = o
	m.routes.Store(&next)
	return o
}
