package sessioncookie

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

func TestCookieFlags(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	remembered := &auth.Session{IdleTimeout: 7 * 24 * time.Hour, Remember: true, ExpiresAt: now.Add(30 * 24 * time.Hour)}
	short := &auth.Session{IdleTimeout: auth.ShortIdleTimeout, ExpiresAt: now.Add(30 * 24 * time.Hour)}
	// With LATCHKEY_SESSION_IDLE_TTL under 12 hours both kinds idle out
	// alike; the cookie still follows "remember me".
	rememberedShortTTL := &auth.Session{IdleTimeout: time.Hour, Remember: true, ExpiresAt: now.Add(30 * 24 * time.Hour)}
	shortShortTTL := &auth.Session{IdleTimeout: time.Hour, ExpiresAt: now.Add(30 * 24 * time.Hour)}
	tests := []struct {
		name, base, domain string
		ss                 *auth.Session
		want               string
	}{
		{"http, remembered", "http://localhost:8080", "", remembered,
			"latchkey_session=tok; Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax"},
		{"http, browser session", "http://localhost:8080", "", short,
			"latchkey_session=tok; Path=/; HttpOnly; SameSite=Lax"},
		{"remembered, 1 h idle TTL", "http://localhost:8080", "", rememberedShortTTL,
			"latchkey_session=tok; Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax"},
		{"browser session, 1 h idle TTL", "http://localhost:8080", "", shortShortTTL,
			"latchkey_session=tok; Path=/; HttpOnly; SameSite=Lax"},
		{"https", "https://auth.example.com", "", short,
			"__Host-latchkey_session=tok; Path=/; HttpOnly; Secure; SameSite=Lax"},
		// A __Host- cookie may not have a Domain; __Secure- may.
		{"https, cookie domain", "https://auth.example.com", "example.com", remembered,
			"__Secure-latchkey_session=tok; Path=/; Domain=example.com; Max-Age=2592000; HttpOnly; Secure; SameSite=Lax"},
		{"http, cookie domain", "http://auth.localhost:8080", "localhost", short,
			"latchkey_session=tok; Path=/; Domain=localhost; HttpOnly; SameSite=Lax"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, _ := url.Parse(tt.base)
			rec := httptest.NewRecorder()
			New(u, tt.domain).Set(rec, "tok", tt.ss, now)
			if got := rec.Header().Get("Set-Cookie"); got != tt.want {
				t.Fatalf("Set-Cookie %q\nwant       %q", got, tt.want)
			}
		})
	}
	rec := httptest.NewRecorder()
	New(nil, "").Clear(rec)
	if got := rec.Header().Get("Set-Cookie"); !strings.Contains(got, "Max-Age=0") || !strings.HasPrefix(got, "latchkey_session=;") {
		t.Fatalf("clearing cookie %q", got)
	}
	// Clearing a cookie with a Domain must name it too, or the browser
	// keeps the cookie and the user stays logged in on the other hosts.
	rec = httptest.NewRecorder()
	https, _ := url.Parse("https://auth.example.com")
	New(https, "example.com").Clear(rec)
	if got := rec.Header().Get("Set-Cookie"); got != "__Secure-latchkey_session=; Path=/; Domain=example.com; Max-Age=0; HttpOnly; Secure; SameSite=Lax" {
		t.Fatalf("clearing cookie with a domain %q", got)
	}
}
