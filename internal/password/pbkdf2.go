package password

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"hash"
	"strings"
)

// pbkdf2Scheme is one spelling of PBKDF2-HMAC: which digest, and how the
// stack that wrote it lays out the string.
type pbkdf2Scheme struct {
	prefix  string // up to and including the "$" before the iterations
	newHash func() hash.Hash
	size    int // the digest's size, which both stacks use as the key length
	// django: the salt is text stored as is and the key is padded
	// standard base64 ("pbkdf2_sha256$iterations$salt$key"). Otherwise
	// passlib's layout: salt and key in its "ab64" base64, with "." for
	// "+" and no padding ("$pbkdf2-sha256$iterations$salt$key").
	django bool
}

var pbkdf2Schemes = []*pbkdf2Scheme{
	{prefix: "pbkdf2_sha256$", newHash: sha256.New, size: sha256.Size, django: true},
	{prefix: "pbkdf2_sha1$", newHash: sha1.New, size: sha1.Size, django: true},
	{prefix: "$pbkdf2-sha256$", newHash: sha256.New, size: sha256.Size},
	{prefix: "$pbkdf2-sha512$", newHash: sha512.New, size: sha512.Size},
	{prefix: "$pbkdf2$", newHash: sha1.New, size: sha1.Size}, // passlib's pbkdf2_sha1
}

// pbkdf2Hash is a decoded PBKDF2 string from Django or passlib.
type pbkdf2Hash struct {
	scheme     *pbkdf2Scheme
	iterations uint32
	salt       []byte
	key        []byte
}

func (h *pbkdf2Hash) matches(password string) bool {
	// The iterations were checked against the limits when h was decoded,
	// and the key length is the digest's: Key cannot fail.
	got, err := pbkdf2.Key(h.scheme.newHash, password, h.salt, int(h.iterations), len(h.key))
	return err == nil && subtle.ConstantTimeCompare(got, h.key) == 1
}

// String encodes h as the stack that wrote it does.
func (h *pbkdf2Hash) String() string {
	if h.scheme.django {
		return fmt.Sprintf("%s%d$%s$%s", h.scheme.prefix, h.iterations, h.salt, base64.StdEncoding.EncodeToString(h.key))
	}
	return fmt.Sprintf("%s%d$%s$%s", h.scheme.prefix, h.iterations, ab64.EncodeToString(h.salt), ab64.EncodeToString(h.key))
}

// ab64 is passlib's "adapted base64": the standard alphabet with "." for
// "+", unpadded. Strict, as b64 is, so that one hash has one spelling.
var ab64 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./").WithPadding(base64.NoPadding).Strict()

// decodePBKDF2 parses "PREFIX iterations $ salt $ key" for a scheme whose
// prefix encoded starts with, refusing iterations beyond the limits before
// anything else is decoded.
func decodePBKDF2(encoded string, s *pbkdf2Scheme) (*pbkdf2Hash, error) {
	name := strings.Trim(s.prefix, "$")
	fields := strings.Split(strings.TrimPrefix(encoded, s.prefix), "$")
	if len(fields) != 3 {
		return nil, fmt.Errorf("decode %s: %d fields after the name, want 3: %w", name, len(fields), ErrMalformed)
	}
	iterations, err := parseDecimal(fields[0])
	if err != nil {
		return nil, fmt.Errorf("decode %s: iterations: %w", name, err)
	}
	if iterations < MinPBKDF2Iterations || iterations > MaxPBKDF2Iterations {
		return nil, fmt.Errorf("decode %s: %d iterations outside %d..%d: %w",
			name, iterations, MinPBKDF2Iterations, MaxPBKDF2Iterations, ErrLimits)
	}
	h := &pbkdf2Hash{scheme: s, iterations: iterations}
	if s.django {
		h.salt, err = djangoSalt(fields[1])
		if err == nil {
			h.key, err = paddedKey(fields[2], s.size)
		}
	} else {
		h.salt, err = decodeAB64(fields[1], 0, MaxSaltLen)
		if err == nil {
			h.key, err = decodeAB64(fields[2], s.size, s.size)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", name, err)
	}
	return h, nil
}

// djangoSalt checks a Django salt: text PBKDF2 takes as its UTF-8 bytes.
// Django writes letters and digits; anything beyond printable ASCII would
// be a row no Django install wrote.
func djangoSalt(s string) ([]byte, error) {
	if len(s) < 1 || len(s) > MaxSaltLen {
		return nil, fmt.Errorf("salt of %d bytes outside 1..%d: %w", len(s), MaxSaltLen, ErrLimits)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return nil, fmt.Errorf("salt: not printable ASCII: %w", ErrMalformed)
		}
	}
	return []byte(s), nil
}

// paddedKey decodes Django's key, padded standard base64, of exactly size
// bytes.
func paddedKey(s string, size int) ([]byte, error) {
	if len(s) != base64.StdEncoding.EncodedLen(size) {
		return nil, fmt.Errorf("key: %d characters, want %d: %w", len(s), base64.StdEncoding.EncodedLen(size), ErrMalformed)
	}
	for i := 0; i < len(s); i++ {
		if !isBase64(s[i]) && s[i] != '=' {
			return nil, fmt.Errorf("key: base64: %w", ErrMalformed)
		}
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != size {
		return nil, fmt.Errorf("key: base64: %w", ErrMalformed)
	}
	return b, nil
}

// decodeAB64 is decodeBytes for passlib's alphabet.
func decodeAB64(s string, minLen, maxLen int) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '.' && c != '/' && !isDigit(c) && !('A' <= c && c <= 'Z') && !('a' <= c && c <= 'z') {
			return nil, fmt.Errorf("ab64: %w", ErrMalformed)
		}
	}
	if n := ab64.DecodedLen(len(s)); n < minLen || n > maxLen {
		return nil, fmt.Errorf("%d bytes outside %d..%d: %w", n, minLen, maxLen, ErrLimits)
	}
	b, err := ab64.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("ab64: %w", ErrMalformed)
	}
	return b, nil
}
