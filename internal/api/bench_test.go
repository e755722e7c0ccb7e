package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
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
