// Package metricstest scrapes a /metrics endpoint in tests and reads the
// series through the Prometheus text parser, so that a test asserts what
// Prometheus itself would see (names, labels, types, histogram buckets)
// rather than matching substrings.
package metricstest

import (
	"io"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Scrape is one scrape, parsed: the metric families by name (a histogram
// under its base name, without _bucket, _sum or _count).
type Scrape map[string]*dto.MetricFamily

// Get scrapes url, failing the test unless it answers 200 in the text
// format and parses with the classic (legacy) metric name rules.
func Get(t testing.TB, url string) Scrape {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, b)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("GET %s: Content-Type %q, want the text format", url, ct)
	}
	return Parse(t, res.Body)
}

// Parse parses the text format from r.
func Parse(t testing.TB, r io.Reader) Scrape {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	families, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("parse the scrape: %v", err)
	}
	return families
}

// Series returns the series of the family name whose labels include the
// given name, value pairs.
func (s Scrape) Series(name string, labels ...string) []*dto.Metric {
	f := s[name]
	if f == nil {
		return nil
	}
	var out []*dto.Metric
	for _, m := range f.GetMetric() {
		if hasLabels(m, labels) {
			out = append(out, m)
		}
	}
	return out
}

// Value returns the value of the one series of name with the given label
// pairs: a counter's or a gauge's value, a histogram's count. It fails the
// test when there is not exactly one such series.
func (s Scrape) Value(t testing.TB, name string, labels ...string) float64 {
	t.Helper()
	series := s.Series(name, labels...)
	if len(series) != 1 {
		t.Fatalf("%d series of %s with %v, want one", len(series), name, labels)
	}
	m := series[0]
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	t.Fatalf("%s with %v has no value of a known type", name, labels)
	return 0
}

// Type returns the type of the family name, or "" when it is absent.
func (s Scrape) Type(name string) string {
	f := s[name]
	if f == nil {
		return ""
	}
	return strings.ToLower(f.GetType().String())
}

func hasLabels(m *dto.Metric, pairs []string) bool {
	for i := 0; i+1 < len(pairs); i += 2 {
		found := false
		for _, l := range m.GetLabel() {
			if l.GetName() == pairs[i] && l.GetValue() == pairs[i+1] {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
