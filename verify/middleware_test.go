package verify_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/latchkey/latchkey/verify"
)

func TestMiddleware(t *testing.T) {
	f := startFakeLatchkey(verify.ES256)
	defer f.Close()
	v := newVerifier(t, f.srv.URL)
	good := f.token("k1", nil)
	expired := f.token("k1", map[string]any{"exp": f.now().Unix() - 1})

	var seen *verify.Claims
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = verify.ClaimsFrom(r.Context())
		w.WriteHeader(http.StatusTeapot)
	})
	h := v.Middleware(next, verify.Public("/healthz", "/static/"))

	const (
		challenge = `Bearer realm="latchkey"`
		invalid   = `Bearer realm="latchkey", error="invalid_token"`
	)
	for _, tc := range []struct {
		name      string
		path      string
		auth      string
		status    int    // 418: next answered
		challenge string // for 401
		claims    bool   // next saw claims
	}{
		{"a good token", "/orders", "Bearer " + good, 418, "", true},
		{"the scheme in any case", "/orders", "bearer " + good, 418, "", true},
		{"no token", "/orders", "", 401, challenge, false},
		{"another scheme", "/orders", "Basic YWxpY2U6c2VjcmV0", 401, challenge, false},
		{"Bearer and nothing", "/orders", "Bearer ", 401, challenge, false},
		{"garbage", "/orders", "Bearer garbage", 401, invalid, false},
		{"expired", "/orders", "Bearer " + expired, 401, invalid, false},
		{"the root", "/", "", 401, challenge, false},
		{"a public path", "/healthz", "", 418, "", false},
		{"a public subtree", "/static/app.css", "", 418, "", false},
		{"the subtree's root", "/static/", "", 418, "", false},
		{"a public path's longer twin", "/healthzz", "", 401, challenge, false},
		{"below a one-path prefix", "/healthz/more", "", 401, challenge, false},
		{"the subtree without its slash", "/static", "", 401, challenge, false},
		{"out of the subtree with ..", "/static/../orders", "", 401, challenge, false},
		{"a public path with a good token", "/healthz", "Bearer " + good, 418, "", true},
		{"a public path with a bad token", "/static/app.css", "Bearer garbage", 418, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen = nil
			r := httptest.NewRequest("GET", "http://service.example"+tc.path, nil)
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tc.challenge {
				t.Fatalf("WWW-Authenticate %q, want %q", got, tc.challenge)
			}
			if (seen != nil) != tc.claims {
				t.Fatalf("next saw claims %+v, want claims: %v", seen, tc.claims)
			}
			if seen != nil && (seen.UserID != aliceID || seen.SessionID != sidA) {
				t.Fatalf("next saw %+v", seen)
			}
			if tc.status == 401 {
				if got := w.Header().Get("Cache-Control"); got != "no-store" {
					t.Fatalf("Cache-Control %q", got)
				}
				var p struct {
					Status int    `json:"status"`
					Detail string `json:"detail"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != 401 || p.Detail == "" {
					t.Fatalf("body %q: %v", w.Body, err)
				}
			}
		})
	}
}

func TestMiddlewareRealm(t *testing.T) {
	f := startFakeLatchkey(verify.ES256)
	defer f.Close()
	v := newVerifier(t, f.srv.URL)
	h := v.Middleware(http.NotFoundHandler(), verify.Realm(`orders "eu"`))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if got, want := w.Header().Get("WWW-Authenticate"), `Bearer realm="orders \"eu\""`; got != want {
		t.Fatalf("WWW-Authenticate %q, want %q", got, want)
	}
}

func TestClaimsFromAContextWithout(t *testing.T) {
	if c := verify.ClaimsFrom(context.Background()); c != nil {
		t.Fatalf("claims %+v from an empty context", c)
	}
	want := &verify.Claims{UserID: aliceID}
	if c := verify.ClaimsFrom(verify.ContextWithClaims(context.Background(), want)); c != want {
		t.Fatalf("claims %+v, want %+v", c, want)
	}
}
