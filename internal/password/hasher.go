package password

import (
	"context"
	"crypto/rand"
	"sync"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// Hasher is what the application uses: the current parameters, the pool that
// bounds the work, and the rule that new hashes are made from the NFKC form
// of a password while imported ones were made from its raw bytes.
//
// Hashes run in this process, on the request's goroutine once it holds a
// slot. The Go scheduler then shares the cores fairly between hashes and
// every other request: neither can starve the other, which a separate
// process at a lower priority could not promise (it starved logins behind
// a flood of cheap requests).
type Hasher struct {
	params Params
	pool   *Pool

	dummyOnce sync.Once
	dummy     *argon2Hash
	dummyErr  error
}

// NewHasher returns a Hasher that makes new hashes with p and runs every
// hash in pool (nil: unbounded). p is checked by Hash, not here: the
// configuration has validated it already with Params.Validate.
func NewHasher(p Params, pool *Pool) *Hasher {
	return &Hasher{params: p, pool: pool}
}

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() Params { return h.params }

// Hash NFKC-normalises the password, so that the same password typed on
// another keyboard or input method still matches, and hashes it in a pool
// slot. It returns ErrBusy when the pool stays full, and ctx's error when
// ctx ends before the hash starts.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	normalized := norm.NFKC.String(password)
	var encoded string
	var err error
	if perr := h.pool.Do(ctx, func() { encoded, err = Hash(normalized, h.params) }); perr != nil {
		return "", perr
	}
	return encoded, err
}

// Verify checks password against encoded in one pool slot. Every hash but
// an argon2 PHC string comes only from another stack, which hashed the raw
// bytes, so it is checked against the raw password only. argon2 PHC
// strings may be Latchkey's (made from the NFKC form) or imported (raw
// bytes): the NFKC form is tried first and, only if it fails and differs
// from the raw password, the raw bytes.
// rehash is true when ok and the hash should be replaced by Hash's: it was
// not made with the current parameters, or it matched through the raw form.
// A stored hash that cannot be checked is an error, returned without taking
// a slot. A hash, once started, runs to its end (argon2 cannot be
// interrupted); ctx is checked before each of the two, so a client that
// has gone costs at most the hash already under way.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (ok, rehash bool, err error) {
	s, err := decode(encoded)
	if err != nil {
		return false, false, err
	}
	normalized := norm.NFKC.String(password)
	viaRaw := false
	var cerr error
	err = h.pool.Do(ctx, func() {
		if _, isArgon2 := s.(*argon2Hash); !isArgon2 { // other stacks hashed the raw bytes
			ok = s.matches(password)
			return
		}
		ok = s.matches(normalized)
		if !ok && normalized != password {
			if cerr = ctx.Err(); cerr == nil {
				ok = s.matches(password)
				viaRaw = ok
			}
		}
	})
	if err == nil {
		err = cerr
	}
	if err != nil || !ok {
		return false, false, err
	}
	return true, viaRaw || needsRehash(s, h.params), nil
}

// VerifyDummy costs the same work as a failed Verify against a hash made
// with the current parameters, including the second hash when the raw
// password is not in NFKC form, so that answering for an unknown account
// takes as long as answering a wrong password for a known one.
func (h *Hasher) VerifyDummy(ctx context.Context, password string) error {
	d, err := h.dummyHash()
	if err != nil {
		return err
	}
	normalized := norm.NFKC.String(password)
	var cerr error
	err = h.pool.Do(ctx, func() {
		if !d.matches(normalized) && normalized != password {
			if cerr = ctx.Err(); cerr == nil {
				d.matches(password)
			}
		}
	})
	if err != nil {
		return err
	}
	return cerr
}

// dummyHash builds, once, a hash at the current parameters with a random
// salt and a random key. Checking a password against it costs exactly what
// checking against a real hash does, no password can match it in practice,
// and building it costs no hashing.
func (h *Hasher) dummyHash() (*argon2Hash, error) {
	h.dummyOnce.Do(func() {
		if h.dummyErr = h.params.Validate(); h.dummyErr != nil {
			return
		}
		d := &argon2Hash{
			id:      argon2idName,
			version: argon2.Version,
			memory:  h.params.MemoryKiB,
			time:    h.params.Time,
			threads: h.params.Threads,
			salt:    make([]byte, SaltLen),
			key:     make([]byte, KeyLen),
		}
		_, _ = rand.Read(d.salt)
		_, _ = rand.Read(d.key)
		h.dummy = d
	})
	return h.dummy, h.dummyErr
}
