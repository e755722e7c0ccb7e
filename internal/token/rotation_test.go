package token_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/token"
)

func TestRotate(t *testing.T) {
	for _, alg := range []string{token.ES256, token.EdDSA} {
		t.Run(alg, func(t *testing.T) {
			ctx := context.Background()
			clock := authtest.NewClock()
			st := openStore(t)
			m := newManager(t, st, options(alg, clock))
			old := issue(t, m, far)
			oldKID := kidOf(t, old)

			rot, err := m.RotateNow(ctx)
			authtest.NoError(t, err)
			kid := rot.KID
			if kid == oldKID {
				t.Fatal("Rotate kept the kid")
			}
			authtest.Equal(t, kidOf(t, issue(t, m, far)), kid)
			if r := storedKey(t, st, oldKID); r.RetiredAt == nil || !r.RetiredAt.Equal(clock.Now()) {
				t.Fatalf("old key retired at %v, want %v", r.RetiredAt, clock.Now())
			}
			if !storedKey(t, st, kid).CreatedAt.After(storedKey(t, st, oldKID).CreatedAt) {
				t.Fatal("the new key is not the newest")
			}
			if r := storedKey(t, st, kid); r.RetiredAt != nil {
				t.Fatal("the new key is retired")
			}
			authtest.Equal(t, strings.Join(jwksKIDs(t, m.JWKS()), " "), kid+" "+oldKID)

			// Old tokens verify: on m, and on a fresh manager whose cache
			// has never seen them.
			fresh := newManager(t, st, options(alg, clock))
			for _, v := range []*token.Manager{m, fresh} {
				_, err := v.Verify(old)
				authtest.NoError(t, err)
			}

			// Until the old key's last token has expired it is published.
			clock.Advance(token.RetiredFor(m) - time.Second)
			authtest.Equal(t, len(jwksKIDs(t, m.JWKS())), 2)
			clock.Advance(time.Second)
			authtest.Equal(t, strings.Join(jwksKIDs(t, m.JWKS()), " "), kid)
			_, err = fresh.Verify(old)
			wantInvalid(t, err)
			if !strings.Contains(err.Error(), "kid") {
				t.Fatalf("refused for %v; want the withdrawn kid", err)
			}
			// A reload does not bring it back.
			authtest.NoError(t, m.Reload(ctx))
			authtest.Equal(t, strings.Join(jwksKIDs(t, m.JWKS()), " "), kid)
		})
	}
}

// TestRetiredForCoversTheLastToken shows why a retired key stays published
// longer than the TTL: another instance may sign with it until it reloads.
func TestRetiredForCoversTheLastToken(t *testing.T) {
	clock := authtest.NewClock()
	st := openStore(t)
	a := newManager(t, st, options(token.ES256, clock))
	b := newManager(t, st, options(token.ES256, clock))
	_, err := a.RotateNow(context.Background())
	authtest.NoError(t, err)

	// b has not reloaded yet and signs with the retired key, a little
	// before its next reload.
	clock.Advance(token.DefaultReloadEvery - time.Second)
	late, exp, err := b.Issue(aliceID, sessionID, token.RoleUser, far)
	authtest.NoError(t, err)
	clock.Advance(exp.Sub(clock.Now()) - time.Second)
	_, err = a.Verify(late)
	authtest.NoError(t, err)
}

func TestRotationOnAnotherInstanceVerifiesAtOnce(t *testing.T) {
	ctx := context.Background()
	clock := authtest.NewClock()
	st := openStore(t)
	a := newManager(t, st, options(token.ES256, clock))
	b := newManager(t, st, options(token.ES256, clock))
	before := issue(t, b, far)

	rot, err := a.RotateNow(ctx)
	authtest.NoError(t, err)
	kid := rot.KID
	tok := issue(t, a, far)
	authtest.Equal(t, kidOf(t, tok), kid)

	// b has not reloaded, but the unknown kid makes it.
	_, err = b.Verify(tok)
	authtest.NoError(t, err)
	if !slices.Contains(jwksKIDs(t, b.JWKS()), kid) {
		t.Fatal("b does not publish the new key")
	}
	authtest.Equal(t, kidOf(t, issue(t, b, far)), kid)
	_, err = a.Verify(before)
	authtest.NoError(t, err)
}

func TestUnknownKIDReloadsAreRateLimited(t *testing.T) {
	e := newAttackEnv(t)
	reads := e.ks.readCount()
	for i := range 100 {
		_, err := e.m.Verify(e.es256(t, map[string]any{"kid": "made-up-" + string(rune('a'+i%26))}, nil))
		wantInvalid(t, err)
	}
	authtest.Equal(t, e.ks.readCount(), reads+1)

	e.clock.Advance(5 * time.Second)
	_, err := e.m.Verify(e.es256(t, map[string]any{"kid": "made-up-again"}, nil))
	wantInvalid(t, err)
	authtest.Equal(t, e.ks.readCount(), reads+2)

	// Known kids never read the store.
	_, err = e.m.Verify(e.es256(t, nil, map[string]any{"jti": "another"}))
	authtest.NoError(t, err)
	authtest.Equal(t, e.ks.readCount(), reads+2)
}

// TestInstancesStartingAtOnce: both insert a key; both are published and
// the newest signs.
func TestInstancesStartingAtOnce(t *testing.T) {
	clock := authtest.NewClock()
	shared := &memKeys{}
	a := newManager(t, shared, options(token.EdDSA, clock))
	fromA := issue(t, a, far)

	clock.Advance(time.Millisecond)
	elsewhere := &memKeys{}
	newManager(t, elsewhere, options(token.EdDSA, clock))
	authtest.NoError(t, shared.InsertSigningKey(context.Background(), elsewhere.rows[0]))

	authtest.NoError(t, a.Reload(context.Background()))
	authtest.Equal(t, kidOf(t, issue(t, a, far)), elsewhere.rows[0].KID)
	authtest.Equal(t, len(jwksKIDs(t, a.JWKS())), 2)
	_, err := a.Verify(fromA)
	authtest.NoError(t, err)
}

func TestRunFollowsTheStore(t *testing.T) {
	clock := authtest.NewClock()
	ks := &memKeys{}
	o := options(token.ES256, clock)
	o.ReloadEvery = 5 * time.Millisecond
	a := newManager(t, ks, o)
	b := newManager(t, ks, o)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	eventually := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !ok(); {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 5 s", what)
			}
			time.Sleep(time.Millisecond)
		}
	}
	rot, err := a.RotateNow(context.Background())
	authtest.NoError(t, err)
	eventually("b signs with the rotated key", func() bool { return kidOf(t, issue(t, b, far)) == rot.KID })

	ks.setFail(errors.New("database down"))
	eventually("b reports the failing reload", func() bool { return b.ReloadErr() != nil })
	_, err = b.Verify(issue(t, b, far)) // the keys in memory still work
	authtest.NoError(t, err)
	ks.setFail(nil)
	eventually("b recovers", func() bool { return b.ReloadErr() == nil })
}

func TestRunInHS256ModeWaitsForTheEnd(t *testing.T) {
	m := newManager(t, nil, options(token.HS256, authtest.NewClock()))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	cancel()
	<-done
	authtest.NoError(t, m.Reload(ctx))
}

func TestReloadWithoutASigningKeyKeepsTheKeys(t *testing.T) {
	clock := authtest.NewClock()
	ks := &memKeys{}
	m := newManager(t, ks, options(token.ES256, clock))
	kid := kidOf(t, issue(t, m, far))
	// Someone retired every key (say, an instance configured for EdDSA
	// rotated): keep signing with what we have and say so.
	ks.mu.Lock()
	for i := range ks.rows {
		ks.rows[i].RetiredAt = new(clock.Now())
	}
	ks.mu.Unlock()
	if err := m.Reload(context.Background()); err == nil {
		t.Fatal("Reload without an unretired key succeeded")
	}
	if m.ReloadErr() == nil {
		t.Fatal("ReloadErr is nil after a failed reload")
	}
	authtest.Equal(t, kidOf(t, issue(t, m, far)), kid)
}

// TestConcurrentUse is for the race detector.
func TestConcurrentUse(t *testing.T) {
	clock := authtest.NewClock()
	st := openStore(t)
	o := options(token.EdDSA, clock)
	o.CacheSize = 20
	m := newManager(t, st, o)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				tok, _, err := m.Issue(aliceID, sessionID, token.RoleUser, far)
				if err != nil {
					t.Error(err)
					return
				}
				for range 3 {
					if _, err := m.Verify(tok); err != nil {
						t.Error(err)
						return
					}
				}
				_ = m.JWKS()
			}
		})
	}
	wg.Go(func() {
		for range 5 {
			if _, err := m.Rotate(ctx); err != nil {
				t.Error(err)
			}
			if err := m.Reload(ctx); err != nil {
				t.Error(err)
			}
			clock.Advance(time.Minute)
		}
	})
	wg.Wait()
}

// TestRotateWithAClockBehind: the instance that made the current key had
// a clock ahead of ours; the rotation must still win.
func TestRotateWithAClockBehind(t *testing.T) {
	ahead := authtest.NewClock()
	ahead.Advance(time.Minute)
	ks := &memKeys{}
	a := newManager(t, ks, options(token.ES256, ahead))
	old := kidOf(t, issue(t, a, far))

	behind := authtest.NewClock()
	b := newManager(t, ks, options(token.ES256, behind))
	rot, err := b.RotateNow(context.Background())
	authtest.NoError(t, err)
	kid := rot.KID
	authtest.Equal(t, kidOf(t, issue(t, b, far)), kid)
	if storedKey(t, ks, old).RetiredAt == nil {
		t.Fatal("the rotation did not retire the key from the clock ahead")
	}
	authtest.NoError(t, a.Reload(context.Background()))
	authtest.Equal(t, kidOf(t, issue(t, a, far)), kid)
}
