package token

import "time"

// Misses returns how many verifications had to parse a token: the cache's
// misses. Tests count with it instead of timing.
func Misses(m *Manager) int64 { return m.misses.Load() }

// CacheLen returns how many verified tokens m remembers.
func CacheLen(m *Manager) int { return m.cache.Len() }

// RetiredFor returns how long m keeps a retired key published.
func RetiredFor(m *Manager) time.Duration { return m.retiredFor() }
