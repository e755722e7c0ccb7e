package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// BenchmarkProtectedPage renders pages that need a login over a real HTTP
// server with a cookie session: /posts/new (the session checked in
// SQLite, a form rendered) and /account (also the user's sessions listed).
// BenchmarkProtectedPageBare serves the same bytes from a bare handler in
// the same run. DESIGN.md's budget is a throughput ratio of at least 30 %:
//
//	go test -run '^$' -bench Protected -benchtime 3s ./internal/web/
func BenchmarkProtectedPage(b *testing.B) {
	for _, path := range []string{"/posts/new", "/account"} {
		b.Run(path[1:], func(b *testing.B) {
			s, cookie, body := benchSite(b, path)
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					getPage(b, s.Client(), s.URL+path, cookie)
				}
			})
		})
	}
}

func BenchmarkProtectedPageBare(b *testing.B) {
	for _, path := range []string{"/posts/new", "/account"} {
		b.Run(path[1:], func(b *testing.B) {
			_, cookie, body := benchSite(b, path)
			bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.Write(body)
			}))
			defer bare.Close()
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					getPage(b, bare.Client(), bare.URL+path, cookie)
				}
			})
		})
	}
}

func benchSite(b *testing.B, path string) (*site, *http.Cookie, []byte) {
	s := newSiteTB(b)
	c := s.browser(nil)
	res, err := c.PostForm(s.URL+"/register", registration("alice"))
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	u, _ := url.Parse(s.URL)
	var cookie *http.Cookie
	for _, ck := range c.Jar.Cookies(u) {
		cookie = ck
	}
	req, _ := http.NewRequest("GET", s.URL+path, nil)
	req.AddCookie(cookie)
	res, err = s.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		b.Fatalf("GET %s: %d", path, res.StatusCode)
	}
	return s, cookie, body
}

func getPage(b *testing.B, c *http.Client, u string, cookie *http.Cookie) {
	req, _ := http.NewRequest("GET", u, nil)
	req.AddCookie(cookie)
	res, err := c.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		b.Errorf("status %d", res.StatusCode)
	}
}
