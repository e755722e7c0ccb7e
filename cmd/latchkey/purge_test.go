package main

import (
	"database/sql"
	"net/http"
	neturl "net/url"
	"path/filepath"
	"testing"
	"time"
)

// TestServerPurgesEndedSessions: a session logged out of is deleted by the
// server itself, with its refresh token, without anyone asking. The server
// purges when it starts (and every minute after), so a restart shows it.
func TestServerPurgesEndedSessions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "latchkey.db")
	getenv := testEnv(t, "LATCHKEY_DATABASE_URL", "sqlite:"+path, "LATCHKEY_BASE_URL", "http://latchkey.test")
	url, stop := startServer(t, getenv)
	register(t, url, "alice")
	_, ended := tokenRequest(t, url, neturl.Values{"username": {"alice"}, "password": {testPassword}})
	_, live := tokenRequest(t, url, neturl.Values{"username": {"alice"}, "password": {testPassword}})
	res, err := http.PostForm(url+"/api/token/revoke", neturl.Values{"token": {ended.RefreshToken}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows := func(table string) int {
		t.Helper()
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if s, r := rows("sessions"), rows("refresh_tokens"); s != 2 || r != 2 {
		t.Fatalf("before the restart: %d sessions and %d refresh tokens, want 2 and 2", s, r)
	}

	url, _ = startServer(t, getenv)
	deadline := time.Now().Add(10 * time.Second)
	for rows("sessions") != 1 || rows("refresh_tokens") != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("10 s after the restart: %d sessions and %d refresh tokens, want 1 and 1", rows("sessions"), rows("refresh_tokens"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := me(t, url, live.AccessToken); got != http.StatusOK {
		t.Fatalf("the live session after the purge: %d", got)
	}
}
