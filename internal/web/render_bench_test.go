package web

import (
	"bytes"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

// BenchmarkRenderAccount executes the account page's templates alone (no
// HTTP, no SQLite), to see what rendering costs:
//
//	go test -run '^$' -bench RenderAccount -benchmem ./internal/web/
func BenchmarkRenderAccount(b *testing.B) {
	s := parsedSite(b)
	u := &auth.User{Username: "alice", Email: "alice@example.com"}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var list []*auth.Session
	for i, ua := range []string{"Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", "", "curl/8.0"} {
		list = append(list, &auth.Session{ID: "01a21ae5-d4be-7e31-9c2b-1d16df6f5f5" + string(rune('0'+i)), Kind: auth.SessionBrowser,
			UserAgent: ua, IP: "192.0.2.1", CreatedAt: t0, LastSeenAt: t0.Add(time.Hour)})
	}
	// A full "Recent security activity": twenty events from those browsers.
	var events []*auth.Event
	for i := range recentActivity {
		events = append(events, &auth.Event{Type: auth.EventLoginSucceeded, At: t0, IP: "192.0.2.1",
			UserAgent: list[i%len(list)].UserAgent, Details: map[string]string{"method": "password", "session_kind": "browser"}})
	}
	d := accountData{Profile: profileForm(u), Password: passwordForm(), Sessions: sessionRows(list, list[0].ID), Others: true,
		Activity: activityRows(events)}
	v := view{Title: "Your account", User: u, Data: d}
	t := s.pages["account"]
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := t.Execute(&buf, v); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

// parsedSite has the templates parsed, and nothing else.
func parsedSite(tb testing.TB) *site {
	tb.Helper()
	a, err := loadAssets()
	if err != nil {
		tb.Fatal(err)
	}
	s := &site{assets: a}
	if err := s.parse(); err != nil {
		tb.Fatal(err)
	}
	return s
}
