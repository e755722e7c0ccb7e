package metrics

import "time"

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

// statusClasses are the status label's values, by status/100; index 0 is
// for a status outside 100–599, which net/http does not send.
var statusClasses = [6]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}

// ObserveRequest records one answered request: pattern is the route
// pattern that matched it ("GET /api/users/{id}", net/http's
// Request.Pattern), "" when none did; status is the status written; took,
// the time to answer. The patterns are the router's, a fixed set, so the
// route label's values are bounded however many paths are asked for.
func (m *Metrics) ObserveRequest(pattern string, status int, took time.Duration) {
	if pattern == "" {
		pattern = unmatched
	}
	class := 0
	if status >= 100 && status < 600 {
		class = status / 100
	}
	m.requests.WithLabelValues(pattern, statusClasses[class]).Observe(took.Seconds())
}
