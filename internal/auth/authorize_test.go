package auth_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
)

// TestAuthorizeRefusesInvalidTokens checks that whatever package token
// refuses a token for, the flow answers with ErrInvalidToken itself (the
// transports' 401 with error="invalid_token"), and that token's reason is
// still in the error, for the log.
func TestAuthorizeRefusesInvalidTokens(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")
	expired := e.login(t, "alice").AccessToken
	e.clock.Advance(16 * time.Minute) // past the token's 15, well inside the session's 30 days
	fresh := e.login(t, "alice").AccessToken

	for _, tc := range []struct {
		name, token, why string
	}{
		{"expired", expired, "expired"},
		{"garbage", "garbage", "invalid number of segments"},
		{"signature cut short", fresh[:len(fresh)-4], "signature"},
		{"megabyte", strings.Repeat("A", 1<<20), "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := e.authorized(t, tc.token)
			var ae *auth.Error
			if !errors.As(err, &ae) || ae != auth.ErrInvalidToken {
				t.Fatalf("error %v does not wrap auth.ErrInvalidToken", err)
			}
			authtest.Equal(t, auth.ErrorCode(err), auth.CodeInvalidToken)
			if !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("error %q does not say %q", err, tc.why)
			}
		})
	}
	authtest.NoError(t, e.authorized(t, fresh))
}
