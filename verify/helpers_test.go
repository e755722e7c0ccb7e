package verify_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"github.com/latchkey/latchkey/verify"
)

const (
	issuer   = "https://latchkey.example"
	audience = "https://api.example"
	aliceID  = "0194f2a0-7a4e-7cc3-9d6e-0a1b2c3d4e5f"
	sidA     = "0194f2a0-7a4e-7cc3-9d6e-0a1b2c3d4e60"
)

// fakeLatchkey is the part of Latchkey a Verifier talks to: a JWK Set at
// /.well-known/jwks.json, and tokens signed as Latchkey signs them. It
// counts the fetches and can be taken down or told to rotate, so that the
// tests see what the cache does. (cmd/latchkey's tests run the same
// checks against the real server.)
type fakeLatchkey struct {
	srv    *httptest.Server
	alg    string
	issuer string // its base URL (srv.URL) unless set
	now    func() time.Time

	mu        sync.Mutex
	keys      map[string]crypto.Signer
	published []string          // the kids in the JWK Set, in order
	labels    map[string]string // a JWK's alg, if not the fake's
	fetches   int
	down      bool
	headers   []http.Header // of every fetch
}

// startFakeLatchkey serves a JWK Set with one key of alg, kid "k1".
func startFakeLatchkey(alg string) *fakeLatchkey {
	f := &fakeLatchkey{alg: alg, now: time.Now, keys: map[string]crypto.Signer{}, labels: map[string]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serveJWKS))
	f.issuer = f.srv.URL
	f.addKey("k1")
	return f
}

func (f *fakeLatchkey) Close() { f.srv.Close() }

// URL is the fake's base URL: LATCHKEY_BASE_URL, the tokens' issuer.
func (f *fakeLatchkey) URL() string { return f.srv.URL }

// AccessToken is what Latchkey's token endpoint gives alice: a token
// signed with the current key.
func (f *fakeLatchkey) AccessToken() string { return f.token("k1", nil) }

func (f *fakeLatchkey) serveJWKS(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fetches++
	f.headers = append(f.headers, r.Header.Clone())
	if f.down || r.URL.Path != "/.well-known/jwks.json" {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, kid := range f.published {
		alg := f.alg
		if l := f.labels[kid]; l != "" {
			alg = l
		}
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: f.keys[kid].Public(), KeyID: kid, Algorithm: alg, Use: "sig"})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	json.NewEncoder(w).Encode(set)
}

// addKey makes a key of the fake's algorithm and publishes it.
func (f *fakeLatchkey) addKey(kid string) {
	var (
		k   crypto.Signer
		err error
	)
	switch f.alg {
	case verify.EdDSA:
		_, k, err = ed25519.GenerateKey(rand.Reader)
	default:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		panic(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[kid] = k
	f.published = append(f.published, kid)
}

// withdraw stops publishing kid; its private key stays, to sign with.
func (f *fakeLatchkey) withdraw(kid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.published = slices.DeleteFunc(f.published, func(k string) bool { return k == kid })
}

func (f *fakeLatchkey) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

func (f *fakeLatchkey) fetchCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fetches
}

func (f *fakeLatchkey) lastHeader() http.Header {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.headers[len(f.headers)-1]
}

// claims are the claims of a token Latchkey would issue to alice now,
// changed by set (a nil value deletes the claim).
func (f *fakeLatchkey) claims(set map[string]any) jwt.MapClaims {
	now := f.now()
	c := jwt.MapClaims{
		"iss": f.issuer, "aud": f.issuer, "sub": aliceID, "sid": sidA, "role": verify.RoleUser,
		"iat": now.Unix(), "exp": now.Add(15 * time.Minute).Unix(), "jti": "0194f2a0-7a4e-7cc3-9d6e-0a1b2c3d4e61",
	}
	for k, v := range set {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// token signs alice's claims, changed by set, with kid's key under the
// header Latchkey writes.
func (f *fakeLatchkey) token(kid string, set map[string]any) string {
	f.mu.Lock()
	k := f.keys[kid]
	f.mu.Unlock()
	if k == nil {
		panic("no key " + kid)
	}
	method := jwt.SigningMethod(jwt.SigningMethodES256)
	if f.alg == verify.EdDSA {
		method = jwt.SigningMethodEdDSA
	}
	return sign(method, k, map[string]any{"kid": kid}, f.claims(set))
}

// sign signs c with method and key under a Latchkey header (typ at+jwt),
// changed by header (a nil value deletes the member).
func sign(method jwt.SigningMethod, key any, header map[string]any, c jwt.MapClaims) string {
	t := jwt.NewWithClaims(method, c)
	t.Header["typ"] = "at+jwt"
	for k, v := range header {
		if v == nil {
			delete(t.Header, k)
		} else {
			t.Header[k] = v
		}
	}
	s, err := t.SignedString(key)
	if err != nil {
		panic(err)
	}
	return s
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// wantInvalid fails unless err is verify.ErrInvalid, possibly wrapped.
func wantInvalid(t testing.TB, err error) {
	t.Helper()
	if !errors.Is(err, verify.ErrInvalid) {
		t.Fatalf("got error %v, want verify.ErrInvalid", err)
	}
}

// noError fails the test on err.
func noError(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
