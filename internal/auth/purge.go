package auth

import "context"

// Purge deletes the rows that can no longer count for anything: ended
// sessions, expired refresh tokens, failed logins that have left the
// throttle's window, and audit events past their retention. The server runs it now and then; without it, every
// login and every refresh would leave a row behind for good.
func (s *Service) Purge(ctx context.Context) (int64, error) {
	now := s.timestamp()
	return s.store.Purge(ctx, now, now.Add(-LoginFailureWindow), now.Add(-s.opts.AuditRetention))
}
