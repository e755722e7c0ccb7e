package password

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// vector is one hash made by another stack's tool; see testdata/README.md.
type vector struct {
	Name     string `json:"name"`
	Tool     string `json:"tool"`
	Password string `json:"password"`
	Hash     string `json:"hash"`
	Want     string `json:"want"` // "ok" or "unsupported"
	// Pepper is the one Devise appended to the password; the hash is
	// stored wrapped with it, as the import does.
	Pepper string `json:"pepper"`
}

// loadVectors reads the hashes of the stacks login verifies
// (legacy_vectors.json) and of those import accepts besides
// (import_vectors.json), with every Devise hash wrapped with its pepper.
func loadVectors(t testing.TB) []vector {
	t.Helper()
	var all []vector
	for _, file := range []string{"testdata/legacy_vectors.json", "testdata/import_vectors.json"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var vs []vector
		if err := json.Unmarshal(data, &vs); err != nil {
			t.Fatal(err)
		}
		if len(vs) == 0 {
			t.Fatalf("no vectors in %s", file)
		}
		all = append(all, vs...)
	}
	for i, v := range all {
		if v.Pepper == "" {
			continue
		}
		wrapped, err := WithPepper(v.Hash, v.Pepper)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		all[i].Hash = wrapped
	}
	return all
}

func findVector(t *testing.T, vs []vector, name string) vector {
	t.Helper()
	for _, v := range vs {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no vector %q", name)
	return vector{}
}

func TestVerifyLegacyVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			ok, err := Verify(v.Password, v.Hash)
			switch v.Want {
			case "ok":
				if err != nil || !ok {
					t.Fatalf("Verify(right password) = %v, %v; want true, nil (%s)", ok, err, v.Tool)
				}
			case "unsupported":
				if !errors.Is(err, ErrUnsupported) || ok {
					t.Fatalf("Verify = %v, %v; want false, ErrUnsupported", ok, err)
				}
				return
			default:
				t.Fatalf("vector wants %q", v.Want)
			}
			wrongs := []string{v.Password + "x", "x" + v.Password, strings.ToUpper(v.Password) + "?"}
			if len(v.Password) > 1 {
				wrongs = append(wrongs, v.Password[:len(v.Password)-1])
			}
			for _, wrong := range wrongs {
				if len(v.Password) >= 72 && strings.HasPrefix(wrong, v.Password[:72]) && strings.HasPrefix(v.Hash, "$2") {
					continue // bcrypt reads 72 bytes; see TestVerifyBcryptReads72Bytes
				}
				if ok, err := Verify(wrong, v.Hash); ok || err != nil {
					t.Errorf("Verify(%q) = %v, %v; want false, nil", wrong, ok, err)
				}
			}
			if !NeedsRehash(v.Hash, DefaultParams()) {
				t.Errorf("NeedsRehash(legacy hash, DefaultParams()) = false")
			}
		})
	}
}

// TestVerifyBcryptReads72Bytes pins the behaviour the imported users rely
// on: the bcrypt tools that wrote the hash ignored every byte after the
// 72nd, so a password that differs only there still logs in.
func TestVerifyBcryptReads72Bytes(t *testing.T) {
	v := findVector(t, loadVectors(t), "bcrypt 2b 100-byte password")
	tests := []struct {
		name     string
		password string
		want     bool
	}{
		{"as hashed", v.Password, true},
		{"first 72 bytes", v.Password[:72], true},
		{"tail changed after 72", v.Password[:72] + "different", true},
		{"71 bytes", v.Password[:71], false},
		{"byte 72 changed", v.Password[:71] + "x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ok, err := Verify(tt.password, v.Hash); ok != tt.want || err != nil {
				t.Errorf("Verify = %v, %v; want %v, nil", ok, err, tt.want)
			}
		})
	}
}

// TestHasherVerifyLegacyNormalisation follows the design's rule with real
// imported hashes: argon2 tries the NFKC form, then the raw bytes; bcrypt
// only the raw bytes; a match through the raw form asks for a rehash.
func TestHasherVerifyLegacyNormalisation(t *testing.T) {
	vs := loadVectors(t)
	// The same parameters as the argon2-cffi vectors below, so that rehash
	// can only come from the raw-form match.
	cffiParams := Params{MemoryKiB: 1024, Time: 2, Threads: 1}
	h := NewHasher(cffiParams, NewPool(1, 0))
	ctx := context.Background()

	tests := []struct {
		vector     string
		password   string
		ok, rehash bool
	}{
		{"argon2id basic", "correct horse battery staple", true, false},
		{"argon2id composed non-ASCII", "p\u00e4ssw\u00f6rd \u2713", true, false},
		{"argon2id full-width raw", "ｐａｓｓｗｏｒｄ１２３", true, true},
		// The NFKC form was never hashed by the other stack.
		{"argon2id full-width raw", "password123", false, false},
		{"argon2i decomposed raw", "cafe\u0301 latte", true, true},
		{"argon2i decomposed raw", "caf\u00e9 latte", false, false},
		{"argon2id ligature raw", "\ufb01nance \u00b2", true, true},
		{"bcrypt 2b", "correct horse battery staple", true, true},
		{"bcrypt 2b cost 5 full-width raw", "ｐａｓｓｗｏｒｄ１２３", true, true},
		// bcrypt hashes are checked against the raw bytes only.
		{"bcrypt 2b cost 5 full-width raw", "password123", false, false},
		{"bcrypt 2y full-width raw", "ｐａｓｓｗｏｒｄ１２３", true, true},
		{"bcrypt 2y", "correct horse battery staple", true, true},
		{"bcrypt 2a", "password", true, true},
		{"bcrypt 2a", "Password", false, false},
		// NFKC("ｐａｓｓｗｏｒｄ") is "password", but bcrypt is never
		// checked against the NFKC form.
		{"bcrypt 2a", "ｐａｓｓｗｏｒｄ", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.vector+"/"+tt.password, func(t *testing.T) {
			v := findVector(t, vs, tt.vector)
			ok, rehash, err := h.Verify(ctx, tt.password, v.Hash)
			if err != nil || ok != tt.ok || rehash != tt.rehash {
				t.Errorf("Verify = %v, %v, %v; want %v, %v, nil", ok, rehash, err, tt.ok, tt.rehash)
			}
		})
	}
}

// TestHasherUpgradesLegacyHash walks the login flow for an imported user
// whose password is not NFKC-stable: the legacy hash matches the raw bytes,
// the rehash is made from the NFKC form, and from then on both spellings
// log in without another rehash.
func TestHasherUpgradesLegacyHash(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(testParams, nil)
	for _, name := range []string{"argon2id full-width raw", "bcrypt 2y full-width raw"} {
		t.Run(name, func(t *testing.T) {
			v := findVector(t, loadVectors(t), name)
			if norm.NFKC.String(v.Password) == v.Password {
				t.Fatal("vector password is NFKC-stable; it tests nothing")
			}
			ok, rehash, err := h.Verify(ctx, v.Password, v.Hash)
			if !ok || !rehash || err != nil {
				t.Fatalf("Verify(legacy) = %v, %v, %v; want true, true, nil", ok, rehash, err)
			}
			upgraded, err := h.Hash(ctx, v.Password)
			if err != nil {
				t.Fatal(err)
			}
			for _, pw := range []string{v.Password, norm.NFKC.String(v.Password)} {
				ok, rehash, err := h.Verify(ctx, pw, upgraded)
				if !ok || rehash || err != nil {
					t.Errorf("Verify(%q, upgraded) = %v, %v, %v; want true, false, nil", pw, ok, rehash, err)
				}
			}
		})
	}
}
