package verify_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/latchkey/latchkey/verify"
)

func newVerifier(t testing.TB, url string, opts ...verify.Option) *verify.Verifier {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // ends the background refresh
	v, err := verify.New(ctx, url, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

func TestVerifyAcceptsLatchkeysTokens(t *testing.T) {
	for _, alg := range []string{verify.ES256, verify.EdDSA} {
		t.Run(alg, func(t *testing.T) {
			f := startFakeLatchkey(alg)
			defer f.Close()
			v := newVerifier(t, f.srv.URL+"/", verify.WithAlgorithm(alg)) // a trailing slash is no other issuer
			c, err := v.Verify(context.Background(), f.token("k1", map[string]any{"role": verify.RoleAdmin}))
			noError(t, err)
			want := verify.Claims{
				ID: "0194f2a0-7a4e-7cc3-9d6e-0a1b2c3d4e61", UserID: aliceID, SessionID: sidA, Role: verify.RoleAdmin,
				IssuedAt: time.Unix(f.now().Unix(), 0).UTC(), ExpiresAt: time.Unix(f.now().Add(15*time.Minute).Unix(), 0).UTC(),
			}
			if c.ID != want.ID || c.UserID != want.UserID || c.SessionID != want.SessionID || c.Role != want.Role {
				t.Fatalf("claims %+v, want %+v", c, want)
			}
			if d := c.ExpiresAt.Sub(c.IssuedAt); d != 15*time.Minute {
				t.Fatalf("claims run %v from iat to exp", d)
			}
			if got := f.fetchCount(); got != 1 {
				t.Fatalf("%d fetches of the JWK Set, want the one New made", got)
			}
		})
	}
}

func TestNewRefusesWhatWouldNotWork(t *testing.T) {
	f := startFakeLatchkey(verify.ES256)
	defer f.Close()
	gone := startFakeLatchkey(verify.ES256)
	gone.Close()
	secret := []byte("0123456789abcdef0123456789abcdef")
	for _, tc := range []struct {
		name string
		url  string
		opts []verify.Option
		why  string
	}{
		{"no issuer", "", nil, "not an http:// or https:// URL"},
		{"an issuer without a scheme", "latchkey.example", nil, "not an http:// or https:// URL"},
		{"another scheme", "ftp://latchkey.example", nil, "not an http:// or https:// URL"},
		{"Latchkey unreachable", gone.srv.URL, nil, "fetch the JWK Set"},
		{"no JWK Set at the URL", f.srv.URL, []verify.Option{verify.WithJWKSURL(f.srv.URL + "/jwks")}, "fetch the JWK Set"},
		{"no key for the algorithm", f.srv.URL, []verify.Option{verify.WithAlgorithm(verify.EdDSA)}, "has no EdDSA key"},
		{"alg none", f.srv.URL, []verify.Option{verify.WithAlgorithm("none")}, `unsupported algorithm "none"`},
		{"RS256", f.srv.URL, []verify.Option{verify.WithAlgorithm("RS256")}, `unsupported algorithm "RS256"`},
		{"HS256 without the secret", f.srv.URL, []verify.Option{verify.WithAlgorithm(verify.HS256)}, "use WithSecret"},
		{"a secret for ES256", f.srv.URL, []verify.Option{verify.WithAlgorithm(verify.ES256), verify.WithSecret(secret)}, "a secret is for HS256"},
		{"a short secret", f.srv.URL, []verify.Option{verify.WithSecret(secret[:31])}, "31 bytes; want at least 32"},
		{"no refresh", f.srv.URL, []verify.Option{verify.WithRefreshInterval(0)}, "refresh interval"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := verify.New(context.Background(), tc.url, tc.opts...)
			if err == nil || v != nil {
				t.Fatalf("New succeeded")
			}
			if !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("New: %v, want it to say %q", err, tc.why)
			}
		})
	}
}

// TestVerifyRefusesWhatLatchkeyRefuses covers the Verifier's own part:
// keys from the JWK Set and the options. Every attack Latchkey's own
// verifier refuses is run against the Verifier and a real Latchkey in
// cmd/latchkey's TestVerifyPackage; these are the few that make sense
// without one, and the ones about the JWK Set.
func TestVerifyRefusesWhatLatchkeyRefuses(t *testing.T) {
	clk := newClock()
	f := startFakeLatchkey(verify.ES256)
	defer f.Close()
	f.now = clk.Now
	v := newVerifier(t, f.srv.URL, verify.WithClock(clk.Now))
	good := f.token("k1", nil)
	pub := f.keys["k1"].Public().(*ecdsa.PublicKey)
	der, err := x509.MarshalPKIXPublicKey(pub)
	noError(t, err)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})

	for _, tc := range []struct {
		name  string
		v     *verify.Verifier
		token string
		why   string
	}{
		{"alg none", v, sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, map[string]any{"kid": "k1"}, f.claims(nil)), "signing method none is invalid"},
		{"HS256 keyed with the public key", v, sign(jwt.SigningMethodHS256, pemKey, map[string]any{"kid": "k1"}, f.claims(nil)), "signing method HS256 is invalid"},
		{"wrong iss", v, f.token("k1", map[string]any{"iss": "https://evil.example"}), "invalid issuer"},
		{"wrong aud", v, f.token("k1", map[string]any{"aud": audience}), "invalid audience"},
		{"expired", v, f.token("k1", map[string]any{"exp": clk.Now().Unix()}), "token is expired"},
		{"no typ", v, sign(jwt.SigningMethodES256, f.keys["k1"], map[string]any{"kid": "k1", "typ": nil}, f.claims(nil)), "typ is not at+jwt"},
		{"unknown kid", v, sign(jwt.SigningMethodES256, f.keys["k1"], map[string]any{"kid": "k9"}, f.claims(nil)), "unknown or withdrawn kid"},
		{"tampered", v, good[:strings.IndexByte(good, '.')+1] + jwtSegment(t, f.claims(map[string]any{"role": "admin"})) + good[strings.LastIndexByte(good, '.'):], "verification error"},
		{"oversized", v, strings.Repeat("A", verify.MaxLen+1), "longer than 4096 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.v.Verify(context.Background(), tc.token)
			if c != nil {
				t.Fatalf("accepted: %+v", c)
			}
			wantInvalid(t, err)
			if !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("refused for %q, want %q", err, tc.why)
			}
		})
	}
	if _, err := v.Verify(context.Background(), good); err != nil {
		t.Fatalf("the good token after the attacks: %v", err)
	}
}

// TestAJWKOfAnotherAlgIsNotUsed publishes an Ed25519 key under alg ES256
// beside a proper one: the key must not verify an EdDSA token, whatever
// its type, since the JWK says it is not for that.
func TestAJWKOfAnotherAlgIsNotUsed(t *testing.T) {
	f := startFakeLatchkey(verify.EdDSA)
	defer f.Close()
	f.addKey("k2")
	f.labels["k2"] = verify.ES256
	v := newVerifier(t, f.srv.URL, verify.WithAlgorithm(verify.EdDSA))
	if _, err := v.Verify(context.Background(), f.token("k1", nil)); err != nil {
		t.Fatalf("a token of the proper key: %v", err)
	}
	_, err := v.Verify(context.Background(), f.token("k2", nil))
	wantInvalid(t, err)
	if !strings.Contains(err.Error(), "the JWK is for ES256, not EdDSA") {
		t.Fatalf("refused for %q", err)
	}
}

// jwtSegment encodes claims as a JWT's payload segment.
func jwtSegment(t *testing.T, c jwt.MapClaims) string {
	t.Helper()
	b, err := json.Marshal(c)
	noError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestUnknownKIDFetchesAgainWithAFloor: a key rotated in at once is
// fetched for the first token it signed; made-up kids cause at most one
// fetch per UnknownKIDRefetchFloor.
func TestUnknownKIDFetchesAgainWithAFloor(t *testing.T) {
	clk := newClock()
	f := startFakeLatchkey(verify.ES256)
	defer f.Close()
	f.now = clk.Now
	v := newVerifier(t, f.srv.URL, verify.WithClock(clk.Now))
	old := f.token("k1", nil)
	fetches := func(want int) {
		t.Helper()
		if got := f.fetchCount(); got != want {
			t.Fatalf("%d fetches of the JWK Set, want %d", got, want)
		}
	}
	made := func(kid string) string {
		return sign(jwt.SigningMethodES256, f.keys["k1"], map[string]any{"kid": kid}, f.claims(nil))
	}

	// Within the floor of New's fetch, even a real new key waits.
	f.addKey("k2")
	_, err := v.Verify(context.Background(), f.token("k2", nil))
	wantInvalid(t, err)
	fetches(1)

	// After it, the new key's first token brings it in; the old key's
	// tokens still verify while it is published.
	clk.Advance(verify.UnknownKIDRefetchFloor)
	if _, err := v.Verify(context.Background(), f.token("k2", nil)); err != nil {
		t.Fatalf("a token of the rotated key: %v", err)
	}
	fetches(2)
	if _, err := v.Verify(context.Background(), old); err != nil {
		t.Fatalf("a token of the old key: %v", err)
	}
	fetches(2)

	// A flood of made-up kids: one fetch per floor.
	for i := range 50 {
		_, err := v.Verify(context.Background(), made("garbage-"+string(rune('a'+i%26))))
		wantInvalid(t, err)
	}
	fetches(2)
	clk.Advance(verify.UnknownKIDRefetchFloor - time.Second)
	_, err = v.Verify(context.Background(), made("garbage"))
	wantInvalid(t, err)
	fetches(2)
	clk.Advance(time.Second)
	for range 50 {
		_, err := v.Verify(context.Background(), made("garbage"))
		wantInvalid(t, err)
	}
	fetches(3)
}

// TestConcurrentUnknownKIDShareOneFetch: the requests that meet a new kid
// together wait for one fetch, and all get the key.
func TestConcurrentUnknownKIDShareOneFetch(t *testing.T) {
	clk := newClock()
	f := startFakeLatchkey(verify.ES256)
	defer f.Close()
	f.now = clk.Now
	v := newVerifier(t, f.srv.URL, verify.WithClock(clk.Now))
	clk.Advance(verify.UnknownKIDRefetchFloor)
	f.addKey("k2")
	tok := f.token("k2", nil)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 20 {
		wg.Go(func() {
			<-start
			if _, err := v.Verify(context.Background(), tok); err != nil {
				t.Errorf("a token of the new key: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if got := f.fetchCount(); got != 2 {
		t.Fatalf("%d fetches of the JWK Set, want New's and one more", got)
	}
}

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("waited five seconds for %s", what)
}

// TestBackgroundRefresh: the set is fetched again on the interval, so a
// withdrawn key stops verifying (even the tokens in the cache) and a new
// one is there before its first token, without a fetch on the request's
// path.
func TestBackgroundRefresh(t *testing.T) {
	clk := newClock()
	f := startFakeLatchkey(verify.ES256)
	defer f.Close()
	f.now = clk.Now
	v := newVerifier(t, f.srv.URL, verify.WithClock(clk.Now), verify.WithRefreshInterval(10*time.Millisecond))
	old := f.token("k1", nil)
	if _, err := v.Verify(context.Background(), old); err != nil { // and so in the cache
		t.Fatal(err)
	}
	f.addKey("k2")
	f.withdraw("k1")
	n := f.fetchCount()
	waitFor(t, "two background fetches", func() bool { return f.fetchCount() >= n+2 })

	n = f.fetchCount()
	if _, err := v.Verify(context.Background(), f.token("k2", nil)); err != nil {
		t.Fatalf("a token of the new key: %v", err)
	}
	_, err := v.Verify(context.Background(), old)
	wantInvalid(t, err)
	// Neither needed a fetch of its own (the floor would have allowed none
	// anyway: no time has passed on the clock).
	if got := f.fetchCount(); got > n+2 {
		t.Fatalf("%d fetches while verifying two tokens", got-n)
	}
}

// TestKeepsTheKeysWhileLatchkeyIsDown: failed fetches leave the keys in
// place, and say so in the log.
func TestKeepsTheKeysWhileLatchkeyIsDown(t *testing.T) {
	clk := newClock()
	f := startFakeLatchkey(verify.ES256)
	defer f.Close()
	f.now = clk.Now
	var logs syncBuffer
	v := newVerifier(t, f.srv.URL, verify.WithClock(clk.Now), verify.WithRefreshInterval(10*time.Millisecond),
		verify.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	tok := f.token("k1", nil)
	f.setDown(true)
	n := f.fetchCount()
	waitFor(t, "two failed fetches", func() bool { return f.fetchCount() >= n+2 })
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("a good token while Latchkey is down: %v", err)
	}
	// An unknown kid tries once, fails, and is refused without waiting long.
	clk.Advance(verify.UnknownKIDRefetchFloor)
	start := time.Now()
	_, err := v.Verify(context.Background(), sign(jwt.SigningMethodES256, f.keys["k1"], map[string]any{"kid": "k9"}, f.claims(nil)))
	wantInvalid(t, err)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("an unknown kid took %v while Latchkey was down", d)
	}
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("a good token after a failed unknown-kid fetch: %v", err)
	}
	waitFor(t, "a log line", func() bool {
		return strings.Contains(logs.String(), "fetching the JWK Set failed; the keys fetched before stay in use")
	})
	f.setDown(false)
}

func TestHS256WithSecret(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	f := startFakeLatchkey(verify.ES256) // for its claims; nothing is fetched
	defer f.Close()
	v := newVerifier(t, f.srv.URL, verify.WithSecret(secret))
	tok := sign(jwt.SigningMethodHS256, secret, map[string]any{"kid": verify.SecretKID(secret)}, f.claims(nil))
	c, err := v.Verify(context.Background(), tok)
	noError(t, err)
	if c.UserID != aliceID {
		t.Fatalf("claims %+v", c)
	}
	for name, bad := range map[string]string{
		"another secret": sign(jwt.SigningMethodHS256, []byte("another secret of thirty-two bytes"), map[string]any{"kid": verify.SecretKID(secret)}, f.claims(nil)),
		"another kid":    sign(jwt.SigningMethodHS256, secret, map[string]any{"kid": "k1"}, f.claims(nil)),
		"an ES256 token": f.token("k1", nil),
	} {
		_, err := v.Verify(context.Background(), bad)
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		wantInvalid(t, err)
	}
	if got := f.fetchCount(); got != 0 {
		t.Fatalf("%d fetches in HS256 mode", got)
	}
}

// TestOptionsForAnotherNetwork: a service that reaches Latchkey at an
// internal address, through its own client, for tokens of the public
// issuer and its own audience.
func TestOptionsForAnotherNetwork(t *testing.T) {
	f := startFakeLatchkey(verify.ES256)
	defer f.Close()
	f.issuer = issuer
	client := &http.Client{Transport: headerTransport{"X-Test", "through the given client"}}
	v := newVerifier(t, issuer, verify.WithJWKSURL(f.srv.URL+"/.well-known/jwks.json"), verify.WithHTTPClient(client), verify.WithAudience(audience))
	if got := f.lastHeader().Get("X-Test"); got != "through the given client" {
		t.Fatalf("the fetch did not go through the given client (X-Test %q)", got)
	}
	if _, err := v.Verify(context.Background(), f.token("k1", map[string]any{"aud": []string{"https://other.example", audience}})); err != nil {
		t.Fatalf("a token for the audience: %v", err)
	}
	_, err := v.Verify(context.Background(), f.token("k1", nil)) // aud is the issuer, not ours
	wantInvalid(t, err)
}

type headerTransport struct{ name, value string }

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(h.name, h.value)
	return http.DefaultTransport.RoundTrip(r)
}

// syncBuffer is a bytes.Buffer that a logger in another goroutine may
// write while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestVerifyCachesVerifiedTokens(t *testing.T) {
	clk := newClock()
	f := startFakeLatchkey(verify.ES256)
	defer f.Close()
	f.now = clk.Now
	v := newVerifier(t, f.srv.URL, verify.WithClock(clk.Now))
	tok := f.token("k1", nil)
	first, err := v.Verify(context.Background(), tok)
	noError(t, err)
	for range 3 {
		again, err := v.Verify(context.Background(), tok)
		noError(t, err)
		if *again != *first {
			t.Fatalf("from the cache %+v, first %+v", again, first)
		}
	}
	if got := verify.Misses(v); got != 1 {
		t.Fatalf("%d of 4 verifications parsed the token, want 1", got)
	}
	// A caller changing its claims does not change the cache's.
	first.Role = verify.RoleAdmin
	again, err := v.Verify(context.Background(), tok)
	noError(t, err)
	if again.Role != verify.RoleUser {
		t.Fatalf("the cache gave role %s", again.Role)
	}
	// A cached token expires as any other.
	clk.Advance(first.ExpiresAt.Sub(clk.Now()))
	_, err = v.Verify(context.Background(), tok)
	wantInvalid(t, err)

	off := newVerifier(t, f.srv.URL, verify.WithClock(clk.Now), verify.WithCacheSize(-1))
	fresh := f.token("k1", nil)
	for range 3 {
		_, err := off.Verify(context.Background(), fresh)
		noError(t, err)
	}
	if got := verify.Misses(off); got != 3 {
		t.Fatalf("without the cache %d of 3 verifications parsed the token", got)
	}
}
