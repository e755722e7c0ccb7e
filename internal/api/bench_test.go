package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/latchkey/latchkey/internal/auth"
)

// BenchmarkMe measures GET /api/users/me end to end (HTTP server, bearer
// verification, session check in SQLite, JSON) next to BenchmarkMeBare, a
// bare handler writing the same bytes, in the same run; DESIGN.md's budget
// is a ratio of at least 50 % between their throughputs:
//
//	go test -run '^$' -bench 'Me' -benchtime 3s ./internal/api/
func BenchmarkMe(b *testing.B) {
	s := newServer(b, serverOptions{})
	s.register(b, "alice")
	pair := s.login(b, "alice")
	body := s.do(b, "GET", "/api/users/me", "", "", pair.AccessToken).body
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			get(b, s.Client(), s.URL+"/api/users/me", pair.AccessToken)
		}
	})
}

func BenchmarkMeBare(b *testing.B) {
	s := newServer(b, serverOptions{})
	s.register(b, "alice")
	pair := s.login(b, "alice")
	body := []byte(s.do(b, "GET", "/api/users/me", "", "", pair.AccessToken).body)
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer bare.Close()
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			get(b, bare.Client(), bare.URL+"/api/users/me", pair.AccessToken)
		}
	})
}

func get(b *testing.B, c *http.Client, url, token string) {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b.Errorf("status %d", res.StatusCode)
	}
}

// BenchmarkBackends runs GET /api/users/me and a password login on SQLite
// and on PostgreSQL in the same run (cheap argon2 parameters, so that the
// database's share is visible rather than drowned in hashing):
//
//	go test -run '^$' -bench Backends -benchtime 3s ./internal/api/
func BenchmarkBackends(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			s := newServer(b, serverOptions{backend: backend})
			s.register(b, "alice")
			pair := s.login(b, "alice")
			b.Run("me", func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						get(b, s.Client(), s.URL+"/api/users/me", pair.AccessToken)
					}
				})
			})
			b.Run("login", func(b *testing.B) {
				form := "grant_type=password&username=alice&password=correct+horse+battery"
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						res, err := s.Client().Post(s.URL+"/api/token", "application/x-www-form-urlencoded", strings.NewReader(form))
						if err != nil {
							b.Error(err)
							return
						}
						io.Copy(io.Discard, res.Body)
						res.Body.Close()
						if res.StatusCode != http.StatusOK {
							b.Errorf("login: %d", res.StatusCode)
						}
					}
				})
			})
		})
	}
}

// BenchmarkRefresh rotates many sessions' refresh tokens from parallel
// clients, each token used again only after the others (a session may be
// refreshed once a second): the token endpoint's write path, for a
// profile of where a refresh's time goes.
//
//	go test -run '^$' -bench Refresh -cpu 32 -cpuprofile /tmp/refresh.prof ./internal/api/
func BenchmarkRefresh(b *testing.B) {
	s := newServer(b, serverOptions{})
	s.register(b, "alice")
	me := s.me(b, s.login(b, "alice").AccessToken)
	// The sessions are stored directly, as made a minute ago: logging in
	// 5,000 times would be most of a profile.
	const sessions = 5000
	queue := make(chan string, sessions)
	past := time.Now().Add(-time.Minute).UTC().Truncate(time.Microsecond)
	for range sessions {
		raw := auth.NewOpaqueToken()
		ss := &auth.Session{ID: uuid.NewString(), UserID: me.ID, Kind: auth.SessionAPI, CreatedAt: past, LastSeenAt: past,
			ExpiresAt: past.Add(24 * time.Hour)}
		rt := &auth.RefreshToken{ID: uuid.NewString(), SessionID: ss.ID, TokenHash: auth.HashToken(raw), CreatedAt: past,
			ExpiresAt: ss.ExpiresAt}
		if err := s.store.CreateSession(context.Background(), ss, rt); err != nil {
			b.Fatal(err)
		}
		queue <- raw
	}
	// Enough idle connections for every client: the default two per host
	// would have most requests dial anew, and the profile show dialling.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rt := <-queue
			res, err := client.Post(s.URL+"/api/token", "application/x-www-form-urlencoded",
				strings.NewReader("grant_type=refresh_token&refresh_token="+rt))
			if err != nil {
				b.Error(err)
				return
			}
			var p tokenPair
			json.NewDecoder(res.Body).Decode(&p)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Errorf("refresh: %d", res.StatusCode)
				queue <- rt
				continue
			}
			queue <- p.RefreshToken
		}
	})
}
