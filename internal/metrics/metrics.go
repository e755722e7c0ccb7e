// Package metrics keeps Latchkey's Prometheus metrics (DESIGN.md,
// "Administration, audit and metrics") and serves them in the Prometheus
// text format.
//
// It owns the registry and is the only package that imports the
// Prometheus library. The packages it measures do not know of it: the
// server tells it of each request through a one-method interface, the
// flows and the mail sender through small hooks of their own, and the
// hashing pool, the database pools and the outbox are read at scrape time
// through plain functions. So the library can be changed here alone, and a
// test of a flow needs no registry.
package metrics

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace starts the name of every series of Latchkey's own.
const namespace = "latchkey"

// Metrics is the registry of one server and the series it updates. Its
// methods are safe for concurrent use. Make one with New.
type Metrics struct {
	reg *prometheus.Registry

	// requests is the request duration histogram (see ObserveRequest).
	requests *prometheus.HistogramVec

	logins        *prometheus.CounterVec
	registrations *prometheus.CounterVec
	refreshes     *prometheus.CounterVec
	reuse         prometheus.Counter
	mail          *prometheus.CounterVec
}

// New returns a registry with the Go runtime's and the process's standard
// series and Latchkey's own. The sources read at scrape time (the hashing
// pool, the database, the outbox) are added with the Watch methods.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds",
		Help:    "Time to answer a request, by route pattern and status class; its _count is the number of requests.",
		Buckets: durationBuckets,
	}, []string{"route", "status"})

	counter := func(name, help string, results ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, []string{"result"})
		// The usual results are shown from the start, at zero, so that a
		// rate over them has a start and an alert a series to watch.
		for _, r := range results {
			c.WithLabelValues(r)
		}
		m.reg.MustRegister(c)
		return c
	}
	m.logins = counter("logins_total",
		`Password logins, by result: "ok" or the error code of the answer.`,
		resultOK, "invalid_credentials", "too_many_attempts", "account_disabled", "email_not_verified", "busy")
	m.registrations = counter("registrations_total",
		`Registrations, by result: "ok" or the error code of the answer.`,
		resultOK, "validation_failed", "username_taken", "email_taken", "too_many_attempts", "busy")
	m.refreshes = counter("refreshes_total",
		`Refresh token grants, by result: "ok" or the error code of the answer.`,
		resultOK, "invalid_grant", "too_many_attempts")
	m.reuse = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Name: "refresh_token_reuse_total",
		Help: "Refresh tokens presented again after their rotation: each revoked its session as stolen.",
	})
	m.mail = counter("mail_attempts_total",
		`Attempts to deliver mail from the outbox, by result: sent, dropped (a request with no account to send to), failed (to be retried) or given_up.`,
		mailResults...)
	m.reg.MustRegister(m.requests, m.reuse)
	return m
}

// Handler answers GET /metrics with every series in the Prometheus text
// format, and 404 to anything else: it is served on a listener of its own
// (LATCHKEY_METRICS_ADDR), never on the public address. A source that
// fails at scrape time (the outbox's database) is logged and left out,
// and the rest is served.
func (m *Metrics) Handler(log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      errorLog{log},
		ErrorHandling: promhttp.ContinueOnError,
	}))
	return mux
}

// errorLog passes the handler's errors to the server's log.
type errorLog struct{ log *slog.Logger }

func (l errorLog) Println(v ...any) {
	l.log.Warn(strings.TrimSpace(fmt.Sprintln(v...)))
}
