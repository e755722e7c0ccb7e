package token

import (
	"crypto/sha256"
	"sync"
	"time"
)

// cache remembers verified tokens, so that the hot path of an API request
// is a SHA-256 and a map look-up instead of a signature verification.
// Only tokens that verified get in, so a flood of forgeries cannot evict
// anything; the bound is for a flood of real tokens.
//
// A plain map under a read-write mutex: hits take only the read lock, and
// the writes (one per new token, about one per user per TTL) are rare.
type cache struct {
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

func newCache(max int) *cache {
	return &cache{max: max, m: make(map[[sha256.Size]byte]cached)}
}

// get returns the entry for h if there is one and it has not expired at
// now. Expired entries stay until a put needs the room.
func (c *cache) get(h [sha256.Size]byte, now time.Time) (cached, bool) {
	c.mu.RLock()
	e, ok := c.m[h]
	c.mu.RUnlock()
	if !ok || !now.Before(e.claims.ExpiresAt) {
		return cached{}, false
	}
	return e, true
}

// put adds an entry. When the cache is full it first drops the expired
// entries, then, if that was not enough, arbitrary ones down to 90 % of the
// bound, so that the sweep is paid once per tenth of the bound and not on
// every put.
func (c *cache) put(h [sha256.Size]byte, e cached, now time.Time) {
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
	c.m[h] = e
}

func (c *cache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
