package password

import (
	"errors"
	"strings"
	"testing"
)

// Hashes of fuzzPassword with cheap parameters, made by Hash and by
// golang.org/x/crypto/bcrypt: the seeds a fuzzer mutates.
const (
	fuzzPassword = "correct horse battery"
	fuzzArgon2   = "$argon2id$v=19$m=64,t=1,p=1$LJBgDHYTsqccFSw1jTHFlQ$JHVKlereUPjWj0KaDLIXNTGKoBnaK2YeBHkXCBtvw1k"
	fuzzBcrypt   = "$2a$04$zdSwSs2jTG88gyGlCAPZKun6RVb4Y8C5bK0IGvL2f1DYzxh3hgoCC"
)

// FuzzDecode treats the stored hash as what it is, untrusted data, and
// checks what decode promises before any hashing: a refusal wraps one of
// the three errors Verify documents; an accepted argon2 or PBKDF2 hash is
// within every limit and spelled exactly as String writes it (one spelling
// per hash); an accepted bcrypt hash, bare or wrapped, has a cost within
// the limits. Where the decoded parameters are cheap it also verifies, and
// checks that only the real password against an unchanged hash is ever
// accepted.
func FuzzDecode(f *testing.F) {
	f.Add(fuzzArgon2, fuzzPassword)
	f.Add(fuzzBcrypt, fuzzPassword)
	f.Add("$2y"+fuzzBcrypt[3:], fuzzPassword)
	f.Add(fuzzArgon2, fuzzPassword+"x")
	f.Add(strings.Replace(fuzzArgon2, "argon2id", "argon2i", 1), fuzzPassword)
	f.Add(okBcrypt, "")
	for _, h := range hostileHashes {
		f.Add(h.encoded, fuzzPassword)
	}
	// The other stacks' formats, as their libraries wrote them: the
	// fuzzer may accept only these passwords against these hashes.
	imported := make(map[string]string)
	for _, v := range loadVectors(f) {
		if v.Want == "ok" && !strings.HasPrefix(v.Hash, "$argon2") && !strings.HasPrefix(v.Hash, "$2") {
			imported[v.Hash] = v.Password
			f.Add(v.Hash, v.Password)
			f.Add(v.Hash, v.Password+"x")
		}
	}
	f.Fuzz(func(t *testing.T, encoded, pw string) {
		s, err := decode(encoded)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrLimits) {
				t.Fatalf("decode(%q): %v wraps none of the documented errors", encoded, err)
			}
			if !NeedsRehash(encoded, DefaultParams()) {
				t.Fatalf("NeedsRehash(%q) is false for a hash that does not decode", encoded)
			}
			if ok, verr := Verify(pw, encoded); ok || verr == nil {
				t.Fatalf("Verify(%q, %q) = %v, %v for a hash that does not decode", pw, encoded, ok, verr)
			}
			return
		}
		cheap := false
		switch h := s.(type) {
		case *argon2Hash:
			if h.memory > MaxMemoryKiB || h.time < MinTime || h.time > MaxTime ||
				h.threads < MinThreads || h.threads > MaxThreads || h.memory < MinMemoryKiBPerThread*uint32(h.threads) {
				t.Fatalf("decode(%q) accepted m=%d t=%d p=%d", encoded, h.memory, h.time, h.threads)
			}
			if len(h.salt) < MinSaltLen || len(h.salt) > MaxSaltLen || len(h.key) < MinKeyLen || len(h.key) > MaxKeyLen {
				t.Fatalf("decode(%q) accepted a %d-byte salt and a %d-byte key", encoded, len(h.salt), len(h.key))
			}
			if got := h.String(); got != encoded {
				t.Fatalf("decode(%q) reads as %q: two spellings of one hash", encoded, got)
			}
			cheap = h.memory <= 256 && h.time <= 2
		case bcryptHash:
			cost := int(h[4]-'0')*10 + int(h[5]-'0')
			if len(h) != bcryptLen || cost < MinBcryptCost || cost > MaxBcryptCost {
				t.Fatalf("decode(%q) accepted cost %d, %d bytes", encoded, cost, len(h))
			}
			if p := string(h[:4]); p != "$2a$" && p != "$2b$" {
				t.Fatalf("decode(%q) kept prefix %q, which golang.org/x/crypto/bcrypt may compute differently", encoded, p)
			}
			cheap = cost <= 5
		case djangoArgon2:
			if h.memory > MaxMemoryKiB || h.time < MinTime || h.time > MaxTime ||
				h.threads < MinThreads || h.threads > MaxThreads || h.memory < MinMemoryKiBPerThread*uint32(h.threads) {
				t.Fatalf("decode(%q) accepted m=%d t=%d p=%d", encoded, h.memory, h.time, h.threads)
			}
			if got := djangoArgon2Name + h.String(); got != encoded {
				t.Fatalf("decode(%q) reads as %q: two spellings of one hash", encoded, got)
			}
			cheap = h.memory <= 256 && h.time <= 2
		case *pbkdf2Hash:
			if h.iterations < MinPBKDF2Iterations || h.iterations > MaxPBKDF2Iterations ||
				len(h.salt) > MaxSaltLen || len(h.key) != h.scheme.size {
				t.Fatalf("decode(%q) accepted %d iterations, a %d-byte salt and a %d-byte key", encoded, h.iterations, len(h.salt), len(h.key))
			}
			if got := h.String(); got != encoded {
				t.Fatalf("decode(%q) reads as %q: two spellings of one hash", encoded, got)
			}
			cheap = h.iterations <= 2000
		case *prehashedBcrypt:
			cost := int(h.bcrypt[4]-'0')*10 + int(h.bcrypt[5]-'0')
			if len(h.bcrypt) != bcryptLen || cost < MinBcryptCost || cost > MaxBcryptCost {
				t.Fatalf("decode(%q) accepted cost %d, %d bytes", encoded, cost, len(h.bcrypt))
			}
			if p := string(h.bcrypt[:4]); p != "$2a$" && p != "$2b$" {
				t.Fatalf("decode(%q) kept prefix %q, which golang.org/x/crypto/bcrypt may compute differently", encoded, p)
			}
			cheap = cost <= 5
		default:
			t.Fatalf("decode(%q) = %T", encoded, s)
		}
		if !cheap {
			return // within the limits, but too slow to hash on every input
		}
		ok, err := Verify(pw, encoded)
		if err != nil {
			t.Fatalf("Verify(%q, %q): %v for a hash that decodes", pw, encoded, err)
		}
		if !ok {
			return
		}
		switch s.(type) {
		case djangoArgon2, *pbkdf2Hash:
			// One spelling per hash (checked above): only a seed's
			// own hash and password can match.
			if want, known := imported[encoded]; !known || pw != want {
				t.Fatalf("Verify accepted %q against %q", pw, encoded)
			}
			return
		case *prehashedBcrypt:
			// bcrypt ignores a few bits of its salt's last character,
			// so the wrapper and the digest must be a seed's.
			for h, want := range imported {
				if pw == want && len(h) == len(encoded) && h[len(h)-31:] == encoded[len(encoded)-31:] {
					return
				}
			}
			t.Fatalf("Verify accepted %q against %q", pw, encoded)
		}
		// The fuzzer knows no password but the seeds' and cannot invert a
		// hash: anything else accepted is a bug in decoding or comparing.
		if pw != fuzzPassword {
			t.Fatalf("Verify accepted %q against %q", pw, encoded)
		}
		switch {
		case strings.HasPrefix(encoded, "$argon2"):
			if encoded != fuzzArgon2 {
				t.Fatalf("Verify accepted the password against %q, a changed %q", encoded, fuzzArgon2)
			}
		default:
			// bcrypt compares the hash part as written, so only that
			// and the cost must be the seed's.
			if encoded[4:7] != fuzzBcrypt[4:7] || encoded[29:] != fuzzBcrypt[29:] {
				t.Fatalf("Verify accepted the password against %q, a changed %q", encoded, fuzzBcrypt)
			}
		}
	})
}
