package password

import (
	"crypto/subtle"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

const (
	argon2idName = "argon2id"
	argon2iName  = "argon2i"
)

// argon2Hash is a decoded PHC string: "$id$v=19$m=…,t=…,p=…$salt$key".
type argon2Hash struct {
	id      string // argon2idName or argon2iName
	version uint32
	memory  uint32 // KiB
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

// String encodes h exactly as libargon2 (and so argon2-cffi) does.
func (h *argon2Hash) String() string {
	return fmt.Sprintf("$%s$v=%d$m=%d,t=%d,p=%d$%s$%s",
		h.id, h.version, h.memory, h.time, h.threads,
		b64.EncodeToString(h.salt), b64.EncodeToString(h.key))
}

// derive computes the argon2 key of password with h's salt and parameters.
// The parameters were checked against the limits when h was decoded or
// built, so the memory it allocates is bounded.
func (h *argon2Hash) derive(password []byte, keyLen uint32) []byte {
	if h.id == argon2iName {
		return argon2.Key(password, h.salt, h.time, h.memory, h.threads, keyLen)
	}
	return argon2.IDKey(password, h.salt, h.time, h.memory, h.threads, keyLen)
}

func (h *argon2Hash) matches(password string) bool {
	got := h.derive([]byte(password), uint32(len(h.key)))
	return subtle.ConstantTimeCompare(got, h.key) == 1
}

// decodeArgon2 parses the PHC form libargon2 writes. The parameters are
// checked against the limits before the salt and key are even decoded.
func decodeArgon2(encoded string) (*argon2Hash, error) {
	fields := strings.Split(encoded, "$")
	if len(fields) < 2 {
		return nil, fmt.Errorf("decode argon2: %w", ErrMalformed)
	}
	h := &argon2Hash{id: fields[1]}
	switch h.id {
	case argon2idName, argon2iName:
	default:
		// argon2d and anything else: golang.org/x/crypto/argon2 does
		// not compute argon2d.
		return nil, fmt.Errorf("decode argon2: variant %q: %w", h.id[:min(len(h.id), 16)], ErrUnsupported)
	}
	if len(fields) == 5 && strings.HasPrefix(fields[2], "m=") {
		// libargon2 before 2016 wrote no "v=", which means version 16.
		return nil, fmt.Errorf("decode %s: no version field (version 16): %w", h.id, ErrUnsupported)
	}
	if len(fields) != 6 || fields[0] != "" {
		return nil, fmt.Errorf("decode %s: %d fields, want 6: %w", h.id, len(fields), ErrMalformed)
	}

	v, ok := strings.CutPrefix(fields[2], "v=")
	if !ok {
		return nil, fmt.Errorf("decode %s: version field: %w", h.id, ErrMalformed)
	}
	version, err := parseDecimal(v)
	if err != nil {
		return nil, fmt.Errorf("decode %s: version: %w", h.id, err)
	}
	if version != argon2.Version {
		// golang.org/x/crypto/argon2 implements only version 19
		// (0x13); version 16 differs in how later passes fill memory.
		return nil, fmt.Errorf("decode %s: version %d: %w", h.id, version, ErrUnsupported)
	}
	h.version = version

	m, t, p, err := parseArgon2Params(fields[3])
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", h.id, err)
	}
	if err := checkArgon2Limits(m, t, p); err != nil {
		return nil, fmt.Errorf("decode %s: %w", h.id, err)
	}
	h.memory, h.time, h.threads = m, t, uint8(p)

	if h.salt, err = decodeBytes(fields[4], MinSaltLen, MaxSaltLen); err != nil {
		return nil, fmt.Errorf("decode %s: salt: %w", h.id, err)
	}
	if h.key, err = decodeBytes(fields[5], MinKeyLen, MaxKeyLen); err != nil {
		return nil, fmt.Errorf("decode %s: key: %w", h.id, err)
	}
	return h, nil
}

// parseArgon2Params parses "m=…,t=…,p=…" in the one order libargon2
// writes and accepts.
func parseArgon2Params(s string) (m, t, p uint32, err error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return 0, 0, 0, fmt.Errorf("parameters: %d fields, want m,t,p: %w", len(parts), ErrMalformed)
	}
	var out [3]uint32
	for i, name := range []string{"m=", "t=", "p="} {
		digits, ok := strings.CutPrefix(parts[i], name)
		if !ok {
			return 0, 0, 0, fmt.Errorf("parameters: field %d is not %s…: %w", i+1, name, ErrMalformed)
		}
		if out[i], err = parseDecimal(digits); err != nil {
			return 0, 0, 0, fmt.Errorf("parameter %s: %w", name[:1], err)
		}
	}
	return out[0], out[1], out[2], nil
}

// parseDecimal parses the PHC decimal form: digits only, no sign, no
// leading zero. A number too large for uint32 is beyond every limit.
func parseDecimal(s string) (uint32, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, ErrMalformed
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, ErrMalformed
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		// Only a range error is left once the digits are checked.
		return 0, fmt.Errorf("%s…: %w", s[:min(len(s), 12)], ErrLimits)
	}
	return uint32(n), nil
}

// checkArgon2Limits takes p as uint32 so that a decoded p=300 is refused
// rather than wrapped into a uint8.
func checkArgon2Limits(m, t, p uint32) error {
	switch {
	case t < MinTime || t > MaxTime:
		return fmt.Errorf("t=%d outside %d..%d: %w", t, MinTime, MaxTime, ErrLimits)
	case p < MinThreads || p > MaxThreads:
		return fmt.Errorf("p=%d outside %d..%d: %w", p, MinThreads, MaxThreads, ErrLimits)
	case m > MaxMemoryKiB:
		return fmt.Errorf("m=%d KiB above %d: %w", m, MaxMemoryKiB, ErrLimits)
	case m < MinMemoryKiBPerThread*p:
		return fmt.Errorf("m=%d KiB below %d × p=%d: %w", m, MinMemoryKiBPerThread, p, ErrLimits)
	}
	return nil
}

// decodeBytes checks the decoded length from the encoded length first, so
// that an oversized field is refused without allocating for it.
func decodeBytes(s string, minLen, maxLen int) ([]byte, error) {
	// encoding/base64 skips '\r' and '\n' anywhere in its input; a stored
	// hash has no line breaks, and one spelling per hash is what keeps
	// NeedsRehash and comparisons honest.
	for i := 0; i < len(s); i++ {
		if !isBase64(s[i]) {
			return nil, fmt.Errorf("base64: %w", ErrMalformed)
		}
	}
	if n := b64.DecodedLen(len(s)); n < minLen || n > maxLen {
		return nil, fmt.Errorf("%d bytes outside %d..%d: %w", n, minLen, maxLen, ErrLimits)
	}
	b, err := b64.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("base64: %w", ErrMalformed)
	}
	return b, nil
}

func isBase64(c byte) bool {
	return c == '+' || c == '/' || ('0' <= c && c <= '9') || ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z')
}
