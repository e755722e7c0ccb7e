// Package authtest holds what tests of every layer share: the contract suite
// each auth.Store must pass, a settable clock, cheap hashing parameters and a
// tiny assertion helper.
package authtest

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/password"
)

// CheapParams are argon2id parameters that keep tests fast. They are never
// valid settings (config refuses them); only tests use them.
var CheapParams = password.Params{MemoryKiB: 64, Time: 1, Threads: 1}

// NewHasher returns a hasher with CheapParams and a roomy pool.
func NewHasher() *password.Hasher {
	return password.NewHasher(CheapParams, password.NewPool(8, 5*time.Second))
}

// Clock is a settable clock for flows that take `now func() time.Time`.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock stopped at a fixed instant.
func NewClock() *Clock {
	return &Clock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Equal fails the test when got != want.
func Equal[T comparable](t testing.TB, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// NoError fails the test when err is not nil.
func NoError(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// Code fails the test unless err is an *auth.Error with the given code.
func Code(t testing.TB, err error, want auth.Code) *auth.Error {
	t.Helper()
	var e *auth.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v, want an *auth.Error with code %s", err, want)
	}
	if e.Code != want {
		t.Fatalf("got code %s (%v), want %s", e.Code, e, want)
	}
	return e
}

// EqualSlices fails the test when got and want differ.
func EqualSlices[T comparable](t testing.TB, got, want []T) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
