package password

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// The hashes in this file are bcrypt or argon2 strings that another stack
// wrapped in a name of its own, most of them over something derived from
// the password rather than the password itself.

// prehashedBcrypt is bcrypt over key(password): Django's and passlib's
// bcrypt_sha256 (a SHA-256 digest first, so that a password longer than
// bcrypt's 72 bytes counts in full), and Devise's bcrypt with a pepper
// appended.
type prehashedBcrypt struct {
	bcrypt bcryptHash
	key    func(password string) []byte
}

func (h *prehashedBcrypt) matches(password string) bool {
	// CompareHashAndPassword compares in constant time.
	return bcrypt.CompareHashAndPassword(h.bcrypt, h.key(password)) == nil
}

// djangoArgon2 is Django's Argon2PasswordHasher's string: "argon2" and
// then argon2-cffi's PHC string. Its own type, so that it is checked
// against the raw password only (Django hashed the bytes as typed) and is
// always rehashed into Latchkey's spelling.
type djangoArgon2 struct{ *argon2Hash }

// Names of the wrapped forms, as stored.
const (
	djangoArgon2Name       = "argon2"
	djangoBcryptName       = "bcrypt"
	djangoBcryptSHA256Name = "bcrypt_sha256"
	passlibBcryptSHA256    = "$bcrypt-sha256$"
	// PepperScheme names Latchkey's own wrapper of a Devise hash:
	// "latchkey_bcrypt_pepper$" + the pepper in unpadded base64 + "$" +
	// the bcrypt string. See WithPepper.
	PepperScheme = "latchkey_bcrypt_pepper"
)

// djangoUnsupported are the other algorithm names Django writes before its
// first "$": known, so that an import says "unsupported" rather than
// "malformed", but too weak or too rare to verify.
var djangoUnsupported = map[string]bool{
	"sha1": true, "md5": true, "unsalted_sha1": true, "unsalted_md5": true, "crypt": true, "scrypt": true,
}

// decodeNamed parses the "name$…" forms: Django's, and Latchkey's pepper
// wrapper.
func decodeNamed(encoded string) (stored, error) {
	for _, s := range pbkdf2Schemes {
		if s.django && strings.HasPrefix(encoded, s.prefix) {
			return decodePBKDF2(encoded, s)
		}
	}
	name, rest, ok := strings.Cut(encoded, "$")
	switch {
	case !ok && strings.HasPrefix(encoded, "!"):
		return nil, fmt.Errorf("decode hash: Django's unusable password: %w", ErrUnsupported)
	case !ok:
		return nil, fmt.Errorf("decode hash: not a hash string: %w", ErrMalformed)
	case name == djangoArgon2Name:
		// Django writes "argon2" and then argon2-cffi's string, whose
		// "$" the Cut took.
		h, err := decodeArgon2("$" + rest)
		if err != nil {
			return nil, fmt.Errorf("decode django: %w", err)
		}
		return djangoArgon2{h}, nil
	case name == djangoBcryptName || name == djangoBcryptSHA256Name:
		b, err := decodeBcrypt(rest)
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", name, err)
		}
		key := func(pw string) []byte { return []byte(pw) }
		if name == djangoBcryptSHA256Name {
			// Django hex-encodes the digest: bcrypt stops at a NUL byte,
			// which a raw digest may hold.
			key = func(pw string) []byte {
				d := sha256.Sum256([]byte(pw))
				return []byte(hex.EncodeToString(d[:]))
			}
		}
		return &prehashedBcrypt{bcrypt: b, key: key}, nil
	case name == PepperScheme:
		return decodePeppered(rest)
	case djangoUnsupported[name]:
		return nil, fmt.Errorf("decode hash: Django's %s: %w", name, ErrUnsupported)
	case strings.HasPrefix(encoded, "!"):
		return nil, fmt.Errorf("decode hash: Django's unusable password: %w", ErrUnsupported)
	}
	return nil, fmt.Errorf("decode hash: not a hash string: %w", ErrMalformed)
}

// decodePasslibBcryptSHA256 parses passlib's bcrypt_sha256 in both its
// versions: "$bcrypt-sha256$v=2,t=2b,r=12$salt$digest" (1.7.3 on: bcrypt
// over base64 of HMAC-SHA256 keyed by the salt as written) and the older
// "$bcrypt-sha256$2a,12$salt$digest" (bcrypt over base64 of SHA-256).
func decodePasslibBcryptSHA256(encoded string) (stored, error) {
	fields := strings.Split(strings.TrimPrefix(encoded, passlibBcryptSHA256), "$")
	if len(fields) != 3 {
		return nil, fmt.Errorf("decode bcrypt-sha256: %d fields after the name, want 3: %w", len(fields), ErrMalformed)
	}
	params, salt, digest := fields[0], fields[1], fields[2]
	var ident, rounds string
	version := 1
	if v, ok := strings.CutPrefix(params, "v="); ok {
		parts := strings.Split(v, ",")
		if len(parts) != 3 {
			return nil, fmt.Errorf("decode bcrypt-sha256: parameters: %w", ErrMalformed)
		}
		n, err := parseDecimal(parts[0])
		if err != nil {
			return nil, fmt.Errorf("decode bcrypt-sha256: version: %w", err)
		}
		if n != 2 {
			return nil, fmt.Errorf("decode bcrypt-sha256: version %d: %w", n, ErrUnsupported)
		}
		version = 2
		var okT, okR bool
		ident, okT = strings.CutPrefix(parts[1], "t=")
		rounds, okR = strings.CutPrefix(parts[2], "r=")
		if !okT || !okR || ident != "2b" {
			// Version 2 is bcrypt $2b$ only.
			return nil, fmt.Errorf("decode bcrypt-sha256: parameters: %w", ErrMalformed)
		}
	} else {
		var ok bool
		ident, rounds, ok = strings.Cut(params, ",")
		if !ok || (ident != "2a" && ident != "2b") {
			return nil, fmt.Errorf("decode bcrypt-sha256: parameters: %w", ErrMalformed)
		}
	}
	// passlib writes the rounds as a decimal of one or two digits.
	cost, err := parseDecimal(rounds)
	if err != nil || len(rounds) > 2 {
		return nil, fmt.Errorf("decode bcrypt-sha256: rounds: %w", ErrMalformed)
	}
	if len(salt) != 22 || len(digest) != 31 {
		return nil, fmt.Errorf("decode bcrypt-sha256: salt or digest length: %w", ErrMalformed)
	}
	if version == 2 && !strings.ContainsRune(".Oeu", rune(salt[21])) {
		// passlib refuses to hash with a salt whose last character has
		// padding bits set, because bcrypt libraries disagree on them.
		return nil, fmt.Errorf("decode bcrypt-sha256: salt padding bits: %w", ErrMalformed)
	}
	b, err := decodeBcrypt(fmt.Sprintf("$%s$%02d$%s%s", ident, cost, salt, digest))
	if err != nil {
		return nil, fmt.Errorf("decode bcrypt-sha256: %w", err)
	}
	if version == 1 {
		return &prehashedBcrypt{bcrypt: b, key: func(pw string) []byte {
			d := sha256.Sum256([]byte(pw))
			return []byte(base64.StdEncoding.EncodeToString(d[:]))
		}}, nil
	}
	return &prehashedBcrypt{bcrypt: b, key: func(pw string) []byte {
		m := hmac.New(sha256.New, []byte(salt))
		m.Write([]byte(pw))
		return []byte(base64.StdEncoding.EncodeToString(m.Sum(nil)))
	}}, nil
}

// MaxPepperLen is the most of a pepper that can matter: bcrypt reads the
// first 72 bytes of password+pepper, so no byte past the pepper's 72nd is
// ever read, whatever the password.
const MaxPepperLen = 72

// WithPepper wraps a Devise bcrypt string with the pepper Devise appended
// to every password before hashing, so that Verify can check it with no
// other configuration: the pepper travels with the hash until the first
// login replaces both with an argon2id hash. Only the pepper's first
// MaxPepperLen bytes are kept; they are all bcrypt ever read.
//
// The pepper must not be empty (Devise appends nothing then: import the
// hash as it is) and must hold no NUL byte (bcrypt's C implementations
// stop there, so Devise never hashed one).
func WithPepper(encoded, pepper string) (string, error) {
	if pepper == "" {
		return "", errors.New("pepper: empty")
	}
	if strings.IndexByte(pepper, 0) >= 0 {
		return "", errors.New("pepper: holds a NUL byte, which bcrypt never read past")
	}
	if _, err := decodeBcrypt(encoded); err != nil {
		return "", fmt.Errorf("pepper: only a bcrypt hash takes one: %w", ErrMalformed)
	}
	pepper = pepper[:min(len(pepper), MaxPepperLen)]
	return PepperScheme + "$" + b64.EncodeToString([]byte(pepper)) + "$" + encoded, nil
}

// decodePeppered parses what follows PepperScheme: "pepper$bcrypt".
func decodePeppered(rest string) (stored, error) {
	p, b, ok := strings.Cut(rest, "$")
	if !ok {
		return nil, fmt.Errorf("decode %s: %w", PepperScheme, ErrMalformed)
	}
	pepper, err := decodeBytes(p, 1, MaxPepperLen)
	if err != nil {
		return nil, fmt.Errorf("decode %s: pepper: %w", PepperScheme, err)
	}
	if strings.IndexByte(string(pepper), 0) >= 0 {
		return nil, fmt.Errorf("decode %s: pepper: %w", PepperScheme, ErrMalformed)
	}
	h, err := decodeBcrypt(b)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", PepperScheme, err)
	}
	return &prehashedBcrypt{bcrypt: h, key: func(pw string) []byte {
		return append([]byte(pw), pepper...)
	}}, nil
}
