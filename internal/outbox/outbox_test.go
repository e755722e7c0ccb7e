package outbox_test

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/outbox"
)

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		attempt int
		wait    time.Duration
		ok      bool
	}{
		{1, 30 * time.Second, true},
		{2, time.Minute, true},
		{3, 2 * time.Minute, true},
		{4, 4 * time.Minute, true},
		{5, 8 * time.Minute, true},
		{6, 16 * time.Minute, true},
		{7, 32 * time.Minute, true},
		{8, 0, false},
		{9, 0, false}, // claimed again after senders died: still given up
	}
	for _, tt := range tests {
		wait, ok := outbox.RetryAfter(tt.attempt)
		if wait != tt.wait || ok != tt.ok {
			t.Errorf("RetryAfter(%d) = %v, %v; want %v, %v", tt.attempt, wait, ok, tt.wait, tt.ok)
		}
	}
}

// TestRetryScheduleMeetsDesign: DESIGN.md asks for at least 5 attempts over
// at least 30 minutes before a message is given up.
func TestRetryScheduleMeetsDesign(t *testing.T) {
	var span time.Duration
	attempts := 1
	for {
		wait, ok := outbox.RetryAfter(attempts)
		if !ok {
			break
		}
		span += wait
		attempts++
	}
	if attempts != outbox.MaxAttempts || attempts < 5 || span < 30*time.Minute {
		t.Fatalf("%d attempts over %v; want MaxAttempts (%d), at least 5, over at least 30m", attempts, span, outbox.MaxAttempts)
	}
}
