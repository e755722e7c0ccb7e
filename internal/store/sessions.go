package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

const sessionColumns = `s.id, s.user_id, s.token_hash, s.kind, s.created_at, s.last_seen_at, s.expires_at, s.idle_timeout_seconds, s.remember, s.user_agent, s.ip, s.revoked_at`

const userColumnsU = `u.id, u.username, u.email, u.password_hash, u.role, u.created_at, u.updated_at, u.disabled_at, u.email_verified_at, u.pending_email, u.totp_enabled_at`

// CreateSession implements auth.Store.
func (s *Store) CreateSession(ctx context.Context, ss *auth.Session, rt *auth.RefreshToken, events ...auth.Event) error {
	const insertSession = `INSERT INTO sessions (id, user_id, token_hash, kind, created_at, last_seen_at, expires_at, idle_timeout_seconds, remember, user_agent, ip)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`
	args := []any{ss.ID, ss.UserID, nullString(ss.TokenHash), string(ss.Kind), ss.CreatedAt, ss.LastSeenAt, ss.ExpiresAt,
		int64(ss.IdleTimeout / time.Second), ss.Remember, ss.UserAgent, ss.IP}
	if s.dialect.insertInWith && rt != nil && len(events) <= 1 {
		// Every API login lands here: one statement is one round trip where
		// a transaction took five (BEGIN, three inserts, COMMIT), and it is
		// as atomic (the foreign key is checked at its end, when every row
		// exists).
		ctx, cancel := s.bound(ctx)
		defer cancel()
		with := `WITH session AS (` + insertSession + `)`
		args = append(args, refreshTokenValues(rt)...)
		if len(events) == 1 {
			with += `, event AS (INSERT INTO audit_events (` + eventColumns + `)
				VALUES ($17, $18, $19, $20, $21, $22, $23, $24, $25))`
			args = append(args, eventValues(events[0])...)
		}
		_, err := s.w.ExecContext(ctx, with+`
			INSERT INTO refresh_tokens (`+refreshTokenColumns+`) VALUES ($12, $13, $14, $15, $16)`, args...)
		return s.classify(ctx, "create session", err)
	}
	return s.inTx(ctx, "create session", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, insertSession, args...); err != nil {
			return err
		}
		if rt != nil {
			if err := insertRefreshToken(ctx, tx, rt); err != nil {
				return err
			}
		}
		return insertEvents(ctx, tx, events)
	})
}

const refreshTokenColumns = `id, session_id, token_hash, created_at, expires_at`

// refreshTokenValues are rt's values for refreshTokenColumns.
func refreshTokenValues(rt *auth.RefreshToken) []any {
	return []any{rt.ID, rt.SessionID, rt.TokenHash, rt.CreatedAt, rt.ExpiresAt}
}

func insertRefreshToken(ctx context.Context, tx *sql.Tx, rt *auth.RefreshToken) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO refresh_tokens (`+refreshTokenColumns+`) VALUES ($1, $2, $3, $4, $5)`,
		refreshTokenValues(rt)...)
	return err
}

// SessionWithUser implements auth.Store.
func (s *Store) SessionWithUser(ctx context.Context, sessionID string) (*auth.Session, *auth.User, error) {
	return s.sessionWhere(ctx, "s.id = $1", "id:", sessionID)
}

// SessionByTokenHash implements auth.Store.
func (s *Store) SessionByTokenHash(ctx context.Context, hash string) (*auth.Session, *auth.User, error) {
	return s.sessionWhere(ctx, "s.token_hash = $1", "token:", hash)
}

// sessionWhere finds one session with its user: the look-up behind every
// authenticated request, so both forms are indexed (primary key, unique),
// and remembered until the database changes (see sessionCache).
func (s *Store) sessionWhere(ctx context.Context, where, kind, arg string) (*auth.Session, *auth.User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	v, err := s.sessions.check(ctx)
	if err != nil {
		return nil, nil, s.classify(ctx, "get session", err)
	}
	if ss, u, ok := s.sessions.get(kind+arg, v); ok {
		return ss, u, nil
	}
	ss, u, err := s.readSession(ctx, where, arg)
	if err == nil {
		s.sessions.put(kind+arg, v, ss, u)
	}
	return ss, u, err
}

func (s *Store) readSession(ctx context.Context, where string, arg any) (*auth.Session, *auth.User, error) {
	row := s.queryRow(ctx, `
		SELECT `+sessionColumns+`, `+userColumnsU+`
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE `+where, arg)
	ss, u, err := scanSessionUser(row, nil)
	if err != nil {
		return nil, nil, s.notFoundOr(ctx, "get session", err)
	}
	return ss, u, nil
}

// TouchSession implements auth.Store.
func (s *Store) TouchSession(ctx context.Context, sessionID string, at time.Time) error {
	return s.write(ctx, "touch session", func(ctx context.Context, tx *sql.Tx) error {
		return oneRow(tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE id = $1`, sessionID, at))
	})
}

// SetSessionTokenHash implements auth.Store.
func (s *Store) SetSessionTokenHash(ctx context.Context, sessionID, hash string) error {
	return s.updateRow(ctx, "set session token", `UPDATE sessions SET token_hash = $2 WHERE id = $1`, sessionID, hash)
}

const refreshTokenQuery = `
	SELECT ` + sessionColumns + `, ` + userColumnsU + `,
		r.id, r.session_id, r.token_hash, r.created_at, r.expires_at, r.used_at
	FROM refresh_tokens r
	JOIN sessions s ON s.id = r.session_id
	JOIN users u ON u.id = s.user_id
	WHERE r.token_hash = $1`

// RefreshTokenByHash implements auth.Store.
func (s *Store) RefreshTokenByHash(ctx context.Context, hash string) (*auth.RefreshToken, *auth.Session, *auth.User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	// Prepared: parsing this three-table join was half of a refresh's
	// reading.
	st, err := s.prepared(ctx, refreshTokenQuery)
	if err != nil {
		return nil, nil, nil, s.classify(ctx, "get refresh token", err)
	}
	row := st.QueryRowContext(ctx, hash)
	var (
		rt   auth.RefreshToken
		used sql.NullTime
	)
	ss, u, err := scanSessionUser(row, []any{&rt.ID, &rt.SessionID, &rt.TokenHash, &rt.CreatedAt, &rt.ExpiresAt, &used})
	if err != nil {
		return nil, nil, nil, s.notFoundOr(ctx, "get refresh token", err)
	}
	rt.CreatedAt, rt.ExpiresAt, rt.UsedAt = rt.CreatedAt.UTC(), rt.ExpiresAt.UTC(), timePtr(used)
	return &rt, ss, u, nil
}

// RotateRefreshToken implements auth.Store. The UPDATE's "used_at IS NULL"
// is the compare-and-set: of concurrent uses, one changes a row and the
// others find it already used, on SQLite (one writer) and on PostgreSQL
// (the second UPDATE re-checks the row after the first commits).
func (s *Store) RotateRefreshToken(ctx context.Context, oldID string, at time.Time, next *auth.RefreshToken, touch bool) (bool, error) {
	if s.dialect.insertInWith {
		return s.rotateInOneStatement(ctx, oldID, at, next, touch)
	}
	var won bool
	err := s.write(ctx, "rotate refresh token", func(ctx context.Context, tx *sql.Tx) error {
		won = false
		res, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL`, oldID, at)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // n == 0: a concurrent use won
		}
		if err := insertRefreshToken(ctx, tx, next); err != nil {
			return err
		}
		if touch {
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE id = $1`, next.SessionID, at); err != nil {
				return err
			}
		}
		won = true
		return nil
	})
	return won && err == nil, err
}

// rotateInOneStatement is RotateRefreshToken on PostgreSQL: one round
// trip where a transaction took five (BEGIN, three statements, COMMIT),
// and as atomic. Of concurrent rotations of one token, the second's
// UPDATE waits for the first's row lock, then finds used_at set and
// matches no row: it inserts nothing and returns 0.
func (s *Store) rotateInOneStatement(ctx context.Context, oldID string, at time.Time, next *auth.RefreshToken, touch bool) (bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var n int
	err := s.w.QueryRowContext(ctx, `
		WITH used AS (
			UPDATE refresh_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL RETURNING session_id
		), inserted AS (
			INSERT INTO refresh_tokens (`+refreshTokenColumns+`) SELECT $3, $4, $5, $6::timestamptz, $7::timestamptz FROM used RETURNING 1
		), touched AS (
			UPDATE sessions SET last_seen_at = $2 WHERE $8::boolean AND id IN (SELECT session_id FROM used)
		)
		SELECT count(*) FROM inserted`,
		append([]any{oldID, at}, append(refreshTokenValues(next), touch)...)...).Scan(&n)
	if err != nil {
		return false, s.classify(ctx, "rotate refresh token", err)
	}
	return n == 1, nil
}

// ListSessions implements auth.Store.
func (s *Store) ListSessions(ctx context.Context, userID string, now time.Time) ([]*auth.Session, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	v, err := s.sessions.check(ctx)
	if err != nil {
		return nil, s.classify(ctx, "list sessions", err)
	}
	if list, ok := s.sessions.getList(userID, v, now); ok {
		return list, nil
	}
	list, err := s.listSessions(ctx, userID, now)
	if err == nil {
		s.sessions.putList(userID, v, now, list)
	}
	return list, err
}

func (s *Store) listSessions(ctx context.Context, userID string, now time.Time) ([]*auth.Session, error) {
	list, err := queryList(ctx, s, scanSession, `
		SELECT `+sessionColumns+` FROM sessions s
		WHERE s.user_id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2
		ORDER BY s.created_at DESC, s.id DESC`, userID, now)
	return list, s.classify(ctx, "list sessions", err)
}

// RevokeSession implements auth.Store.
func (s *Store) RevokeSession(ctx context.Context, userID, sessionID string, at time.Time, events ...auth.Event) error {
	return s.inTx(ctx, "revoke session", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $3
			WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`, sessionID, userID, at)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			// Revoked before, which is no error, or not the user's at all.
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM sessions WHERE id = $1 AND user_id = $2`,
				sessionID, userID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return auth.ErrNotFound
			}
			return err
		}
		return insertEvents(ctx, tx, events)
	})
}

// RevokeUserSessions implements auth.Store.
func (s *Store) RevokeUserSessions(ctx context.Context, userID, exceptID string, at time.Time, events ...auth.Event) error {
	return s.inTx(ctx, "revoke sessions", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			UPDATE sessions SET revoked_at = $3
			WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL`, userID, exceptID, at); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
}

type scanner interface{ Scan(dest ...any) error }

// sessionDest holds what a sessions row scans into besides the Session.
type sessionDest struct {
	kind      string
	tokenHash sql.NullString
	idle      int64
	revoked   sql.NullTime
}

func (d *sessionDest) dest(ss *auth.Session) []any {
	return []any{&ss.ID, &ss.UserID, &d.tokenHash, &d.kind, &ss.CreatedAt, &ss.LastSeenAt, &ss.ExpiresAt, &d.idle, &ss.Remember, &ss.UserAgent, &ss.IP, &d.revoked}
}

func (d *sessionDest) finish(ss *auth.Session) {
	ss.Kind, ss.TokenHash = auth.SessionKind(d.kind), d.tokenHash.String
	ss.IdleTimeout = time.Duration(d.idle) * time.Second
	ss.CreatedAt, ss.LastSeenAt, ss.ExpiresAt = ss.CreatedAt.UTC(), ss.LastSeenAt.UTC(), ss.ExpiresAt.UTC()
	ss.RevokedAt = timePtr(d.revoked)
}

func scanSession(row scanner) (*auth.Session, error) {
	var (
		ss auth.Session
		sd sessionDest
	)
	if err := row.Scan(sd.dest(&ss)...); err != nil {
		return nil, err
	}
	sd.finish(&ss)
	return &ss, nil
}

// scanSessionUser scans sessionColumns, then userColumnsU, then extra.
func scanSessionUser(row scanner, extra []any) (*auth.Session, *auth.User, error) {
	var (
		ss auth.Session
		sd sessionDest
		u  auth.User
		ud userDest
	)
	dest := append(sd.dest(&ss), ud.dest(&u)...)
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, nil, err
	}
	sd.finish(&ss)
	ud.finish(&u)
	return &ss, &u, nil
}

// notFoundOr maps "no rows" to auth.ErrNotFound and classifies the rest.
func (s *Store) notFoundOr(ctx context.Context, op string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return auth.ErrNotFound
	}
	return s.classify(ctx, op, err)
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}
