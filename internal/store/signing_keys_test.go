package store_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

func testSigningKeys(t *testing.T, openStore func(*testing.T) *store.Store) {
	ctx := context.Background()
	s := openStore(t)

	keys, err := s.SigningKeys(ctx)
	authtest.NoError(t, err)
	authtest.Equal(t, len(keys), 0)

	// A time zone and nanoseconds go in; UTC to the microsecond comes out.
	zone := time.FixedZone("UTC+2", 2*60*60)
	t0 := time.Date(2026, 11, 26, 14, 0, 0, 123456789, zone)
	a := token.StoredKey{KID: "a", Alg: token.ES256, Private: []byte{0, 1, 2}, Public: []byte{3, 4}, CreatedAt: t0}
	b := token.StoredKey{KID: "b", Alg: token.EdDSA, Private: []byte{5}, Public: []byte{6}, Encrypted: true, CreatedAt: t0.Add(time.Second)}
	authtest.NoError(t, s.InsertSigningKey(ctx, b))
	authtest.NoError(t, s.InsertSigningKey(ctx, a))
	if err := s.InsertSigningKey(ctx, a); err == nil {
		t.Fatal("a duplicate kid was inserted")
	}

	keys, err = s.SigningKeys(ctx)
	authtest.NoError(t, err)
	authtest.Equal(t, len(keys), 2)
	for i, want := range []token.StoredKey{a, b} { // oldest first
		got := keys[i]
		authtest.Equal(t, got.KID, want.KID)
		authtest.Equal(t, got.Alg, want.Alg)
		authtest.Equal(t, got.Encrypted, want.Encrypted)
		if !bytes.Equal(got.Private, want.Private) || !bytes.Equal(got.Public, want.Public) {
			t.Fatalf("key %s: the bytes changed", want.KID)
		}
		authtest.Equal(t, got.CreatedAt, want.CreatedAt.UTC().Truncate(time.Microsecond))
		authtest.Equal(t, got.CreatedAt.Location(), time.UTC)
		if got.RetiredAt != nil {
			t.Fatalf("key %s is retired", want.KID)
		}
	}

	t1 := t0.Add(time.Hour)
	authtest.NoError(t, s.RetireSigningKeys(ctx, "b", t1))
	c := token.StoredKey{KID: "c", Alg: token.ES256, Private: []byte{7}, Public: []byte{8}, CreatedAt: t1}
	authtest.NoError(t, s.InsertSigningKey(ctx, c))
	t2 := t1.Add(time.Hour)
	authtest.NoError(t, s.RetireSigningKeys(ctx, "c", t2))

	keys, err = s.SigningKeys(ctx)
	authtest.NoError(t, err)
	retired := map[string]*time.Time{}
	for _, k := range keys {
		retired[k.KID] = k.RetiredAt
	}
	for _, tc := range []struct {
		kid  string
		want *time.Time
	}{
		{"a", &t1}, // not moved to t2 by the second rotation
		{"b", &t2},
		{"c", nil},
	} {
		t.Run(tc.kid, func(t *testing.T) {
			got := retired[tc.kid]
			switch {
			case tc.want == nil && got != nil:
				t.Fatalf("retired at %v", got)
			case tc.want != nil && got == nil:
				t.Fatal("not retired")
			case tc.want != nil && !got.Equal(tc.want.Truncate(time.Microsecond)):
				t.Fatalf("retired at %v, want %v", got, tc.want)
			case got != nil && got.Location() != time.UTC:
				t.Fatalf("retired_at in %v", got.Location())
			}
		})
	}
}

// TestSigningKeysServeAManager runs a token manager on the store: the keys
// survive a restart and a rotation is seen by a second manager.
func testSigningKeysServeAManager(t *testing.T, openStore func(*testing.T) *store.Store) {
	ctx := context.Background()
	s := openStore(t)
	clock := authtest.NewClock()
	o := token.Options{Issuer: "https://latchkey.example", Audience: "https://latchkey.example", Now: clock.Now}
	u := authtest.NewUser("alice", "alice@example.com", clock.Now())
	a, err := token.New(ctx, s, o)
	authtest.NoError(t, err)
	tok, _, err := a.Issue(u.ID, "session", string(u.Role), clock.Now().Add(time.Hour))
	authtest.NoError(t, err)
	b, err := token.New(ctx, s, o)
	authtest.NoError(t, err)
	_, err = b.Verify(tok)
	authtest.NoError(t, err)
	_, err = b.RotateNow(ctx)
	authtest.NoError(t, err)
	tok, _, err = b.Issue(u.ID, "session", string(u.Role), clock.Now().Add(time.Hour))
	authtest.NoError(t, err)
	_, err = a.Verify(tok)
	authtest.NoError(t, err)
}

// TestRetireSigningKeysKeepsTheNewest: two rotations at once each retire
// the keys older than their own, so the newer key survives whichever
// statement runs last, and an unknown kid retires nothing.
func testRetireSigningKeysKeepsTheNewest(t *testing.T, openStore func(*testing.T) *store.Store) {
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		order   []string // the kids whose rotations retire, in order
		created map[string]time.Time
		want    string // the one unretired kid
	}{
		{"newer last", []string{"x", "y"}, map[string]time.Time{"x": t0, "y": t0.Add(time.Microsecond)}, "y"},
		{"newer first", []string{"y", "x"}, map[string]time.Time{"x": t0, "y": t0.Add(time.Microsecond)}, "y"},
		{"same instant: the greater kid", []string{"y", "x"}, map[string]time.Time{"x": t0, "y": t0}, "y"},
		{"unknown kid", []string{"nope"}, map[string]time.Time{"x": t0}, "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := openStore(t)
			for kid, at := range tc.created {
				authtest.NoError(t, s.InsertSigningKey(ctx, token.StoredKey{KID: kid, Alg: token.ES256, Private: []byte{1}, Public: []byte{2}, CreatedAt: at}))
			}
			for _, kid := range tc.order {
				authtest.NoError(t, s.RetireSigningKeys(ctx, kid, t0.Add(time.Hour)))
			}
			keys, err := s.SigningKeys(ctx)
			authtest.NoError(t, err)
			var unretired []string
			for _, k := range keys {
				if k.RetiredAt == nil {
					unretired = append(unretired, k.KID)
				}
			}
			if len(unretired) != 1 || unretired[0] != tc.want {
				t.Fatalf("unretired %v, want [%s]", unretired, tc.want)
			}
		})
	}
}

// testSigningKeysSignsFrom: a key's signs_from round-trips (a zero one is
// its creation), and a retirement that lies ahead is brought forward by an
// earlier one but never pushed back by a later one.
func testSigningKeysSignsFrom(t *testing.T, openStore func(*testing.T) *store.Store) {
	ctx := context.Background()
	s := openStore(t)
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	ahead := t0.Add(5*time.Minute + 123456789)
	for _, k := range []token.StoredKey{
		{KID: "a", Alg: token.ES256, Private: []byte{1}, Public: []byte{2}, CreatedAt: t0},
		{KID: "b", Alg: token.ES256, Private: []byte{1}, Public: []byte{2}, CreatedAt: t0.Add(time.Second), SignsFrom: ahead},
		{KID: "c", Alg: token.ES256, Private: []byte{1}, Public: []byte{2}, CreatedAt: t0.Add(2 * time.Second)},
	} {
		authtest.NoError(t, s.InsertSigningKey(ctx, k))
	}
	signsFrom := func() map[string]time.Time {
		keys, err := s.SigningKeys(ctx)
		authtest.NoError(t, err)
		m := map[string]time.Time{}
		for _, k := range keys {
			m[k.KID] = k.SignsFrom
		}
		return m
	}()
	authtest.Equal(t, signsFrom["a"], t0)
	authtest.Equal(t, signsFrom["b"], ahead.Truncate(time.Microsecond))

	retiredAt := func(kid string) time.Time {
		t.Helper()
		keys, err := s.SigningKeys(ctx)
		authtest.NoError(t, err)
		for _, k := range keys {
			if k.KID == kid && k.RetiredAt != nil {
				return *k.RetiredAt
			}
		}
		t.Fatalf("%s is not retired", kid)
		return time.Time{}
	}
	later, sooner := t0.Add(10*time.Minute), t0.Add(time.Minute)
	authtest.NoError(t, s.RetireSigningKeys(ctx, "b", later)) // a rotation that waits
	authtest.Equal(t, retiredAt("a"), later)
	authtest.NoError(t, s.RetireSigningKeys(ctx, "c", sooner)) // then one --now
	authtest.Equal(t, retiredAt("a"), sooner)
	authtest.Equal(t, retiredAt("b"), sooner)
	authtest.NoError(t, s.RetireSigningKeys(ctx, "c", later)) // never pushed back
	authtest.Equal(t, retiredAt("a"), sooner)
}

// The signing-key tests run on both databases.
func TestSigningKeysOnBothDatabases(t *testing.T) {
	for name, open := range map[string]func(*testing.T) *store.Store{"sqlite": openSQLite, "postgres": openPostgres} {
		t.Run(name, func(t *testing.T) {
			t.Run("RoundTrip", func(t *testing.T) { testSigningKeys(t, open) })
			t.Run("ServeAManager", func(t *testing.T) { testSigningKeysServeAManager(t, open) })
			t.Run("RetireKeepsTheNewest", func(t *testing.T) { testRetireSigningKeysKeepsTheNewest(t, open) })
			t.Run("SignsFrom", func(t *testing.T) { testSigningKeysSignsFrom(t, open) })
		})
	}
}
