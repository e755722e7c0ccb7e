package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
	"github.com/latchkey/latchkey/internal/token/tokentest"
	"github.com/latchkey/latchkey/verify"
)

// freeAddr returns a loopback address with a port nothing listens on, for
// a server that must know its URL (its tokens' issuer) before it starts.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// countingTransport counts the requests a Verifier makes for the JWK Set.
type countingTransport struct {
	mu sync.Mutex
	n  int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (c *countingTransport) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// skewedClock is the real time plus a skew the test can add to, so that
// the Verifier's 30-second floor between fetches passes without waiting.
type skewedClock struct {
	mu   sync.Mutex
	skew time.Duration
}

func (c *skewedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.skew)
}

func (c *skewedClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.skew += d
}

// login registers name on the server at base and returns an access token
// from the password grant.
func login(t *testing.T, base, name string) string {
	t.Helper()
	status, p := tokenRequest(t, base, neturl.Values{"grant_type": {"password"}, "username": {name}, "password": {testPassword}})
	if status != http.StatusOK || p.AccessToken == "" {
		t.Fatalf("password grant for %s: %d", name, status)
	}
	return p.AccessToken
}

// getBody GETs url and returns the body, failing unless the answer is 200.
func getBody(t *testing.T, url string) []byte {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, res.StatusCode, err)
	}
	return b
}

// TestVerifyPackage runs the public verify package against a real
// Latchkey: it accepts the server's tokens, refuses every attack the
// server's own verifier refuses (the same table, and the server is asked
// too), follows a `latchkey keys rotate --now` without being made again,
// and goes on with its keys while the server is down.
func TestVerifyPackage(t *testing.T) {
	addr := freeAddr(t)
	getenv := testEnv(t, "LATCHKEY_ADDR", addr)
	base, stop := startServer(t, getenv)
	if base != "http://"+addr {
		t.Fatalf("the server listens at %s, not %s", base, addr)
	}
	register(t, base, "alice")
	good := login(t, base, "alice")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fetches := &countingTransport{}
	clock := &skewedClock{}
	logs := &syncBuffer{}
	// The issuer URL is all a service needs: LATCHKEY_BASE_URL, here the
	// default http:// and the listen address.
	v, err := verify.New(ctx, base, verify.WithHTTPClient(&http.Client{Transport: fetches}), verify.WithClock(clock.Now),
		verify.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(ctx, good)
	if err != nil {
		t.Fatalf("the server's token: %v", err)
	}
	if want := payload(t, good); c.UserID != want.Sub || c.SessionID != want.Sid || c.Role != verify.RoleUser {
		t.Fatalf("claims %+v, want user %s in session %s", c, want.Sub, want.Sid)
	}
	wantFetches := func(n int) {
		t.Helper()
		if got := fetches.count(); got != n {
			t.Fatalf("%d fetches of the JWK Set, want %d", got, n)
		}
	}
	wantFetches(1)

	db, err := store.Open(ctx, getenv("LATCHKEY_DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	t.Run("attacks", func(t *testing.T) {
		kid := header(t, good).Kid
		keys, err := db.SigningKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var priv *ecdsa.PrivateKey
		for _, k := range keys {
			if k.KID == kid {
				p, err := x509.ParsePKCS8PrivateKey(k.Private)
				if err != nil {
					t.Fatal(err)
				}
				priv = p.(*ecdsa.PrivateKey)
			}
		}
		if priv == nil {
			t.Fatalf("no stored key %s", kid)
		}
		forge := &tokentest.Forger{Key: priv, KID: kid, Good: good, Now: time.Now(), JWKS: getBody(t, base+"/.well-known/jwks.json")}

		// The baseline every forgery departs from passes both, or the
		// refusals below would prove nothing.
		baseline := forge.ES256(t, nil, nil)
		if _, err := v.Verify(ctx, baseline); err != nil {
			t.Fatalf("the package refuses the baseline: %v", err)
		}
		if got := me(t, base, baseline); got != http.StatusOK {
			t.Fatalf("the server answers the baseline %d", got)
		}

		for _, a := range tokentest.Attacks(t, forge) {
			t.Run(a.Name, func(t *testing.T) {
				c, err := v.Verify(ctx, a.Token)
				if c != nil || !errors.Is(err, verify.ErrInvalid) {
					t.Fatalf("the package: %+v, %v", c, err)
				}
				if !strings.Contains(err.Error(), a.Why) {
					t.Fatalf("the package refused for %q, want %q", err, a.Why)
				}
				want := http.StatusUnauthorized
				if len(a.Token) > 64<<10 { // over the server's header limit
					want = http.StatusRequestHeaderFieldsTooLarge
				}
				if got := me(t, base, a.Token); got != want {
					t.Fatalf("the server answers %d, want %d", got, want)
				}
			})
		}
		// The unknown kids came within the floor of New's fetch.
		wantFetches(1)
	})

	t.Run("middleware", func(t *testing.T) {
		service := httptest.NewServer(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if c := verify.ClaimsFrom(r.Context()); c != nil {
				fmt.Fprint(w, c.UserID)
			}
		}), verify.Public("/healthz")))
		defer service.Close()
		call := func(path, tok string) (int, string, string) {
			req, _ := http.NewRequest("GET", service.URL+path, nil)
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			return res.StatusCode, res.Header.Get("WWW-Authenticate"), string(body)
		}
		if status, _, body := call("/orders", good); status != 200 || body != payload(t, good).Sub {
			t.Fatalf("with the server's token: %d %q", status, body)
		}
		if status, challenge, _ := call("/orders", ""); status != 401 || challenge != `Bearer realm="latchkey"` {
			t.Fatalf("without a token: %d %q", status, challenge)
		}
		if status, challenge, _ := call("/orders", good+"x"); status != 401 || challenge != `Bearer realm="latchkey", error="invalid_token"` {
			t.Fatalf("with a bad token: %d %q", status, challenge)
		}
		if status, _, _ := call("/healthz", ""); status != 200 {
			t.Fatalf("a public path: %d", status)
		}
	})

	t.Run("rotation", func(t *testing.T) {
		oldKID := header(t, good).Kid
		if _, _, err := runCmd(t, getenv, "", "keys", "rotate", "--now"); err != nil {
			t.Fatal(err)
		}
		// A token of the new key, as another instance signs once it has
		// reloaded; it makes this server reload (an unknown kid) and so
		// publish the new key at once rather than within 30 s.
		signer, err := token.New(ctx, db, token.Options{Alg: token.ES256, Issuer: base, Audience: base, TTL: time.Minute, Now: time.Now})
		if err != nil {
			t.Fatal(err)
		}
		claims := payload(t, good)
		rotated, _, err := signer.Issue(claims.Sub, claims.Sid, token.RoleUser, time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		newKID := header(t, rotated).Kid
		if newKID == oldKID {
			t.Fatal("the token after rotation is signed with the old key")
		}
		// The server reloads for an unknown kid at most once per five
		// seconds, and the attacks above had it reload just now.
		for deadline := time.Now().Add(10 * time.Second); me(t, base, rotated) != http.StatusOK; time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the server still refuses the rotated key's token")
			}
		}
		jwks := string(getBody(t, base+"/.well-known/jwks.json"))
		if !strings.Contains(jwks, `"kid":"`+newKID+`"`) || !strings.Contains(jwks, `"kid":"`+oldKID+`"`) {
			t.Fatalf("the server publishes %s; want the new key %s and the old %s", jwks, newKID, oldKID)
		}

		// Past the floor of the last fetch, the first token of the new
		// key makes the same Verifier fetch the set once more.
		clock.Advance(verify.UnknownKIDRefetchFloor)
		if _, err := v.Verify(ctx, rotated); err != nil {
			t.Fatalf("the rotated key's token: %v", err)
		}
		wantFetches(2)
		// The server itself now signs with the new key, and the old key's
		// tokens verify while it is published.
		fresh := login(t, base, "alice")
		if header(t, fresh).Kid != newKID {
			t.Fatalf("the server signs with %s after the rotation, not %s", header(t, fresh).Kid, newKID)
		}
		for name, tok := range map[string]string{"a new login's token": fresh, "the old key's token": good} {
			if _, err := v.Verify(ctx, tok); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		wantFetches(2)
	})

	t.Run("server down", func(t *testing.T) {
		unseen := login(t, base, "alice") // not in the Verifier's cache of tokens
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		clock.Advance(verify.UnknownKIDRefetchFloor)
		if _, err := v.Verify(ctx, unseen); err != nil {
			t.Fatalf("a good token while the server is down: %v", err)
		}
		// An unknown kid now tries a fetch, which fails at once; the keys
		// stay.
		n := fetches.count()
		_, err = v.Verify(ctx, tokenWithKID(t, good, "no-such-key"))
		if !errors.Is(err, verify.ErrInvalid) {
			t.Fatalf("an unknown kid while the server is down: %v", err)
		}
		wantFetches(n + 1)
		if !strings.Contains(logs.String(), "connection refused") {
			t.Fatalf("the failed fetch is not in the log:\n%s", logs)
		}
		if _, err := v.Verify(ctx, good); err != nil {
			t.Fatalf("a good token after a failed fetch: %v", err)
		}
	})
}

// tokenWithKID is tok with its header's kid replaced (and so a signature
// that no longer matches, which does not matter for a kid nobody knows).
func tokenWithKID(t *testing.T, tok, kid string) string {
	t.Helper()
	var h map[string]any
	segs := strings.SplitN(tok, ".", 2)
	decodeSegment(t, segs[0], &h)
	h["kid"] = kid
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b) + "." + segs[1]
}

// TestVerifyPackageOtherAlgorithms: the package verifies the tokens of a
// Latchkey that signs with EdDSA, and, given the secret, with HS256.
func TestVerifyPackageOtherAlgorithms(t *testing.T) {
	secret := strings.Repeat("s", 40)
	for _, tc := range []struct {
		alg  string
		env  []string
		opts []verify.Option
	}{
		{verify.EdDSA, []string{"LATCHKEY_JWT_ALG", "EdDSA"}, []verify.Option{verify.WithAlgorithm(verify.EdDSA)}},
		{verify.HS256, []string{"LATCHKEY_JWT_ALG", "HS256", "LATCHKEY_JWT_SECRET", secret}, []verify.Option{verify.WithSecret([]byte(secret))}},
	} {
		t.Run(tc.alg, func(t *testing.T) {
			addr := freeAddr(t)
			base, _ := startServer(t, testEnv(t, append(tc.env, "LATCHKEY_ADDR", addr)...))
			register(t, base, "alice")
			good := login(t, base, "alice")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			v, err := verify.New(ctx, base, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.Verify(ctx, good); err != nil {
				t.Fatalf("the server's token: %v", err)
			}
			// An ES256 verifier refuses to start on this server: no key
			// for its algorithm, rather than every token refused later.
			if _, err := verify.New(ctx, base); err == nil {
				t.Fatal("an ES256 verifier started against a server that signs with " + tc.alg)
			}
		})
	}
}
