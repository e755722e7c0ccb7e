package metrics

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/outbox"
	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/prometheus/client_golang/prometheus"
)

// The sources below are read when Prometheus scrapes, not pushed as they
// change: their state is a few numbers that are cheap to read, and
// reading them costs the requests nothing.

// WatchHashing shows the password hashing pool, read through stats
// (password.Pool.Stats): its slots, how many are busy, how many logins
// wait for one and how many were refused (answered 503) so far.
func (m *Metrics) WatchHashing(stats func() password.PoolStats) {
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, "hash_pool", name), help, nil, nil)
	}
	m.reg.MustRegister(&collector{
		descs: []*prometheus.Desc{
			desc("slots", "Password hashes that may run at once (LATCHKEY_HASH_CONCURRENCY)."),
			desc("busy", "Hashing slots computing a hash now."),
			desc("waiting", "Logins and registrations waiting for a hashing slot now."),
			desc("refused_total", "Logins and registrations refused (503) for want of a hashing slot within LATCHKEY_HASH_QUEUE_TIMEOUT."),
		},
		collect: func(d []*prometheus.Desc, ch chan<- prometheus.Metric) {
			s := stats()
			ch <- prometheus.MustNewConstMetric(d[0], prometheus.GaugeValue, float64(s.Slots))
			ch <- prometheus.MustNewConstMetric(d[1], prometheus.GaugeValue, float64(s.Busy))
			ch <- prometheus.MustNewConstMetric(d[2], prometheus.GaugeValue, float64(s.Waiting))
			ch <- prometheus.MustNewConstMetric(d[3], prometheus.CounterValue, float64(s.Refused))
		},
	})
}

// WatchDatabase shows the statistics of the store's connection pools
// (store.Store.Pools), under the names and help of the Prometheus
// library's collector for database/sql (go_sql_…), so that the dashboards
// made for it work; its db_name label is the pool's name.
func (m *Metrics) WatchDatabase(pools func() []store.Pool) {
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("go_sql_"+name, help, []string{"db_name"}, nil)
	}
	m.reg.MustRegister(&collector{
		descs: []*prometheus.Desc{
			desc("max_open_connections", "Maximum number of open connections to the database."),
			desc("open_connections", "The number of established connections both in use and idle."),
			desc("in_use_connections", "The number of connections currently in use."),
			desc("idle_connections", "The number of idle connections."),
			desc("wait_count_total", "The total number of connections waited for."),
			desc("wait_duration_seconds_total", "The total time blocked waiting for a new connection."),
			desc("max_idle_closed_total", "The total number of connections closed due to SetMaxIdleConns."),
			desc("max_idle_time_closed_total", "The total number of connections closed due to SetConnMaxIdleTime."),
			desc("max_lifetime_closed_total", "The total number of connections closed due to SetConnMaxLifetime."),
		},
		collect: func(d []*prometheus.Desc, ch chan<- prometheus.Metric) {
			for _, p := range pools() {
				s := p.Stats
				for i, v := range []struct {
					t prometheus.ValueType
					v float64
				}{
					{prometheus.GaugeValue, float64(s.MaxOpenConnections)},
					{prometheus.GaugeValue, float64(s.OpenConnections)},
					{prometheus.GaugeValue, float64(s.InUse)},
					{prometheus.GaugeValue, float64(s.Idle)},
					{prometheus.CounterValue, float64(s.WaitCount)},
					{prometheus.CounterValue, s.WaitDuration.Seconds()},
					{prometheus.CounterValue, float64(s.MaxIdleClosed)},
					{prometheus.CounterValue, float64(s.MaxIdleTimeClosed)},
					{prometheus.CounterValue, float64(s.MaxLifetimeClosed)},
				} {
					ch <- prometheus.MustNewConstMetric(d[i], v.t, v.v, p.Name)
				}
			}
		},
	})
}

// WatchGroupCommit shows SQLite's group commit, read through counts
// (store.Store.GroupCommits): its commits and the writes they held, whose
// ratio is how many writes share an fsync. A store without one (false:
// PostgreSQL) has no such series.
func (m *Metrics) WatchGroupCommit(counts func() (store.GroupCommits, bool)) {
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, "db", name), help, nil, nil)
	}
	m.reg.MustRegister(&collector{
		descs: []*prometheus.Desc{
			desc("group_commits_total", "Commits of SQLite's group commit, each one fsync."),
			desc("group_commit_writes_total", "Writes those commits held: divided by them, how many writes share an fsync."),
		},
		collect: func(d []*prometheus.Desc, ch chan<- prometheus.Metric) {
			c, ok := counts()
			if !ok {
				return
			}
			ch <- prometheus.MustNewConstMetric(d[0], prometheus.CounterValue, float64(c.Commits))
			ch <- prometheus.MustNewConstMetric(d[1], prometheus.CounterValue, float64(c.Writes))
		},
	})
}

// backlogTimeout bounds the outbox's read at scrape time: a database that
// is slow to answer costs the scrape these two series, not its deadline.
const backlogTimeout = time.Second

// WatchMail shows the outbox's backlog, read through backlog
// (store.Store.MailBacklog) at each scrape: the messages pending and the
// age of the oldest, which grow when the mail server is down. A read that
// fails or takes more than a second leaves the two series out of that
// scrape (and is logged by the handler); the others are served.
func (m *Metrics) WatchMail(backlog func(context.Context) (outbox.Backlog, error)) {
	pending := prometheus.NewDesc(prometheus.BuildFQName(namespace, "mail", "pending"),
		"Messages in the outbox neither sent nor given up.", nil, nil)
	oldest := prometheus.NewDesc(prometheus.BuildFQName(namespace, "mail", "oldest_pending_seconds"),
		"Age of the oldest message neither sent nor given up; 0 when none is.", nil, nil)
	m.reg.MustRegister(&collector{
		descs: []*prometheus.Desc{pending, oldest},
		collect: func(_ []*prometheus.Desc, ch chan<- prometheus.Metric) {
			ctx, cancel := context.WithTimeout(context.Background(), backlogTimeout)
			defer cancel()
			b, err := backlog(ctx)
			if err != nil {
				ch <- prometheus.NewInvalidMetric(pending, err)
				return
			}
			age := 0.0
			if b.Pending > 0 {
				age = max(time.Since(b.Oldest).Seconds(), 0)
			}
			ch <- prometheus.MustNewConstMetric(pending, prometheus.GaugeValue, float64(b.Pending))
			ch <- prometheus.MustNewConstMetric(oldest, prometheus.GaugeValue, age)
		},
	})
}

// collector is a prometheus.Collector over a function that reads a source
// once per scrape and sends a value for each of its descriptions.
type collector struct {
	descs   []*prometheus.Desc
	collect func([]*prometheus.Desc, chan<- prometheus.Metric)
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) { c.collect(c.descs, ch) }
