package password

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

// testParams keep hashing cheap in tests; the algorithm is the same.
var testParams = Params{MemoryKiB: 64, Time: 1, Threads: 1}

func mustHash(t *testing.T, password string, p Params) string {
	t.Helper()
	encoded, err := Hash(password, p)
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	return encoded
}

func TestHashVerifyRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		password string
		params   Params
	}{
		{"ascii", "correct horse battery staple", testParams},
		{"empty", "", testParams},
		{"non-ASCII kept as bytes", "ｐａｓｓｗｏｒｄ１２３", testParams},
		{"four lanes", "Tr0ub4dor&3", Params{MemoryKiB: 128, Time: 2, Threads: 4}},
		{"256 characters", strings.Repeat("é", 256), testParams},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			encoded := mustHash(t, tt.password, tt.params)
			ok, err := Verify(tt.password, encoded)
			if err != nil || !ok {
				t.Fatalf("Verify(right password) = %v, %v; want true, nil", ok, err)
			}
			for _, wrong := range []string{tt.password + "x", strings.ToUpper(tt.password) + "!", "password"} {
				ok, err := Verify(wrong, encoded)
				if err != nil || ok {
					t.Errorf("Verify(%q) = %v, %v; want false, nil", wrong, ok, err)
				}
			}
			if NeedsRehash(encoded, tt.params) {
				t.Errorf("NeedsRehash with the params it was made with = true")
			}
		})
	}
}

func TestHashSaltsDiffer(t *testing.T) {
	a, b := mustHash(t, "same", testParams), mustHash(t, "same", testParams)
	if a == b {
		t.Fatalf("two hashes of one password are equal: the salt is not random")
	}
}

func TestHashPHCFormat(t *testing.T) {
	p := Params{MemoryKiB: 96, Time: 3, Threads: 2}
	encoded := mustHash(t, "hunter2", p)

	fields := strings.Split(encoded, "$")
	if len(fields) != 6 || fields[0] != "" {
		t.Fatalf("%q: want $id$v$params$salt$key", encoded)
	}
	if fields[1] != "argon2id" || fields[2] != "v=19" || fields[3] != "m=96,t=3,p=2" {
		t.Fatalf("header = %q, want $argon2id$v=19$m=96,t=3,p=2$", strings.Join(fields[:4], "$"))
	}
	if strings.ContainsAny(fields[4]+fields[5], "=-_") {
		t.Errorf("salt or key not unpadded standard base64: %q", fields[4:])
	}
	salt, err := base64.RawStdEncoding.DecodeString(fields[4])
	if err != nil || len(salt) != 16 {
		t.Fatalf("salt: %d bytes, %v; want 16", len(salt), err)
	}
	key, err := base64.RawStdEncoding.DecodeString(fields[5])
	if err != nil || len(key) != 32 {
		t.Fatalf("key: %d bytes, %v; want 32", len(key), err)
	}
	// Computed independently of the package, from the fields alone.
	if want := argon2.IDKey([]byte("hunter2"), salt, 3, 96, 2, 32); !bytes.Equal(key, want) {
		t.Errorf("key is not argon2id(password, salt, t=3, m=96, p=2)")
	}
}

func TestHashRefusesParamsBeyondLimits(t *testing.T) {
	tests := []struct {
		name string
		p    Params
	}{
		{"zero", Params{}},
		{"no threads", Params{MemoryKiB: 64, Time: 1}},
		{"no time", Params{MemoryKiB: 64, Threads: 1}},
		{"memory below 8 per thread", Params{MemoryKiB: 31, Time: 1, Threads: 4}},
		{"memory above max", Params{MemoryKiB: MaxMemoryKiB + 1, Time: 1, Threads: 1}},
		{"time above max", Params{MemoryKiB: 64, Time: MaxTime + 1, Threads: 1}},
		{"threads above max", Params{MemoryKiB: 1024, Time: 1, Threads: MaxThreads + 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.p.Validate(); !errors.Is(err, ErrLimits) {
				t.Errorf("Validate = %v, want ErrLimits", err)
			}
			if _, err := Hash("pw", tt.p); !errors.Is(err, ErrLimits) {
				t.Errorf("Hash = %v, want ErrLimits", err)
			}
		})
	}
	for _, p := range []Params{DefaultParams(), testParams, {MemoryKiB: MaxMemoryKiB, Time: MaxTime, Threads: MaxThreads}, {MemoryKiB: 8 * MaxThreads, Time: 1, Threads: MaxThreads}} {
		if err := p.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v, want nil", p, err)
		}
	}
}

func TestDefaultParams(t *testing.T) {
	if got, want := DefaultParams(), (Params{MemoryKiB: 19456, Time: 2, Threads: 1}); got != want {
		t.Errorf("DefaultParams() = %+v, want %+v", got, want)
	}
}

func TestNeedsRehash(t *testing.T) {
	current := testParams
	made := mustHash(t, "pw", current)
	// A hash made with current params but another salt or key length, as
	// another stack may write it.
	h, err := decodeArgon2(made)
	if err != nil {
		t.Fatal(err)
	}
	shortSalt := *h
	shortSalt.salt = h.salt[:8]
	longKey := *h
	longKey.key = append(bytes.Clone(h.key), h.key...)
	argon2i := *h
	argon2i.id = argon2iName

	tests := []struct {
		name    string
		encoded string
		want    bool
	}{
		{"current", made, false},
		{"other memory", mustHash(t, "pw", Params{MemoryKiB: 128, Time: 1, Threads: 1}), true},
		{"other time", mustHash(t, "pw", Params{MemoryKiB: 64, Time: 2, Threads: 1}), true},
		{"other threads", mustHash(t, "pw", Params{MemoryKiB: 64, Time: 1, Threads: 2}), true},
		{"argon2i", argon2i.String(), true},
		{"8-byte salt", shortSalt.String(), true},
		{"64-byte key", longKey.String(), true},
		{"bcrypt", "$2b$04$C8HrFOwuPi1wVafbESc07uc1oTsH9bzv2LhXDa/KqC6fZuxuNsZjO", true},
		{"malformed", "not a hash", true},
		{"beyond limits", strings.Replace(made, "m=64", "m=4294967295", 1), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NeedsRehash(tt.encoded, current); got != tt.want {
				t.Errorf("NeedsRehash = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestLimitConstants pins the exported limits, which the configuration
// package uses to validate settings.
func TestLimitConstants(t *testing.T) {
	tests := []struct {
		name      string
		got, want int
	}{
		{"MaxMemoryKiB", MaxMemoryKiB, 262144},
		{"MinMemoryKiBPerThread", MinMemoryKiBPerThread, 8},
		{"MinTime", MinTime, 1},
		{"MaxTime", MaxTime, 16},
		{"MinThreads", MinThreads, 1},
		{"MaxThreads", MaxThreads, 16},
		{"MinSaltLen", MinSaltLen, 8},
		{"MaxSaltLen", MaxSaltLen, 64},
		{"MinKeyLen", MinKeyLen, 16},
		{"MaxKeyLen", MaxKeyLen, 128},
		{"MinBcryptCost", MinBcryptCost, 4},
		{"MaxBcryptCost", MaxBcryptCost, 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("%s = %d, want %d", tt.name, tt.got, tt.want)
			}
		})
	}
}
