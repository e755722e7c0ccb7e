package password

import (
	"context"
	"errors"
	"runtime"
	"testing"
)

func TestHasherHashNormalises(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(testParams, NewPool(2, 0))
	encoded, err := h.Hash(ctx, "ｐａｓｓｗｏｒｄ１２３")
	if err != nil {
		t.Fatal(err)
	}
	// The stored bytes are the NFKC form's, so any stack can check them.
	if ok, err := Verify("password123", encoded); !ok || err != nil {
		t.Errorf("Verify(NFKC form, Hasher hash) = %v, %v; want true, nil", ok, err)
	}
	tests := []struct {
		name, password string
		ok             bool
	}{
		{"typed full-width", "ｐａｓｓｗｏｒｄ１２３", true},
		{"typed ASCII", "password123", true},
		{"wrong", "password124", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(ctx, tt.password, encoded)
			if ok != tt.ok || rehash || err != nil {
				t.Errorf("Verify = %v, %v, %v; want %v, false, nil", ok, rehash, err, tt.ok)
			}
		})
	}
}

func TestHasherVerifyRehashOnNewParams(t *testing.T) {
	ctx := context.Background()
	old := NewHasher(testParams, nil)
	encoded, err := old.Hash(ctx, "hunter2")
	if err != nil {
		t.Fatal(err)
	}
	next := NewHasher(Params{MemoryKiB: 128, Time: 1, Threads: 1}, nil)
	if ok, rehash, err := next.Verify(ctx, "hunter2", encoded); !ok || !rehash || err != nil {
		t.Errorf("Verify with newer params = %v, %v, %v; want true, true, nil", ok, rehash, err)
	}
	if ok, rehash, err := next.Verify(ctx, "hunter3", encoded); ok || rehash || err != nil {
		t.Errorf("Verify(wrong) = %v, %v, %v; want false, false, nil", ok, rehash, err)
	}
	if got := next.Params(); got != (Params{MemoryKiB: 128, Time: 1, Threads: 1}) {
		t.Errorf("Params() = %+v", got)
	}
}

// TestHasherCancelled: a request whose client has gone starts no hash, and
// its error says why, so that the transport does not answer 503 for it.
func TestHasherCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h := NewHasher(testParams, NewPool(1, 0))
	encoded := mustHash(t, "pw", testParams)
	if _, err := h.Hash(ctx, "pw"); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash = %v, want context.Canceled", err)
	}
	if _, _, err := h.Verify(ctx, "pw", encoded); !errors.Is(err, context.Canceled) {
		t.Errorf("Verify = %v, want context.Canceled", err)
	}
	if err := h.VerifyDummy(ctx, "pw"); !errors.Is(err, context.Canceled) {
		t.Errorf("VerifyDummy = %v, want context.Canceled", err)
	}
}

// TestHasherBusy checks that a full pool answers ErrBusy for every kind of
// work, and that a stored hash that cannot be checked is reported as such
// without waiting for a slot.
func TestHasherBusy(t *testing.T) {
	ctx := context.Background()
	pool := NewPool(1, 0)
	h := NewHasher(testParams, pool)
	encoded := mustHash(t, "pw", testParams)
	holdSlot(t, pool)

	if _, err := h.Hash(ctx, "pw"); !errors.Is(err, ErrBusy) {
		t.Errorf("Hash = %v, want ErrBusy", err)
	}
	if _, _, err := h.Verify(ctx, "pw", encoded); !errors.Is(err, ErrBusy) {
		t.Errorf("Verify = %v, want ErrBusy", err)
	}
	if err := h.VerifyDummy(ctx, "pw"); !errors.Is(err, ErrBusy) {
		t.Errorf("VerifyDummy = %v, want ErrBusy", err)
	}
	if _, _, err := h.Verify(ctx, "pw", "garbage"); !errors.Is(err, ErrMalformed) {
		t.Errorf("Verify(malformed) = %v, want ErrMalformed", err)
	}
}

func TestHasherInvalidParams(t *testing.T) {
	h := NewHasher(Params{MemoryKiB: 64, Time: 1}, nil)
	if _, err := h.Hash(context.Background(), "pw"); !errors.Is(err, ErrLimits) {
		t.Errorf("Hash = %v, want ErrLimits", err)
	}
	if err := h.VerifyDummy(context.Background(), "pw"); !errors.Is(err, ErrLimits) {
		t.Errorf("VerifyDummy = %v, want ErrLimits", err)
	}
}

// allocated returns the bytes fn allocates. argon2 allocates its m KiB of
// blocks for every hash, so at m=1 MiB this counts the hashes fn computes
// without any hook in the code under test.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestVerifyDummyCostsAsMuchAsFailedVerify checks the timing defence by the
// work done rather than by the clock: for an unknown account VerifyDummy
// must compute as many hashes, at the same parameters, as a failed Verify
// of a real user, which is two when the password is not NFKC-stable.
func TestVerifyDummyCostsAsMuchAsFailedVerify(t *testing.T) {
	ctx := context.Background()
	p := Params{MemoryKiB: 1024, Time: 1, Threads: 1}
	h := NewHasher(p, nil)
	encoded, err := h.Hash(ctx, "the real password")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.VerifyDummy(ctx, "warm up"); err != nil {
		t.Fatal(err)
	}
	const hashBytes = 1024 * 1024
	tests := []struct {
		name       string
		password   string
		wantHashes uint64
	}{
		{"NFKC-stable", "wrong password", 1},
		{"not NFKC-stable", "ｗｒｏｎｇ", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			failed := allocated(func() {
				if ok, _, err := h.Verify(ctx, tt.password, encoded); ok || err != nil {
					t.Errorf("Verify = %v, %v; want false, nil", ok, err)
				}
			})
			dummy := allocated(func() {
				if err := h.VerifyDummy(ctx, tt.password); err != nil {
					t.Error(err)
				}
			})
			if got := failed / hashBytes; got != tt.wantHashes {
				t.Errorf("failed Verify computed %d hashes (%d bytes), want %d", got, failed, tt.wantHashes)
			}
			if got := dummy / hashBytes; got != tt.wantHashes {
				t.Errorf("VerifyDummy computed %d hashes (%d bytes), want %d", got, dummy, tt.wantHashes)
			}
		})
	}
}

func TestVerifyDummyNeverMatches(t *testing.T) {
	h := NewHasher(testParams, nil)
	d, err := h.dummyHash()
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := h.dummyHash(); again != d {
		t.Error("dummy hash built twice")
	}
	if NeedsRehash(d.String(), testParams) {
		t.Error("dummy hash is not at the current params, so it would cost less or more than a real one")
	}
	for _, pw := range []string{"", "password", "\x00"} {
		if d.matches(pw) {
			t.Errorf("dummy hash matches %q", pw)
		}
	}
}
