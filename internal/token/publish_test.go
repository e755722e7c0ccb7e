package token_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/storetest"
	"github.com/latchkey/latchkey/internal/token"
	"github.com/latchkey/latchkey/verify"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// onBothDatabases runs test on a fresh store of each database: the signing
// keys' shared state is their rows, and the rule that decides the signer
// must read the same from both.
func onBothDatabases(t *testing.T, test func(t *testing.T, st *store.Store)) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) { test(t, storetest.OpenBackend(t, backend)) })
	}
}

// waitToSign is how long after a rotation its key signs, with the default
// settings: the JWKS's max-age, and two reloads for the other instances
// to publish it.
const waitToSign = token.DefaultJWKSMaxAge + 2*token.DefaultReloadEvery

func TestRotatePublishesBeforeItSigns(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clock := authtest.NewClock()
		m := newManager(t, st, options(token.ES256, clock))
		oldKID := kidOf(t, issue(t, m, far))

		rot, err := m.Rotate(ctx)
		authtest.NoError(t, err)
		authtest.Equal(t, rot.SignsFrom, clock.Now().Add(waitToSign))
		authtest.Equal(t, storedKey(t, st, rot.KID).SignsFrom, rot.SignsFrom)
		if r := storedKey(t, st, oldKID); r.RetiredAt == nil || !r.RetiredAt.Equal(rot.SignsFrom) {
			t.Fatalf("old key retired at %v, want when the new one signs, %v", r.RetiredAt, rot.SignsFrom)
		}
		// Published at once, the signer first; the old key signs on.
		authtest.Equal(t, strings.Join(jwksKIDs(t, m.JWKS()), " "), oldKID+" "+rot.KID)
		authtest.Equal(t, kidOf(t, issue(t, m, far)), oldKID)
		// An instance started meanwhile agrees.
		clock.Advance(waitToSign - time.Second)
		authtest.Equal(t, kidOf(t, issue(t, newManager(t, st, options(token.ES256, clock)), far)), oldKID)
		authtest.Equal(t, kidOf(t, issue(t, m, far)), oldKID)

		// At SignsFrom the new key signs, without a reload.
		clock.Advance(time.Second)
		authtest.Equal(t, kidOf(t, issue(t, m, far)), rot.KID)
		authtest.Equal(t, strings.Join(jwksKIDs(t, m.JWKS()), " "), rot.KID+" "+oldKID)
		authtest.Equal(t, kidOf(t, issue(t, newManager(t, st, options(token.ES256, clock)), far)), rot.KID)

		// The old key stays published until its last token has expired.
		clock.Advance(token.RetiredFor(m) - time.Second)
		authtest.Equal(t, len(jwksKIDs(t, m.JWKS())), 2)
		clock.Advance(time.Second)
		authtest.Equal(t, strings.Join(jwksKIDs(t, m.JWKS()), " "), rot.KID)
	})
}

func TestRotateWaitsForTheConfiguredMaxAge(t *testing.T) {
	clock := authtest.NewClock()
	o := options(token.EdDSA, clock)
	o.JWKSMaxAge = time.Hour
	o.ReloadEvery = 10 * time.Second
	m := newManager(t, &memKeys{}, o)
	authtest.Equal(t, m.JWKSMaxAge(), time.Hour)
	rot, err := m.Rotate(context.Background())
	authtest.NoError(t, err)
	authtest.Equal(t, rot.SignsFrom, clock.Now().Add(time.Hour+20*time.Second))
}

func TestRotateNowSignsAtOnce(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clock := authtest.NewClock()
		m := newManager(t, st, options(token.ES256, clock))
		leaked := kidOf(t, issue(t, m, far))
		clock.Advance(time.Minute)
		pending, err := m.Rotate(ctx)
		authtest.NoError(t, err)

		// The key leaked meanwhile: rotate --now stops it and the pending
		// key, whose time has not come, at once.
		clock.Advance(time.Minute)
		rot, err := m.RotateNow(ctx)
		authtest.NoError(t, err)
		authtest.Equal(t, rot.SignsFrom, clock.Now())
		authtest.Equal(t, kidOf(t, issue(t, m, far)), rot.KID)
		for _, kid := range []string{leaked, pending.KID} {
			if r := storedKey(t, st, kid); r.RetiredAt == nil || !r.RetiredAt.Equal(clock.Now()) {
				t.Fatalf("%s retired at %v, want now", kid, r.RetiredAt)
			}
		}
		other := newManager(t, st, options(token.ES256, clock))
		authtest.Equal(t, kidOf(t, issue(t, other, far)), rot.KID)
		// Never again, on either: the pending key's time comes and goes.
		clock.Advance(waitToSign)
		authtest.Equal(t, kidOf(t, issue(t, m, far)), rot.KID)
		authtest.Equal(t, kidOf(t, issue(t, other, far)), rot.KID)
		// The leaked key is withdrawn RetiredFor after --now, not after
		// the pending rotation's time.
		clock.Advance(token.RetiredFor(m) - waitToSign)
		if slices.Contains(jwksKIDs(t, m.JWKS()), leaked) {
			t.Fatal("the leaked key is still published")
		}
	})
}

// TestManagersAgreeOnTheSigner: two instances on one database sign with
// the same key at every moment of a rotation, whichever made it, once the
// other has reloaded (as Run does within ReloadEvery).
func TestManagersAgreeOnTheSigner(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clock := authtest.NewClock()
		a := newManager(t, st, options(token.ES256, clock))
		b := newManager(t, st, options(token.ES256, clock))
		oldKID := kidOf(t, issue(t, a, far))
		rot, err := a.Rotate(ctx)
		authtest.NoError(t, err)
		clock.Advance(token.DefaultReloadEvery)
		authtest.NoError(t, b.Reload(ctx))
		if !slices.Contains(jwksKIDs(t, b.JWKS()), rot.KID) {
			t.Fatal("b does not publish the rotated key after a reload")
		}
		for range 2 * int(waitToSign/(10*time.Second)) {
			ka, kb := kidOf(t, issue(t, a, far)), kidOf(t, issue(t, b, far))
			if ka != kb {
				t.Fatalf("at %v: a signs with %s, b with %s", clock.Now(), ka, kb)
			}
			want := oldKID
			if !clock.Now().Before(rot.SignsFrom) {
				want = rot.KID
			}
			authtest.Equal(t, ka, want)
			clock.Advance(10 * time.Second)
		}
	})
}

// cachingVerifier is a service that verifies access tokens from the JWKS
// alone, as a careful but simple one does: it fetches the set over HTTP,
// keeps it for as long as Cache-Control's max-age says, and never fetches
// it early, not even for a kid it does not know.
type cachingVerifier struct {
	url     string
	now     func() time.Time
	parser  *verify.Parser
	keys    jose.JSONWebKeySet
	expires time.Time
	fetches int
}

func (v *cachingVerifier) verify(tok string) error {
	if now := v.now(); !now.Before(v.expires) {
		if err := v.fetch(now); err != nil {
			return err
		}
	}
	_, err := v.parser.Parse(tok, func(kid string) (any, error) {
		ks := v.keys.Key(kid)
		if len(ks) != 1 {
			return nil, fmt.Errorf("unknown kid %s", kid)
		}
		return ks[0].Key, nil
	})
	return err
}

func (v *cachingVerifier) fetch(now time.Time) error {
	res, err := http.Get(v.url)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	cc := res.Header.Get("Cache-Control")
	age, ok := strings.CutPrefix(cc, "public, max-age=")
	seconds, err := strconv.Atoi(age)
	if !ok || err != nil {
		return fmt.Errorf("JWKS Cache-Control %q", cc)
	}
	v.keys = jose.JSONWebKeySet{}
	if err := json.Unmarshal(body, &v.keys); err != nil {
		return err
	}
	v.expires = now.Add(time.Duration(seconds) * time.Second)
	v.fetches++
	return nil
}

// jwksServer serves m's JWKS as the API does: the document, cacheable for
// m's max-age.
func jwksServer(t *testing.T, m *token.Manager) string {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(m.JWKSMaxAge()/time.Second)))
		w.Write(m.JWKS())
	}))
	t.Cleanup(s.Close)
	return s.URL + "/.well-known/jwks.json"
}

// TestCachingVerifiersSurviveARotation drives two instances through a
// rotation made on one of them, while verifiers that cache the other's
// JWKS (fetched at every phase of its max-age and of the instances'
// reloads, the worst being just before the other instance reloads) verify
// every token either instance issues, when it is issued and again shortly
// before it expires.
func TestCachingVerifiersSurviveARotation(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clock := authtest.NewClock()
		const step = 10 * time.Second
		a := newManager(t, st, options(token.ES256, clock))
		b := newManager(t, st, options(token.ES256, clock))
		url := jwksServer(t, b)
		parser, err := verify.NewParser(verify.Rules{Alg: token.ES256, Issuer: issuer, Audience: audience, Now: clock.Now})
		authtest.NoError(t, err)

		// One verifier per phase: the first fetches now, the next two steps
		// later, and so on across one max-age.
		var verifiers []*cachingVerifier
		start := clock.Now()
		rotateAt := start.Add(time.Minute + step) // just after b's reload
		type issued struct {
			tok      string
			recheck  time.Time
			from     string
			signedAt time.Time
		}
		var pending []issued
		for clock.Now().Before(rotateAt.Add(waitToSign + 2*ttl)) {
			now := clock.Now()
			if since := now.Sub(start); since < token.DefaultJWKSMaxAge && since%(2*step) == 0 {
				verifiers = append(verifiers, &cachingVerifier{url: url, now: clock.Now, parser: parser})
			}
			if now.Equal(rotateAt) {
				_, err := a.Rotate(ctx)
				authtest.NoError(t, err)
			}
			// Each instance reloads every ReloadEvery, b just before the
			// rotation and so as late after it as it can.
			if now.Sub(start)%token.DefaultReloadEvery == 0 {
				authtest.NoError(t, a.Reload(ctx))
				authtest.NoError(t, b.Reload(ctx))
			}
			for name, m := range map[string]*token.Manager{"a": a, "b": b} {
				tok, exp, err := m.Issue(aliceID, sessionID, token.RoleUser, far)
				authtest.NoError(t, err)
				pending = append(pending, issued{tok, exp.Add(-step), name, now})
			}
			var later []issued
			for _, p := range pending {
				if p.recheck.After(now) && !p.signedAt.Equal(now) {
					later = append(later, p)
					continue
				}
				for i, v := range verifiers {
					if err := v.verify(p.tok); err != nil {
						t.Fatalf("at %v after the rotation, verifier %d (JWKS fetched %d times, cached until %v after it) refuses a token %s signed %v after it: %v",
							now.Sub(rotateAt), i, v.fetches, v.expires.Sub(rotateAt), p.from, p.signedAt.Sub(rotateAt), err)
					}
				}
				if p.signedAt.Equal(now) {
					later = append(later, p)
				}
			}
			pending = later
			clock.Advance(step)
		}
		// The old key's tokens have all expired and it is withdrawn: the
		// verifiers did meet tokens of both keys, and their rechecks ran
		// across its withdrawal.
		authtest.Equal(t, len(jwksKIDs(t, b.JWKS())), 1)
	})
}

// TestSignerRetiredWithoutSuccessorSignsOn: an instance configured for
// another algorithm rotated, so our key retires in a while with no key of
// ours to follow it. When the time comes the keys in memory keep signing,
// and reloads say that the store has none that may.
func TestSignerRetiredWithoutSuccessorSignsOn(t *testing.T) {
	clock := authtest.NewClock()
	ks := &memKeys{}
	m := newManager(t, ks, options(token.ES256, clock))
	kid := kidOf(t, issue(t, m, far))
	ks.mu.Lock()
	ks.rows[0].RetiredAt = new(clock.Now().Add(time.Minute))
	ks.mu.Unlock()
	authtest.NoError(t, m.Reload(context.Background()))

	clock.Advance(time.Minute)
	authtest.Equal(t, kidOf(t, issue(t, m, far)), kid)
	if err := m.Reload(context.Background()); err == nil {
		t.Fatal("Reload with no key that may sign succeeded")
	}
	authtest.Equal(t, kidOf(t, issue(t, m, far)), kid)
}
