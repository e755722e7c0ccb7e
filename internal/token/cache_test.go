package token_test

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/token"
)

func TestVerifyCachesVerifiedTokens(t *testing.T) {
	for _, alg := range []string{token.ES256, token.EdDSA, token.HS256} {
		t.Run(alg, func(t *testing.T) {
			clock := authtest.NewClock()
			m := newManager(t, &memKeys{}, options(alg, clock))
			tok := issue(t, m, far)
			first, err := m.Verify(tok)
			authtest.NoError(t, err)
			authtest.Equal(t, token.Misses(m), 1)
			for range 3 {
				again, err := m.Verify(tok)
				authtest.NoError(t, err)
				authtest.Equal(t, *again, *first)
			}
			authtest.Equal(t, token.Misses(m), 1)

			// A caller changing its claims does not change the cache's.
			first.Role = "admin"
			again, err := m.Verify(tok)
			authtest.NoError(t, err)
			authtest.Equal(t, again.Role, "user")
		})
	}
}

func TestVerifyRefusesACachedTokenOnceExpired(t *testing.T) {
	clock := authtest.NewClock()
	m := newManager(t, &memKeys{}, options(token.ES256, clock))
	tok, exp, err := m.Issue(aliceID, sessionID, token.RoleUser, far)
	authtest.NoError(t, err)
	_, err = m.Verify(tok)
	authtest.NoError(t, err)

	clock.Advance(exp.Sub(clock.Now()) - time.Second)
	_, err = m.Verify(tok)
	authtest.NoError(t, err)
	authtest.Equal(t, token.Misses(m), 1) // still a hit

	clock.Advance(time.Second) // now == exp
	_, err = m.Verify(tok)
	wantInvalid(t, err)
}

func TestCacheStaysWithinItsBound(t *testing.T) {
	const bound = 7
	clock := authtest.NewClock()
	o := options(token.EdDSA, clock)
	o.CacheSize = bound
	m := newManager(t, &memKeys{}, o)
	var toks []string
	for i := range 50 {
		tok := issue(t, m, far)
		toks = append(toks, tok)
		_, err := m.Verify(tok)
		authtest.NoError(t, err)
		if n := token.CacheLen(m); n > bound {
			t.Fatalf("after %d tokens the cache holds %d, more than %d", i+1, n, bound)
		}
		if i%10 == 9 {
			clock.Advance(5 * time.Minute) // some entries expire
		}
	}
	// Evicted tokens verify again the slow way.
	for _, tok := range toks[len(toks)-3:] {
		_, err := m.Verify(tok)
		authtest.NoError(t, err)
	}
}

func TestCacheOff(t *testing.T) {
	clock := authtest.NewClock()
	o := options(token.ES256, clock)
	o.CacheSize = -1
	m := newManager(t, &memKeys{}, o)
	tok := issue(t, m, far)
	for range 3 {
		_, err := m.Verify(tok)
		authtest.NoError(t, err)
	}
	authtest.Equal(t, token.Misses(m), 3)
}

// TestCachedTokenOfAWithdrawnKey shows that a hit is refused once the key
// that signed the token is no longer published, even if the token has not
// expired (such a token is a forgery with a stolen key, or signed by an
// instance that missed the rotation for longer than the grace period).
func TestCachedTokenOfAWithdrawnKey(t *testing.T) {
	e := newAttackEnv(t)
	long := e.es256(t, nil, map[string]any{"exp": far.Unix()})
	_, err := e.m.Verify(long)
	authtest.NoError(t, err)

	_, err = e.m.RotateNow(t.Context())
	authtest.NoError(t, err)
	_, err = e.m.Verify(long)
	authtest.NoError(t, err) // retired, still published

	e.clock.Advance(token.RetiredFor(e.m))
	misses := token.Misses(e.m)
	_, err = e.m.Verify(long)
	wantInvalid(t, err)
	if token.Misses(e.m) == misses {
		t.Fatal("answered from the cache")
	}
}
