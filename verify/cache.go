package verify

import (
	"crypto/sha256"
	"sync"
	"time"
)

// DefaultCacheSize is how many verified tokens a Verifier remembers: a
// token per active user of a busy site, at a few megabytes.
const DefaultCacheSize = 10_000

// Cache remembers the claims of tokens that verified, so that checking a
// token seen before costs a SHA-256 and a map look-up instead of a
// signature verification. A Verifier keeps one; Latchkey's own verifier
// uses the same type with the keys it keeps in its database. Only tokens
// that verified get in, so a flood of forgeries cannot evict anything;
// the bound is for a flood of real tokens. Only the tokens' hashes are
// kept, so the cache holds no bearer credential a heap dump could give
// away. It is safe for concurrent use.
//
// A plain map under a read-write mutex: hits take only the read lock, and
// the writes (one per new token, about one per user per token lifetime)
// are rare.
type Cache struct {
	mu  sync.RWMutex
	max int
	m   map[[sha256.Size]byte]cached
}

// cached is what a token verified to. kid lets a hit be refused once the
// key that signed the token is no longer published.
type cached struct {
	claims Claims
	kid    string
}

// NewCache returns a Cache of at most max tokens.
func NewCache(max int) *Cache {
	return &Cache{max: max, m: make(map[[sha256.Size]byte]cached)}
}

// Get returns the claims token verified to and the kid of the key that
// signed it, if it is in the cache and has not expired at now. The caller
// still checks that the key is published.
func (c *Cache) Get(token string, now time.Time) (Claims, string, bool) {
	if len(token) > MaxLen { // too long to be a token: not worth hashing
		return Claims{}, "", false
	}
	h := tokenHash(token)
	c.mu.RLock()
	e, ok := c.m[h]
	c.mu.RUnlock()
	if !ok || !now.Before(e.claims.ExpiresAt) {
		return Claims{}, "", false
	}
	return e.claims, e.kid, true
}

// Put remembers that token, signed by kid, verified to claims. When the
// cache is full it first drops the expired entries, then, if that was not
// enough, arbitrary ones down to 90 % of the bound, so that the sweep is
// paid once per tenth of the bound and not on every put. Expired entries
// stay until then.
func (c *Cache) Put(token string, claims Claims, kid string, now time.Time) {
	if len(token) > MaxLen {
		return
	}
	h := tokenHash(token)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[h]; !ok && len(c.m) >= c.max {
		for k, v := range c.m {
			if !now.Before(v.claims.ExpiresAt) {
				delete(c.m, k)
			}
		}
		for k := range c.m { // map order is unspecified: arbitrary victims
			if len(c.m) < c.max-c.max/10 {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[h] = cached{claims: claims, kid: kid}
}

// Len returns how many tokens the cache holds.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// tokenHash is the cache key of a token. Hashing through a buffer on the
// stack saves the heap copy []byte(token) would make: on a hit the claims
// are the only allocation.
func tokenHash(token string) [sha256.Size]byte {
	var buf [1024]byte // Latchkey's tokens are about 500 bytes
	if len(token) <= len(buf) {
		return sha256.Sum256(append(buf[:0], token...))
	}
	return sha256.Sum256([]byte(token))
}
