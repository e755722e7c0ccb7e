package password

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Valid salt (16 bytes) and key (32 bytes), so that in the hostile cases
// below only the field under attack is wrong.
const (
	okSalt = "c2FsdHNhbHRzYWx0c2FsdA"
	okKey  = "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
)

func phc(id, version, params, salt, key string) string {
	return "$" + id + "$" + version + "$" + params + "$" + salt + "$" + key
}

// okBcrypt is a valid cost-4 bcrypt string; the cases replace its cost.
const okBcrypt = "$2b$04$C8HrFOwuPi1wVafbESc07uc1oTsH9bzv2LhXDa/KqC6fZuxuNsZjO"

func withBcryptCost(cost string) string { return okBcrypt[:4] + cost + okBcrypt[6:] }

var hostileHashes = []struct {
	name    string
	encoded string
	want    error
}{
	// Costs that would allocate gigabytes or spin for minutes.
	{"argon2 m=2^32-1", phc("argon2id", "v=19", "m=4294967295,t=1,p=1", okSalt, okKey), ErrLimits},
	{"argon2 m just above max", phc("argon2id", "v=19", "m=262145,t=1,p=1", okSalt, okKey), ErrLimits},
	{"argon2 m beyond uint32", phc("argon2id", "v=19", "m=99999999999999999999,t=1,p=1", okSalt, okKey), ErrLimits},
	{"argon2 t=2^32-1", phc("argon2id", "v=19", "m=64,t=4294967295,p=1", okSalt, okKey), ErrLimits},
	{"argon2 t=17", phc("argon2i", "v=19", "m=64,t=17,p=1", okSalt, okKey), ErrLimits},
	{"argon2 p=255", phc("argon2id", "v=19", "m=262144,t=1,p=255", okSalt, okKey), ErrLimits},
	{"argon2 p=256 wraps uint8", phc("argon2id", "v=19", "m=4096,t=1,p=256", okSalt, okKey), ErrLimits},
	{"argon2 p=17", phc("argon2id", "v=19", "m=4096,t=1,p=17", okSalt, okKey), ErrLimits},
	{"argon2 m=0", phc("argon2id", "v=19", "m=0,t=1,p=1", okSalt, okKey), ErrLimits},
	{"argon2 t=0", phc("argon2id", "v=19", "m=64,t=0,p=1", okSalt, okKey), ErrLimits},
	{"argon2 p=0", phc("argon2id", "v=19", "m=64,t=1,p=0", okSalt, okKey), ErrLimits},
	{"argon2 m below 8 per lane", phc("argon2id", "v=19", "m=15,t=1,p=2", okSalt, okKey), ErrLimits},
	{"giant salt", phc("argon2id", "v=19", "m=64,t=1,p=1", strings.Repeat("A", 1<<20), okKey), ErrLimits},
	{"salt 65 bytes", phc("argon2id", "v=19", "m=64,t=1,p=1", strings.Repeat("A", 87), okKey), ErrLimits},
	{"salt 7 bytes", phc("argon2id", "v=19", "m=64,t=1,p=1", "c2FsdHNhbA", okKey), ErrLimits},
	{"empty salt", phc("argon2id", "v=19", "m=64,t=1,p=1", "", okKey), ErrLimits},
	{"key 15 bytes", phc("argon2id", "v=19", "m=64,t=1,p=1", okSalt, "a2V5a2V5a2V5a2V5a2V5"), ErrLimits},
	{"key 129 bytes", phc("argon2id", "v=19", "m=64,t=1,p=1", okSalt, strings.Repeat("A", 172)), ErrLimits},
	{"giant string", strings.Repeat("$", 1<<20), ErrLimits},

	// Not a well-formed string.
	{"empty", "", ErrMalformed},
	{"plain text", "correct horse battery staple", ErrMalformed},
	{"salt bad base64", phc("argon2id", "v=19", "m=64,t=1,p=1", "!!!!!!!!!!!!!!!!!!!!!!", okKey), ErrMalformed},
	{"salt padded", phc("argon2id", "v=19", "m=64,t=1,p=1", okSalt+"==", okKey), ErrMalformed},
	{"salt url alphabet", phc("argon2id", "v=19", "m=64,t=1,p=1", "c2Fsd-Nhb_RzYWx0c2FsdA", okKey), ErrMalformed},
	{"salt trailing bits", phc("argon2id", "v=19", "m=64,t=1,p=1", "c2FsdHNhbHRzYWx0c2FsdB", okKey), ErrMalformed},
	{"salt with line break", phc("argon2id", "v=19", "m=64,t=1,p=1", okSalt[:11]+"\n"+okSalt[11:], okKey), ErrMalformed},
	{"key with carriage return", phc("argon2id", "v=19", "m=64,t=1,p=1", okSalt, okKey+"\r"), ErrMalformed},
	{"key bad base64", phc("argon2id", "v=19", "m=64,t=1,p=1", okSalt, okKey[:40]+"*"), ErrMalformed},
	{"missing key", "$argon2id$v=19$m=64,t=1,p=1$" + okSalt, ErrMalformed},
	{"missing params", "$argon2id$v=19$" + okSalt + "$" + okKey, ErrMalformed},
	{"extra field", phc("argon2id", "v=19", "m=64,t=1,p=1", okSalt, okKey) + "$x", ErrMalformed},
	{"only the id", "$argon2id", ErrMalformed},
	{"only the id and $", "$argon2id$", ErrMalformed},
	{"no leading $", phc("argon2id", "v=19", "m=64,t=1,p=1", okSalt, okKey)[1:], ErrMalformed},
	{"params missing p", phc("argon2id", "v=19", "m=64,t=1", okSalt, okKey), ErrMalformed},
	{"params reordered", phc("argon2id", "v=19", "t=1,m=64,p=1", okSalt, okKey), ErrMalformed},
	{"params extra", phc("argon2id", "v=19", "m=64,t=1,p=1,keyid=x", okSalt, okKey), ErrMalformed},
	{"params leading zero", phc("argon2id", "v=19", "m=064,t=1,p=1", okSalt, okKey), ErrMalformed},
	{"params sign", phc("argon2id", "v=19", "m=+64,t=1,p=1", okSalt, okKey), ErrMalformed},
	{"params negative", phc("argon2id", "v=19", "m=64,t=-1,p=1", okSalt, okKey), ErrMalformed},
	{"params empty value", phc("argon2id", "v=19", "m=,t=1,p=1", okSalt, okKey), ErrMalformed},
	{"params space", phc("argon2id", "v=19", "m=64, t=1,p=1", okSalt, okKey), ErrMalformed},
	{"version not a number", phc("argon2id", "v=x", "m=64,t=1,p=1", okSalt, okKey), ErrMalformed},
	{"version field missing name", phc("argon2id", "19", "m=64,t=1,p=1", okSalt, okKey), ErrMalformed},
	{"bcrypt cost not digits", withBcryptCost("x4"), ErrMalformed},
	{"bcrypt too short", okBcrypt[:59], ErrMalformed},
	{"bcrypt too long", okBcrypt + "A", ErrMalformed},
	{"bcrypt bad character", okBcrypt[:59] + "!", ErrMalformed},
	{"bcrypt no $ after cost", okBcrypt[:6] + "x" + okBcrypt[7:], ErrMalformed},
	{"bcrypt prefix only", "$2b", ErrMalformed},

	// Well-formed, but not something this package computes.
	{"argon2 version 16", phc("argon2id", "v=16", "m=64,t=1,p=1", okSalt, okKey), ErrUnsupported},
	{"argon2 no version field", "$argon2i$m=64,t=1,p=1$" + okSalt + "$" + okKey, ErrUnsupported},
	{"argon2 version 20", phc("argon2id", "v=20", "m=64,t=1,p=1", okSalt, okKey), ErrUnsupported},
	{"argon2d", phc("argon2d", "v=19", "m=64,t=1,p=1", okSalt, okKey), ErrUnsupported},
	{"argon2 unknown variant", phc("argon2x", "v=19", "m=64,t=1,p=1", okSalt, okKey), ErrUnsupported},
	{"scrypt", "$scrypt$ln=16,r=8,p=1$" + okSalt + "$" + okKey, ErrUnsupported},
	{"pbkdf2 with a digest passlib does not name", "$pbkdf2-md5$29000$" + okSalt + "$" + okKey, ErrUnsupported},
	{"md5crypt", "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/", ErrUnsupported},
	{"bcrypt $2x$", "$2x" + okBcrypt[3:], ErrUnsupported},
	{"bcrypt $2$", "$2$04$" + okBcrypt[7:], ErrUnsupported},
	{"bcrypt cost 31", withBcryptCost("31"), ErrLimits},
	{"bcrypt cost 17", withBcryptCost("17"), ErrLimits},
	{"bcrypt cost 03", withBcryptCost("03"), ErrLimits},
	{"bcrypt cost 99", withBcryptCost("99"), ErrLimits},

	// The formats of the stacks users are imported from.
	{"django pbkdf2 iterations above max", "pbkdf2_sha256$5000001$" + okSalt + "$" + djangoKey, ErrLimits},
	{"django pbkdf2 iterations beyond uint32", "pbkdf2_sha256$99999999999$" + okSalt + "$" + djangoKey, ErrLimits},
	{"django pbkdf2 zero iterations", "pbkdf2_sha256$0$" + okSalt + "$" + djangoKey, ErrLimits},
	{"django pbkdf2 iterations leading zero", "pbkdf2_sha256$01000$" + okSalt + "$" + djangoKey, ErrMalformed},
	{"django pbkdf2 iterations sign", "pbkdf2_sha256$+1000$" + okSalt + "$" + djangoKey, ErrMalformed},
	{"django pbkdf2 salt 65 bytes", "pbkdf2_sha256$1000$" + strings.Repeat("s", 65) + "$" + djangoKey, ErrLimits},
	{"django pbkdf2 empty salt", "pbkdf2_sha256$1000$$" + djangoKey, ErrLimits},
	{"django pbkdf2 salt with a space", "pbkdf2_sha256$1000$salt salt$" + djangoKey, ErrMalformed},
	{"django pbkdf2 salt with a NUL", "pbkdf2_sha256$1000$salt\x00salt$" + djangoKey, ErrMalformed},
	{"django pbkdf2 salt not ASCII", "pbkdf2_sha256$1000$s\u00e4lt$" + djangoKey, ErrMalformed},
	{"django pbkdf2 key unpadded", "pbkdf2_sha256$1000$" + okSalt + "$" + okKey, ErrMalformed},
	{"django pbkdf2 key of sha1 size", "pbkdf2_sha256$1000$" + okSalt + "$" + djangoKey[:28], ErrMalformed},
	{"django pbkdf2 key bad base64", "pbkdf2_sha256$1000$" + okSalt + "$" + djangoKey[:40] + "!!!=", ErrMalformed},
	{"django pbkdf2 missing key", "pbkdf2_sha256$1000$" + okSalt, ErrMalformed},
	{"django pbkdf2 extra field", "pbkdf2_sha256$1000$" + okSalt + "$" + djangoKey + "$x", ErrMalformed},
	{"passlib pbkdf2 rounds above max", "$pbkdf2-sha256$5000001$" + okSalt + "$" + okKey, ErrLimits},
	{"passlib pbkdf2 rounds 2^32-1", "$pbkdf2-sha512$4294967295$" + okSalt + "$" + okKey, ErrLimits},
	{"passlib pbkdf2 salt 65 bytes", "$pbkdf2-sha256$1000$" + strings.Repeat("A", 87) + "$" + okKey, ErrLimits},
	{"passlib pbkdf2 key of another size", "$pbkdf2-sha512$1000$" + okSalt + "$" + okKey, ErrLimits},
	{"passlib pbkdf2 key with +", "$pbkdf2-sha256$1000$" + okSalt + "$" + "+" + okKey[1:], ErrMalformed},
	{"passlib pbkdf2 key padded", "$pbkdf2-sha256$1000$" + okSalt + "$" + okKey + "=", ErrMalformed},
	{"passlib pbkdf2 key trailing bits", "$pbkdf2-sha256$1000$" + okSalt + "$" + okKey[:42] + "f", ErrMalformed},
	{"passlib pbkdf2 missing key", "$pbkdf2-sha256$1000$" + okSalt, ErrMalformed},
	{"django argon2 m=2^32-1", "argon2" + phc("argon2id", "v=19", "m=4294967295,t=1,p=1", okSalt, okKey), ErrLimits},
	{"django argon2 version 16", "argon2$argon2i$m=64,t=1,p=1$" + okSalt + "$" + okKey, ErrUnsupported},
	{"django argon2 argon2d", "argon2" + phc("argon2d", "v=19", "m=64,t=1,p=1", okSalt, okKey), ErrUnsupported},
	{"django argon2 no $", "argon2", ErrMalformed},
	{"django bcrypt_sha256 cost 31", "bcrypt_sha256$" + withBcryptCost("31"), ErrLimits},
	{"django bcrypt_sha256 not bcrypt", "bcrypt_sha256$" + okKey, ErrMalformed},
	{"django bcrypt cost 17", "bcrypt$" + withBcryptCost("17"), ErrLimits},
	{"passlib bcrypt-sha256 rounds 31", "$bcrypt-sha256$v=2,t=2b,r=31$" + okBcrypt[7:29] + "$" + okBcrypt[29:], ErrLimits},
	{"passlib bcrypt-sha256 rounds leading zero", "$bcrypt-sha256$v=2,t=2b,r=04$" + okBcrypt[7:29] + "$" + okBcrypt[29:], ErrMalformed},
	{"passlib bcrypt-sha256 rounds 3 digits", "$bcrypt-sha256$v=2,t=2b,r=100$" + okBcrypt[7:29] + "$" + okBcrypt[29:], ErrMalformed},
	{"passlib bcrypt-sha256 version 3", "$bcrypt-sha256$v=3,t=2b,r=4$" + okBcrypt[7:29] + "$" + okBcrypt[29:], ErrUnsupported},
	{"passlib bcrypt-sha256 v2 with 2a", "$bcrypt-sha256$v=2,t=2a,r=4$" + okBcrypt[7:29] + "$" + okBcrypt[29:], ErrMalformed},
	{"passlib bcrypt-sha256 v1 with 2y", "$bcrypt-sha256$2y,4$" + okBcrypt[7:29] + "$" + okBcrypt[29:], ErrMalformed},
	{"passlib bcrypt-sha256 salt padding bits", "$bcrypt-sha256$v=2,t=2b,r=4$" + okBcrypt[7:28] + "P$" + okBcrypt[29:], ErrMalformed},
	{"passlib bcrypt-sha256 short digest", "$bcrypt-sha256$v=2,t=2b,r=4$" + okBcrypt[7:29] + "$" + okBcrypt[30:], ErrMalformed},
	{"passlib bcrypt-sha256 no digest", "$bcrypt-sha256$v=2,t=2b,r=4$" + okBcrypt[7:29], ErrMalformed},
	{"passlib bcrypt-sha256 bad character", "$bcrypt-sha256$v=2,t=2b,r=4$" + okBcrypt[7:29] + "$" + okBcrypt[29:59] + "!", ErrMalformed},
	{"pepper empty", PepperScheme + "$$" + okBcrypt, ErrLimits},
	{"pepper 73 bytes", PepperScheme + "$" + strings.Repeat("A", 98) + "$" + okBcrypt, ErrLimits},
	{"pepper bad base64", PepperScheme + "$!!!!$" + okBcrypt, ErrMalformed},
	{"pepper NUL", PepperScheme + "$AAAA$" + okBcrypt, ErrMalformed},
	{"pepper without bcrypt", PepperScheme + "$cGVwcGVy", ErrMalformed},
	{"pepper over argon2", PepperScheme + "$cGVwcGVy$" + phc("argon2id", "v=19", "m=64,t=1,p=1", okSalt, okKey), ErrMalformed},
	{"pepper over bcrypt cost 31", PepperScheme + "$cGVwcGVy$" + withBcryptCost("31"), ErrLimits},
	{"django unusable password", "!" + strings.Repeat("x", 40), ErrUnsupported},
	{"django sha1", "sha1$salt$" + strings.Repeat("a", 40), ErrUnsupported},
	{"django unsalted md5", "unsalted_md5$$" + strings.Repeat("a", 32), ErrUnsupported},
	{"django scrypt", "scrypt$16384$salt$8$1$" + okKey, ErrUnsupported},
	{"unknown name", "whirlpool$" + okKey, ErrMalformed},
}

// djangoKey is a 32-byte key as Django writes it: padded standard base64.
const djangoKey = "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U="

func TestVerifyRefusesHostileHashes(t *testing.T) {
	for _, tt := range hostileHashes {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := verifyWithin(t, 10*time.Second, "correct horse battery staple", tt.encoded)
			if ok || !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, %v; want false, %v", ok, err, tt.want)
			}
			// Errors end up in logs, which must never hold a hash.
			for _, secret := range []string{okSalt, okKey, okBcrypt[7:], "correct horse"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q repeats the stored hash or the password", err)
				}
			}
		})
	}
}

// verifyWithin fails the test instead of hanging it when a hostile hash
// gets as far as hashing (bcrypt cost 31 would run for days).
func verifyWithin(t *testing.T, d time.Duration, password, encoded string) (bool, error) {
	t.Helper()
	type result struct {
		ok  bool
		err error
	}
	done := make(chan result, 1)
	go func() {
		ok, err := Verify(password, encoded)
		done <- result{ok, err}
	}()
	select {
	case r := <-done:
		return r.ok, r.err
	case <-time.After(d):
		t.Fatalf("Verify still running after %v: it is hashing a hostile hash", d)
		return false, nil
	}
}

// TestVerifyHostileHashesAllocateLittle proves that no hostile hash reached
// argon2, which would allocate m KiB (gigabytes for the worst ones).
func TestVerifyHostileHashesAllocateLittle(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, tt := range hostileHashes {
		_, _ = Verify("pw", tt.encoded)
		NeedsRehash(tt.encoded, DefaultParams())
	}
	runtime.ReadMemStats(&after)
	if delta := after.TotalAlloc - before.TotalAlloc; delta > 4<<20 {
		t.Errorf("refusing %d hostile hashes allocated %d bytes, want < 4 MiB", len(hostileHashes), delta)
	}
}

// FuzzVerify checks that no stored string makes the decoder panic, and that
// whatever argon2 string it accepts is in the one canonical spelling Hash
// writes.
func FuzzVerify(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.Password, v.Hash)
	}
	for _, h := range hostileHashes {
		if len(h.encoded) <= maxEncodedLen {
			f.Add("pw", h.encoded)
		}
	}
	f.Fuzz(func(t *testing.T, password, encoded string) {
		s, err := decode(encoded)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrLimits) {
				t.Fatalf("decode error %v wraps none of the sentinel errors", err)
			}
			return
		}
		switch h := s.(type) {
		case *argon2Hash:
			if got := h.String(); got != encoded {
				t.Fatalf("accepted %q, which re-encodes as %q", encoded, got)
			}
			// Hash only what is cheap, to keep the fuzzer fast; the
			// decode above is what is under test.
			if h.memory*h.time > 4096 {
				return
			}
		case bcryptHash:
			if h[4] != '0' || h[5] > '6' {
				return
			}
		case djangoArgon2:
			if h.memory*h.time > 4096 {
				return
			}
		case *pbkdf2Hash:
			if h.iterations > 2000 {
				return
			}
		case *prehashedBcrypt:
			if h.bcrypt[4] != '0' || h.bcrypt[5] > '6' {
				return
			}
		}
		if _, err := Verify(password, encoded); err != nil {
			t.Fatalf("decode accepted what Verify refuses: %v", err)
		}
	})
}
