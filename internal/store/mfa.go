package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

// applySecondFactor writes c's two-step verification parts, inside
// applyChange's transaction. Each that must not happen twice is a
// compare-and-set: enrolment only while TOTP is off, a code's step only
// after the last one, a recovery code only while unused.
func applySecondFactor(ctx context.Context, tx *sql.Tx, c auth.Change) error {
	if c.TOTPSecret != "" {
		if err := oneRow(tx.ExecContext(ctx, `UPDATE users SET totp_secret = $2, totp_last_step = 0
			WHERE id = $1 AND totp_enabled_at IS NULL`, c.UserID, c.TOTPSecret)); err != nil {
			return mfaOnOr(err)
		}
	}
	if f := c.Factor; f != nil {
		var err error
		if f.RecoveryCodeHash != "" {
			err = oneRow(tx.ExecContext(ctx, `UPDATE recovery_codes SET used_at = $3
				WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`, c.UserID, f.RecoveryCodeHash, c.At))
		} else {
			err = oneRow(tx.ExecContext(ctx, `UPDATE users SET totp_last_step = $2
				WHERE id = $1 AND totp_last_step < $2`, c.UserID, f.Step))
		}
		if err == auth.ErrNotFound {
			return auth.ErrCodeUsed
		}
		if err != nil {
			return err
		}
	}
	if c.EnableTOTP {
		if err := oneRow(tx.ExecContext(ctx, `UPDATE users SET totp_enabled_at = $2
			WHERE id = $1 AND totp_enabled_at IS NULL AND totp_secret IS NOT NULL`, c.UserID, c.At)); err != nil {
			return mfaOnOr(err)
		}
	}
	if c.DisableTOTP {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = 0
			WHERE id = $1`, c.UserID); err != nil {
			return err
		}
	}
	if c.DisableTOTP || c.RecoveryCodes != nil {
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, c.UserID); err != nil {
			return err
		}
	}
	for _, h := range c.RecoveryCodes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)`,
			c.UserID, h); err != nil {
			return err
		}
	}
	return nil
}

// mfaOnOr reads "no row changed" of an enrolment step as TOTP being on
// already (the user is known to exist: the flows read them first).
func mfaOnOr(err error) error {
	if err == auth.ErrNotFound {
		return auth.ErrMFAOn
	}
	return err
}

// TOTPSecret implements auth.Store.
func (s *Store) TOTPSecret(ctx context.Context, userID string) (string, int64, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var (
		secret sql.NullString
		last   int64
	)
	err := s.queryRow(ctx, `SELECT totp_secret, totp_last_step FROM users WHERE id = $1`, userID).Scan(&secret, &last)
	if err != nil {
		return "", 0, s.notFoundOr(ctx, "get totp secret", err)
	}
	if !secret.Valid {
		return "", 0, auth.ErrNotFound
	}
	return secret.String, last, nil
}

// RecoveryCodesLeft implements auth.Store.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, userID).Scan(&n)
	return n, s.classify(ctx, "count recovery codes", err)
}

// CreateChallenge implements auth.Store.
func (s *Store) CreateChallenge(ctx context.Context, ch *auth.Challenge) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.w.ExecContext(ctx, `
		INSERT INTO mfa_challenges (id, token_hash, user_id, session_kind, method, remember, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		ch.ID, ch.TokenHash, ch.UserID, string(ch.SessionKind), string(ch.Method), ch.Remember, ch.CreatedAt, ch.ExpiresAt)
	return s.classify(ctx, "create challenge", err)
}

// ChallengeByHash implements auth.Store.
func (s *Store) ChallengeByHash(ctx context.Context, hash string) (*auth.Challenge, *auth.User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var (
		ch         auth.Challenge
		kind, meth string
		used       sql.NullTime
		u          auth.User
		ud         userDest
	)
	dest := append([]any{&ch.ID, &ch.TokenHash, &ch.UserID, &kind, &meth, &ch.Remember, &ch.CreatedAt, &ch.ExpiresAt,
		&ch.Failures, &used}, ud.dest(&u)...)
	err := s.queryRow(ctx, `
		SELECT c.id, c.token_hash, c.user_id, c.session_kind, c.method, c.remember, c.created_at, c.expires_at,
			c.failures, c.used_at, `+userColumnsU+`
		FROM mfa_challenges c JOIN users u ON u.id = c.user_id
		WHERE c.token_hash = $1`, hash).Scan(dest...)
	if err != nil {
		return nil, nil, s.notFoundOr(ctx, "get challenge", err)
	}
	ud.finish(&u)
	ch.SessionKind, ch.Method = auth.SessionKind(kind), auth.LoginMethod(meth)
	ch.CreatedAt, ch.ExpiresAt, ch.UsedAt = ch.CreatedAt.UTC(), ch.ExpiresAt.UTC(), timePtr(used)
	return &ch, &u, nil
}

// FailChallenge implements auth.Store: one statement counts the failure
// and, at the limit, uses the challenge up, so concurrent wrong codes
// cannot each see room for one more.
func (s *Store) FailChallenge(ctx context.Context, id string, at time.Time, limit int) (int, error) {
	var n int
	err := s.inTx(ctx, "fail challenge", func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `
			UPDATE mfa_challenges
			SET failures = failures + 1,
				used_at = CASE WHEN failures + 1 >= $3 THEN $2 ELSE used_at END
			WHERE id = $1 AND used_at IS NULL AND expires_at > $2
			RETURNING failures`, id, at, limit).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			return auth.ErrNotFound
		}
		return err
	})
	return n, err
}

// UseChallenge implements auth.Store.
func (s *Store) UseChallenge(ctx context.Context, id string, c auth.Change) error {
	return s.inTx(ctx, "use challenge", func(tx *sql.Tx) error {
		if err := oneRow(tx.ExecContext(ctx, `UPDATE mfa_challenges SET used_at = $2
			WHERE id = $1 AND used_at IS NULL AND expires_at > $2`, id, c.At)); err != nil {
			return err
		}
		return s.applyChange(ctx, tx, c)
	})
}
