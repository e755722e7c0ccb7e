package forwardauth_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkVerify measures GET /auth/verify over a real HTTP server, with
// a session cookie and with a bearer token, next to GET /api/users/me
// with the same token and a bare handler that answers 204 with the same
// headers, in the same run. DESIGN.md wants /auth/verify to cost about as
// much as /api/users/me (whose own budget is half the bare handler's
// throughput):
//
//	go test -run '^$' -bench Verify -benchtime 3s ./internal/forwardauth/
func BenchmarkVerify(b *testing.B) {
	s := newServer(b)
	alice := s.register(b, "alice", false)
	cookie, bs := s.browser(b, "alice")
	g := s.bearer(b, "alice")
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Latchkey-User-Id", alice.ID)
		h.Set("X-Latchkey-Username", alice.Username)
		h.Set("X-Latchkey-Role", string(alice.Role))
		h.Set("X-Latchkey-Session-Id", bs.Session.ID)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer bare.Close()
	for _, bm := range []struct {
		name, url string
		cookie    *http.Cookie
		token     string
		status    int
	}{
		{"cookie", s.URL + "/auth/verify", cookie, "", http.StatusNoContent},
		{"bearer", s.URL + "/auth/verify", nil, g.AccessToken, http.StatusNoContent},
		{"me", s.URL + "/api/users/me", nil, g.AccessToken, http.StatusOK},
		{"bare", bare.URL + "/auth/verify", cookie, "", http.StatusNoContent},
	} {
		b.Run(bm.name, func(b *testing.B) {
			c := s.Client()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("GET", bm.url, nil)
					if bm.cookie != nil {
						req.AddCookie(bm.cookie)
					}
					if bm.token != "" {
						req.Header.Set("Authorization", "Bearer "+bm.token)
					}
					res, err := c.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != bm.status {
						b.Errorf("%s: status %d", bm.url, res.StatusCode)
					}
				}
			})
		})
	}
}
