package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

// DefaultTimeout is how long one database call may take when Options name
// no Timeout: LATCHKEY_DATABASE_TIMEOUT's default.
const DefaultTimeout = 5 * time.Second

// errTimeout is the cause of a context that the store ended itself because
// the database took longer than the store's timeout.
var errTimeout = errors.New("the database did not answer within the database timeout")

// bound limits ctx to the store's timeout, for one call: a database that
// accepts connections but never answers (frozen, or behind a network
// partition) must cost a request a 503 after a while, not hold it and its
// connection for ever. Reads, writes, whole transactions, the waits for a
// pooled connection and for SQLite's write lock all run under it.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, s.timeout, errTimeout)
}

// classify is dialect.classify that also knows why a bounded call's context
// ended. A call the store gave up on is auth.ErrUnavailable, so that the
// transports answer 503 with Retry-After; a call whose caller went away
// (the client hung up, or the caller's own deadline passed) stays that
// cancellation, whatever the driver made of it.
func (s *Store) classify(ctx context.Context, op string, err error) error {
	c := s.dialect.classify(op, err)
	if code := auth.ErrorCode(c); c == nil || (code != auth.CodeInternal && code != auth.CodeUnavailable) {
		return c // success, or an answer (a conflict, a missing row) that came in time
	}
	switch {
	case errors.Is(err, errTimeout) || errors.Is(context.Cause(ctx), errTimeout):
		return fmt.Errorf("%s: %w: %w (%v)", op, auth.ErrUnavailable, errTimeout, err)
	case ctx.Err() != nil && !errors.Is(c, context.Canceled) && !errors.Is(c, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w (%v)", op, ctx.Err(), err)
	}
	return c
}
