// Package password hashes new passwords with argon2id, verifies hashes that
// other stacks wrote so that their users can be imported (argon2id and
// argon2i PHC strings, bcrypt; Django's pbkdf2_sha256, pbkdf2_sha1, argon2,
// bcrypt and bcrypt_sha256; passlib's pbkdf2 and bcrypt_sha256; Devise's
// bcrypt with its pepper, see WithPepper), and bounds the hashing work a
// server does at once.
//
// A stored hash is treated as untrusted data: its parameters are checked
// against fixed limits before any hashing, so a hostile or corrupt row cannot
// make the server allocate gigabytes or spin for minutes.
package password

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Decode limits. A stored hash outside them is rejected with ErrLimits before
// any hashing; Params.Validate holds settings to the same limits, so every
// hash Latchkey writes is one it can verify again.
const (
	// MaxMemoryKiB caps argon2 memory at 256 MiB per hash, so the hashing
	// pool's worst case (slots × MaxMemoryKiB) stays predictable.
	MaxMemoryKiB = 256 * 1024
	// MinMemoryKiBPerThread is argon2's own floor: each lane needs at least
	// eight 1 KiB blocks, so memory must be at least 8 × threads.
	MinMemoryKiBPerThread = 8
	// MinTime and MaxTime bound the argon2 passes; beyond 16 a hash is a
	// denial of service rather than a defence.
	MinTime = 1
	MaxTime = 16
	// MinThreads and MaxThreads bound argon2 parallelism (lanes).
	MinThreads = 1
	MaxThreads = 16
	// MinSaltLen and MaxSaltLen bound argon2 salts in bytes; 8 is the
	// reference implementation's minimum.
	MinSaltLen = 8
	MaxSaltLen = 64
	// MinKeyLen and MaxKeyLen bound argon2 outputs in bytes.
	MinKeyLen = 16
	MaxKeyLen = 128
	// MinBcryptCost and MaxBcryptCost bound bcrypt's log2 rounds; cost 16 is
	// already several seconds, and bcrypt itself would accept 31.
	MinBcryptCost = 4
	MaxBcryptCost = 16
	// MinPBKDF2Iterations and MaxPBKDF2Iterations bound PBKDF2's rounds.
	// Django raises its default with each release (a million in 5.2);
	// five million is a second or two of one core, as bcrypt's cost 16 is.
	MinPBKDF2Iterations = 1
	MaxPBKDF2Iterations = 5_000_000
)

// SaltLen and KeyLen are the sizes of what Hash writes, as the design asks.
const (
	SaltLen = 16
	KeyLen  = 32
)

// maxEncodedLen is longer than any hash string within the limits (about
// 300 bytes), so a giant stored value is refused before it is split or
// decoded.
const maxEncodedLen = 512

// Errors from Verify, wrapped with context; test them with errors.Is. None of
// them repeats the stored hash or the password.
var (
	// ErrMalformed means the stored hash is not a well-formed string of
	// any format Verify knows: a corrupt row, or data that was never a
	// hash.
	ErrMalformed = errors.New("malformed password hash")
	// ErrUnsupported means the stored hash is well-formed but of an
	// algorithm or version this package cannot compute (argon2d, argon2
	// version 16, scrypt, Django's unsalted MD5, …), so an import must be
	// re-done, not retried.
	ErrUnsupported = errors.New("unsupported password hash")
	// ErrLimits means the stored hash asks for more work or memory than the
	// decode limits allow; it was refused without hashing.
	ErrLimits = errors.New("password hash parameters beyond limits")
)

// Params are argon2id cost parameters for new hashes. They are configurable
// because the right cost depends on the machine and the login rate.
type Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultParams returns m=19456 KiB, t=2, p=1: the OWASP floor for argon2id,
// which the design adopts as the default.
func DefaultParams() Params {
	return Params{MemoryKiB: 19456, Time: 2, Threads: 1}
}

// Validate reports whether p lies within the decode limits. Settings outside
// them would produce hashes that Verify later refuses, so configuration
// checks them with this at start-up and Hash refuses them too.
func (p Params) Validate() error {
	if err := checkArgon2Limits(p.MemoryKiB, p.Time, uint32(p.Threads)); err != nil {
		return fmt.Errorf("argon2 params: %w", err)
	}
	return nil
}

// Hash returns an argon2id PHC string of exactly the given bytes, with a
// random 16-byte salt and a 32-byte key, in the unpadded standard base64 that
// argon2-cffi writes, so other stacks can read Latchkey's hashes too.
// It does not normalise: Hasher.Hash is what the application calls.
func Hash(password string, p Params) (string, error) {
	if err := p.Validate(); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	h := argon2Hash{
		id:      argon2idName,
		version: argon2.Version,
		memory:  p.MemoryKiB,
		time:    p.Time,
		threads: p.Threads,
		salt:    make([]byte, SaltLen),
	}
	// crypto/rand.Read never fails; it crashes the program rather than
	// return predictable bytes.
	_, _ = rand.Read(h.salt)
	h.key = h.derive([]byte(password), KeyLen)
	return h.String(), nil
}

// Verify reports whether password, exactly as given, matches encoded: an
// argon2id or argon2i PHC string (version 19), a bcrypt $2a$, $2b$ or $2y$
// string, or one of the other stacks' formats the package documentation
// lists. A mismatch is (false, nil). A stored hash that cannot be checked
// is an error wrapping ErrMalformed, ErrUnsupported or ErrLimits, returned
// without hashing, so that a broken row is not mistaken for a wrong password.
func Verify(password, encoded string) (bool, error) {
	s, err := decode(encoded)
	if err != nil {
		return false, err
	}
	return s.matches(password), nil
}

// Check reports whether Verify could check a password against encoded,
// without hashing anything: an import uses it to refuse, line by line,
// what no login could ever match. Its error is Verify's.
func Check(encoded string) error {
	_, err := decode(encoded)
	return err
}

// NeedsRehash reports whether encoded was not made by Hash with p: another
// algorithm, version, cost, salt or key length, or a string that does not
// decode at all. Login uses it to upgrade hashes as users come back.
func NeedsRehash(encoded string, p Params) bool {
	s, err := decode(encoded)
	if err != nil {
		return true
	}
	return needsRehash(s, p)
}

// stored is a decoded hash within the limits, ready to be checked.
type stored interface {
	// matches hashes password with the stored parameters and compares in
	// constant time.
	matches(password string) bool
}

func needsRehash(s stored, p Params) bool {
	h, ok := s.(*argon2Hash)
	return !ok || h.id != argon2idName || h.version != argon2.Version ||
		h.memory != p.MemoryKiB || h.time != p.Time || h.threads != p.Threads ||
		len(h.salt) != SaltLen || len(h.key) != KeyLen
}

// decode parses encoded into a hash that can be checked, refusing anything
// malformed, unsupported or beyond the limits before any work is done.
func decode(encoded string) (stored, error) {
	if len(encoded) > maxEncodedLen {
		return nil, fmt.Errorf("decode hash: %d bytes, longer than any hash within limits: %w", len(encoded), ErrLimits)
	}
	switch {
	case strings.HasPrefix(encoded, "$argon2"):
		return decodeArgon2(encoded)
	case strings.HasPrefix(encoded, "$2"):
		return decodeBcrypt(encoded)
	case strings.HasPrefix(encoded, passlibBcryptSHA256):
		return decodePasslibBcryptSHA256(encoded)
	case strings.HasPrefix(encoded, "$"):
		for _, s := range pbkdf2Schemes {
			if !s.django && strings.HasPrefix(encoded, s.prefix) {
				return decodePBKDF2(encoded, s)
			}
		}
		return nil, fmt.Errorf("decode hash: unknown algorithm: %w", ErrUnsupported)
	default:
		return decodeNamed(encoded)
	}
}

// b64 is the unpadded standard alphabet of PHC strings. Strict rejects
// non-zero trailing bits, as libargon2's decoder does, so that one hash has
// exactly one spelling.
var b64 = base64.RawStdEncoding.Strict()
