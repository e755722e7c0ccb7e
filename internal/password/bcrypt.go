package password

import (
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// bcryptLen is the length of every modular-crypt bcrypt string:
// "$2b$" + two cost digits + "$" + 22 salt + 31 hash characters.
const bcryptLen = 60

// bcryptHash is a bcrypt string whose prefix, cost and alphabet have been
// checked, with $2y$ rewritten to $2b$.
type bcryptHash []byte

func (h bcryptHash) matches(password string) bool {
	// CompareHashAndPassword compares in constant time. Like the stacks
	// that wrote these hashes, it reads only the first 72 bytes of the
	// password.
	return bcrypt.CompareHashAndPassword(h, []byte(password)) == nil
}

// decodeBcrypt validates a bcrypt string itself rather than leaving it to
// golang.org/x/crypto/bcrypt, which accepts any minor version letter
// (including $2x$, whose buggy variant it does not compute) and any cost up
// to 31.
func decodeBcrypt(encoded string) (bcryptHash, error) {
	if !strings.HasPrefix(encoded, "$2") {
		// decode dispatches on this prefix, but a wrapped bcrypt string
		// (Django's, passlib's, the pepper's) arrives here unchecked.
		return nil, fmt.Errorf("decode bcrypt: prefix: %w", ErrMalformed)
	}
	if len(encoded) >= 3 && encoded[2] == '$' {
		return nil, fmt.Errorf("decode bcrypt: version $2$: %w", ErrUnsupported)
	}
	if len(encoded) < 4 || encoded[3] != '$' {
		return nil, fmt.Errorf("decode bcrypt: prefix: %w", ErrMalformed)
	}
	h := bcryptHash(encoded)
	switch h[2] {
	case 'a', 'b':
	case 'y':
		// PHP's crypt_blowfish writes $2y$ for what OpenBSD calls $2b$:
		// the same algorithm. h is a copy, so the rewrite is local.
		h[2] = 'b'
	default:
		return nil, fmt.Errorf("decode bcrypt: version %q: %w", encoded[:4], ErrUnsupported)
	}
	if len(h) != bcryptLen || h[6] != '$' || !isDigit(h[4]) || !isDigit(h[5]) {
		return nil, fmt.Errorf("decode bcrypt: %w", ErrMalformed)
	}
	if cost := int(h[4]-'0')*10 + int(h[5]-'0'); cost < MinBcryptCost || cost > MaxBcryptCost {
		return nil, fmt.Errorf("decode bcrypt: cost %d outside %d..%d: %w", cost, MinBcryptCost, MaxBcryptCost, ErrLimits)
	}
	for _, c := range h[7:] {
		if !isBcryptBase64(c) {
			return nil, fmt.Errorf("decode bcrypt: salt or hash: %w", ErrMalformed)
		}
	}
	return h, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isBcryptBase64(c byte) bool {
	return c == '.' || c == '/' || isDigit(c) || ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z')
}
