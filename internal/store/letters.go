package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

// mailData is the outbox's data column: what a message's template needs
// beyond its kind and address. It holds the link's raw token, so it is
// emptied once the message is sent.
type mailData struct {
	Username string `json:"username,omitempty"`
	Token    string `json:"token,omitempty"`
	Next     string `json:"next,omitempty"`
	NewEmail string `json:"new_email,omitempty"`
	// Who asked, for the audit event the sender writes when it finds the
	// account (see auth.ResolveMail).
	IP        string `json:"ip,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
}

// insertLetters stores each letter's token and queues its mail, due at once.
func insertLetters(ctx context.Context, tx *sql.Tx, letters []auth.Letter) error {
	for _, l := range letters {
		if t := l.Token; t != nil {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO one_time_tokens (id, kind, user_id, email, token_hash, created_at, expires_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				t.ID, string(t.Kind), t.UserID, t.Email, t.TokenHash, t.CreatedAt, t.ExpiresAt); err != nil {
				return err
			}
		}
		if m := l.Mail; m != nil {
			data, err := json.Marshal(mailData{Username: m.Username, Token: m.Token, Next: m.Next, NewEmail: m.NewEmail,
				IP: m.AskedBy.IP, UserAgent: m.AskedBy.UserAgent})
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO mail_outbox (id, kind, user_id, to_address, data, created_at, next_attempt_at)
				VALUES ($1, $2, $3, $4, $5, $6, $6)`,
				m.ID, string(m.Kind), nullString(m.UserID), m.To, string(data), m.CreatedAt); err != nil {
				return err
			}
		}
	}
	return nil
}

// ApplyChange implements auth.Store.
func (s *Store) ApplyChange(ctx context.Context, c auth.Change) error {
	return s.inTx(ctx, "apply change", func(tx *sql.Tx) error { return s.applyChange(ctx, tx, c) })
}

// inTx runs f in a write transaction bounded by the database timeout,
// committing when it returns nil.
func (s *Store) inTx(ctx context.Context, op string, f func(*sql.Tx) error) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.classify(ctx, op, err)
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return s.classify(ctx, op, err)
	}
	return s.classify(ctx, op, tx.Commit())
}

func (s *Store) applyChange(ctx context.Context, tx *sql.Tx, c auth.Change) error {
	if c.Disable || c.Role == auth.RoleUser {
		if err := s.keepAnAdmin(ctx, tx, c.UserID); err != nil {
			return err
		}
	}
	var (
		set  []string
		args = []any{c.UserID, c.At}
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if c.Username != "" {
		set = append(set, "username = "+arg(c.Username))
	}
	if c.PasswordHash != "" {
		set = append(set, "password_hash = "+arg(c.PasswordHash))
	}
	if c.Role != "" {
		set = append(set, "role = "+arg(string(c.Role)))
	}
	switch {
	case c.Disable:
		set = append(set, "disabled_at = $2")
	case c.Enable:
		set = append(set, "disabled_at = NULL")
	}
	if c.Email != "" {
		set = append(set, "email = "+arg(c.Email))
	}
	if c.VerifyEmail {
		set = append(set, "email_verified_at = $2")
	}
	switch {
	case c.PendingEmail != "":
		set = append(set, "pending_email = "+arg(c.PendingEmail))
	case c.ClearPending:
		set = append(set, "pending_email = NULL")
	}
	if len(set) > 0 {
		if err := oneRow(tx.ExecContext(ctx, `UPDATE users SET `+strings.Join(set, ", ")+`, updated_at = $2 WHERE id = $1`, args...)); err != nil {
			return err
		}
	}
	if c.RevokeSessions {
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $2
			WHERE user_id = $1 AND revoked_at IS NULL AND id <> $3`, c.UserID, c.At, c.KeepSession); err != nil {
			return err
		}
	}
	if c.ClearFailures != "" {
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE key = $1`, c.ClearFailures); err != nil {
			return err
		}
	}
	if err := endTokens(ctx, tx, c.UserID, c.At, c.EndTokens...); err != nil {
		return err
	}
	if err := applySecondFactor(ctx, tx, c); err != nil {
		return err
	}
	if err := insertLetters(ctx, tx, c.Letters); err != nil {
		return err
	}
	return insertEvents(ctx, tx, c.Events)
}

// oneRow checks that a write changed a row: none is auth.ErrNotFound.
func oneRow(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = auth.ErrNotFound
	}
	return err
}

// endTokens marks the user's unused tokens of the kinds used, so that
// they no longer work.
func endTokens(ctx context.Context, tx *sql.Tx, userID string, at time.Time, kinds ...auth.TokenKind) error {
	for _, k := range kinds {
		if _, err := tx.ExecContext(ctx, `UPDATE one_time_tokens SET used_at = $2
			WHERE user_id = $1 AND kind = $3 AND used_at IS NULL`, userID, at, string(k)); err != nil {
			return err
		}
	}
	return nil
}

const oneTimeTokenColumns = `t.id, t.kind, t.user_id, t.email, t.token_hash, t.created_at, t.expires_at, t.used_at`

// OneTimeTokenByHash implements auth.Store.
func (s *Store) OneTimeTokenByHash(ctx context.Context, hash string) (*auth.OneTimeToken, *auth.User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var (
		t    auth.OneTimeToken
		kind string
		used sql.NullTime
		u    auth.User
		ud   userDest
	)
	err := s.queryRow(ctx, `SELECT `+oneTimeTokenColumns+`, `+userColumnsU+`
		FROM one_time_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1`, hash).
		Scan(append([]any{&t.ID, &kind, &t.UserID, &t.Email, &t.TokenHash, &t.CreatedAt, &t.ExpiresAt, &used}, ud.dest(&u)...)...)
	if err != nil {
		return nil, nil, s.notFoundOr(ctx, "get one-time token", err)
	}
	ud.finish(&u)
	t.Kind, t.UsedAt = auth.TokenKind(kind), timePtr(used)
	t.CreatedAt, t.ExpiresAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC()
	return &t, &u, nil
}

// UseToken implements auth.Store. The compare-and-set states the token's
// binding in SQL, so that it holds against whatever committed since the
// caller read the token: of two uses, or a use and a change of address,
// only one can win.
func (s *Store) UseToken(ctx context.Context, tokenID string, c auth.Change) error {
	return s.inTx(ctx, "use one-time token", func(tx *sql.Tx) error {
		err := oneRow(tx.ExecContext(ctx, `
			UPDATE one_time_tokens SET used_at = $2
			WHERE id = $1 AND used_at IS NULL AND expires_at > $2 AND EXISTS (
				SELECT 1 FROM users u WHERE u.id = one_time_tokens.user_id AND u.disabled_at IS NULL AND (
					one_time_tokens.kind = 'undo_email_change'
					OR (one_time_tokens.kind = 'confirm_email' AND u.pending_email = one_time_tokens.email)
					OR (one_time_tokens.kind NOT IN ('confirm_email', 'undo_email_change') AND u.email = one_time_tokens.email)))`,
			tokenID, c.At))
		if err != nil {
			return err
		}
		return s.applyChange(ctx, tx, c)
	})
}

// RequestMail implements auth.Store. Like ReserveLoginAttempt, the count
// and the insert must not interleave with another request for the same
// key: SQLite's one writer serialises them, PostgreSQL an advisory lock.
func (s *Store) RequestMail(ctx context.Context, key string, at time.Time, perHour int, l auth.Letter, events ...auth.Event) (bool, error) {
	ok := false
	err := s.inTx(ctx, "request mail", func(tx *sql.Tx) error {
		if s.dialect.lockKey != "" {
			if _, err := tx.ExecContext(ctx, s.dialect.lockKey, key); err != nil {
				return err
			}
		}
		var hour, minute int
		if err := tx.QueryRowContext(ctx, `
			SELECT count(*), count(CASE WHEN requested_at > $3 THEN 1 END)
			FROM mail_requests WHERE key = $1 AND requested_at > $2`,
			key, at.Add(-time.Hour), at.Add(-time.Minute)).Scan(&hour, &minute); err != nil {
			return err
		}
		if minute > 0 || hour >= perHour {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO mail_requests (key, requested_at) VALUES ($1, $2)`, key, at); err != nil {
			return err
		}
		ok = true
		if l.Token != nil {
			if err := endTokens(ctx, tx, l.Token.UserID, at, l.Token.Kind); err != nil {
				return err
			}
		}
		if err := insertLetters(ctx, tx, []auth.Letter{l}); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
	return ok && err == nil, err
}
