package password

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestPrehashedBcryptCountsEveryByte: bcrypt_sha256 exists so that a
// password longer than bcrypt's 72 bytes counts in full; a change past the
// 72nd byte must fail, unlike with bare bcrypt.
func TestPrehashedBcryptCountsEveryByte(t *testing.T) {
	vs := loadVectors(t)
	for _, name := range []string{
		"django bcrypt_sha256 100-byte password",
		"passlib bcrypt_sha256 v2 100-byte password",
		"passlib bcrypt_sha256 v1 2b",
	} {
		t.Run(name, func(t *testing.T) {
			v := findVector(t, vs, name)
			if len(v.Password) <= 72 {
				t.Fatal("vector password fits in bcrypt's 72 bytes; it tests nothing")
			}
			for pw, want := range map[string]bool{
				v.Password:                   true,
				v.Password[:72]:              false,
				v.Password[:72] + "changed!": false,
				v.Password[:99] + "x":        false,
			} {
				if ok, err := Verify(pw, v.Hash); ok != want || err != nil {
					t.Errorf("Verify(%d bytes) = %v, %v; want %v, nil", len(pw), ok, err, want)
				}
			}
		})
	}
}

// TestWithPepper: Devise hashed password+pepper with bcrypt, which reads
// 72 bytes, so only the pepper's first 72 bytes are kept, and with a
// 70-byte password only its first two ever counted.
func TestWithPepper(t *testing.T) {
	vs := loadVectors(t)
	v := findVector(t, vs, "devise pepper 70-byte password")
	raw := v.Hash[strings.LastIndex(v.Hash, "$2a$"):]
	if len(v.Password) != 70 || len(v.Pepper) <= MaxPepperLen {
		t.Fatal("vector does not have a 70-byte password and a pepper longer than 72 bytes")
	}
	if strings.Contains(v.Hash, b64.EncodeToString([]byte(v.Pepper))) ||
		!strings.Contains(v.Hash, "$"+b64.EncodeToString([]byte(v.Pepper[:MaxPepperLen]))+"$") {
		t.Errorf("wrapped hash %q does not keep exactly the pepper's first %d bytes", v.Hash, MaxPepperLen)
	}
	for _, tt := range []struct {
		name   string
		pepper string
		want   bool
	}{
		{"whole pepper", v.Pepper, true},
		{"the two bytes read", v.Pepper[:2], true},
		{"one byte short", v.Pepper[:1], false},
		{"another pepper", "x" + v.Pepper[1:], false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wrapped, err := WithPepper(raw, tt.pepper)
			if err != nil {
				t.Fatal(err)
			}
			if ok, err := Verify(v.Password, wrapped); ok != tt.want || err != nil {
				t.Errorf("Verify = %v, %v; want %v, nil", ok, err, tt.want)
			}
		})
	}
	// Without its pepper the hash is a bare bcrypt string no password
	// alone matches.
	if ok, err := Verify(v.Password, raw); ok || err != nil {
		t.Errorf("Verify(bare Devise hash) = %v, %v; want false, nil", ok, err)
	}

	for _, tt := range []struct {
		name, encoded, pepper string
	}{
		{"empty pepper", raw, ""},
		{"NUL in pepper", raw, "pep\x00per"},
		{"argon2 hash", fuzzArgon2, "pepper"},
		{"django bcrypt_sha256", findVector(t, vs, "django bcrypt_sha256").Hash, "pepper"},
		{"already peppered", v.Hash, "pepper"},
		{"bcrypt cost 31", withBcryptCost("31"), "pepper"},
		{"not a hash", "pepper", "pepper"},
	} {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			if got, err := WithPepper(tt.encoded, tt.pepper); err == nil {
				t.Errorf("WithPepper = %q, nil; want an error", got)
			}
		})
	}
}

// TestImportedHashesAlwaysRehash: a hash from another stack is replaced
// on the first login even when its parameters are the current ones, so
// that, in the end, every row is Latchkey's own argon2id.
func TestImportedHashesAlwaysRehash(t *testing.T) {
	// The Django argon2 vectors' own parameters.
	h := NewHasher(Params{MemoryKiB: 256, Time: 1, Threads: 1}, nil)
	for _, v := range loadVectors(t) {
		if v.Want != "ok" || strings.HasPrefix(v.Hash, "$argon2") {
			continue // a PHC string with the current parameters may be Latchkey's own
		}
		t.Run(v.Name, func(t *testing.T) {
			if err := Check(v.Hash); err != nil {
				t.Fatalf("Check: %v", err)
			}
			ok, rehash, err := h.Verify(context.Background(), v.Password, v.Hash)
			if !ok || !rehash || err != nil {
				t.Errorf("Verify = %v, %v, %v; want true, true, nil", ok, rehash, err)
			}
		})
	}
}

// TestImportedHashesUseRawPassword: the stacks imports come from hashed
// the password as typed; its NFKC form is never tried against their
// hashes, Django's argon2 included.
func TestImportedHashesUseRawPassword(t *testing.T) {
	h := NewHasher(testParams, nil)
	for _, v := range loadVectors(t) {
		if !strings.HasSuffix(v.Name, "full-width raw") || strings.HasPrefix(v.Hash, "$argon2") || strings.HasPrefix(v.Hash, "$2") {
			continue
		}
		t.Run(v.Name, func(t *testing.T) {
			ok, rehash, err := h.Verify(context.Background(), v.Password, v.Hash)
			if !ok || !rehash || err != nil {
				t.Errorf("Verify(raw) = %v, %v, %v; want true, true, nil", ok, rehash, err)
			}
			if ok, _, err := h.Verify(context.Background(), "password123", v.Hash); ok || err != nil {
				t.Errorf("Verify(NFKC form) = %v, %v; want false, nil", ok, err)
			}
		})
	}
}

func TestCheckRefusesHostileHashes(t *testing.T) {
	for _, tt := range hostileHashes {
		if err := Check(tt.encoded); !errors.Is(err, tt.want) {
			t.Errorf("%s: Check = %v, want %v", tt.name, err, tt.want)
		}
	}
}
