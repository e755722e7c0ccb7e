package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

const userColumns = `id, username, email, password_hash, role, created_at, updated_at, disabled_at, email_verified_at, pending_email, totp_enabled_at`

// userColumnCount is how many userColumns (and userValues) there are.
const userColumnCount = 11

const insertUser = `INSERT INTO users (` + userColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`

// userValues are u's values for userColumns.
func userValues(u *auth.User) []any {
	return []any{u.ID, u.Username, u.Email, u.PasswordHash, string(u.Role), u.CreatedAt, u.UpdatedAt,
		nullTime(u.DisabledAt), nullTime(u.EmailVerifiedAt), nullString(u.PendingEmail), nullTime(u.MFAEnabledAt)}
}

// CreateUser implements auth.Store.
func (s *Store) CreateUser(ctx context.Context, u *auth.User, letters []auth.Letter, events ...auth.Event) error {
	if len(letters) == 0 && len(events) == 0 {
		ctx, cancel := s.bound(ctx)
		defer cancel()
		_, err := s.w.ExecContext(ctx, insertUser, userValues(u)...)
		return s.classify(ctx, "create user", err)
	}
	return s.inTx(ctx, "create user", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, insertUser, userValues(u)...); err != nil {
			return err
		}
		if err := insertLetters(ctx, tx, letters); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
}

// UserByID implements auth.Store.
func (s *Store) UserByID(ctx context.Context, id string) (*auth.User, error) {
	return s.userWhere(ctx, "id = $1", id)
}

// UserByEmail implements auth.Store.
func (s *Store) UserByEmail(ctx context.Context, email string) (*auth.User, error) {
	return s.userWhere(ctx, "email = $1", email)
}

// UserByUsername implements auth.Store. The expression matches the unique
// index's, so the look-up uses it.
func (s *Store) UserByUsername(ctx context.Context, username string) (*auth.User, error) {
	return s.userWhere(ctx, "lower(username) = lower($1)", username)
}

// IdentityTaken implements auth.Store. Registration asks it before
// paying for a hash; one query instead of a look-up each saves a round
// trip on PostgreSQL. Each side of the OR has its unique index.
func (s *Store) IdentityTaken(ctx context.Context, username, email string) (bool, bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var byName, byEmail int
	err := s.queryRow(ctx, identityTakenQuery, username, email).Scan(&byName, &byEmail)
	if err != nil {
		return false, false, s.classify(ctx, "check identity", err)
	}
	return byName > 0, byEmail > 0, nil
}

const identityTakenQuery = `
	SELECT count(CASE WHEN lower(username) = lower($1) THEN 1 END),
	       count(CASE WHEN email = $2 THEN 1 END)
	FROM users WHERE lower(username) = lower($1) OR email = $2`

func (s *Store) userWhere(ctx context.Context, where string, arg any) (*auth.User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	row := s.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE `+where, arg)
	var (
		u  auth.User
		ud userDest
	)
	if err := row.Scan(ud.dest(&u)...); err != nil {
		return nil, s.notFoundOr(ctx, "get user", err)
	}
	ud.finish(&u)
	return &u, nil
}

// userDest holds what a users row scans into besides the User itself.
type userDest struct {
	role     string
	disabled sql.NullTime
	verified sql.NullTime
	pending  sql.NullString
	mfa      sql.NullTime
}

func (d *userDest) dest(u *auth.User) []any {
	return []any{&u.ID, &u.Username, &u.Email, &u.PasswordHash, &d.role, &u.CreatedAt, &u.UpdatedAt, &d.disabled, &d.verified, &d.pending, &d.mfa}
}

func (d *userDest) finish(u *auth.User) {
	u.Role = auth.Role(d.role)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	u.DisabledAt = timePtr(d.disabled)
	u.EmailVerifiedAt = timePtr(d.verified)
	u.PendingEmail = d.pending.String
	u.MFAEnabledAt = timePtr(d.mfa)
}

// DeleteUser implements auth.Store. Sessions, refresh tokens and posts go
// with the user through ON DELETE CASCADE.
func (s *Store) DeleteUser(ctx context.Context, userID string, events ...auth.Event) error {
	return s.inTx(ctx, "delete user", func(tx *sql.Tx) error {
		if err := s.keepAnAdmin(ctx, tx, userID); err != nil {
			return err
		}
		if err := oneRow(tx.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, userID)); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
}

// SetPasswordHash implements auth.Store.
func (s *Store) SetPasswordHash(ctx context.Context, userID, hash string, at time.Time) error {
	return s.updateRow(ctx, "set password hash",
		`UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1`, userID, hash, at)
}

// ListUsers implements auth.Store. The match's LIKE wildcards are
// escaped, so "a_b" finds only "a_b"; both sides are lower-cased as the
// username index is (emails are stored lower-cased already). No index
// serves a match inside a word, nor (under PostgreSQL's collations) a
// prefix: the newest-first index is walked until a page is full, which is
// quick for the matches an admin types and bounded by the table for a
// rare one. When each user was last seen is a second look-up, for the
// page's users only.
func (s *Store) ListUsers(ctx context.Context, q auth.UserQuery) ([]*auth.UserOverview, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.ID != "" {
		where = append(where, "id = "+arg(q.ID))
	}
	if q.Match != "" {
		pattern := likeEscaper.Replace(strings.ToLower(q.Match)) + "%"
		if !q.Prefix {
			pattern = "%" + pattern
		}
		p := arg(pattern)
		where = append(where, "(lower(username) LIKE "+p+" ESCAPE '\\' OR email LIKE "+p+" ESCAPE '\\')")
	}
	if q.After != nil {
		at, id := arg(q.After.CreatedAt), arg(q.After.ID)
		where = append(where, "(created_at < "+at+" OR (created_at = "+at+" AND id < "+id+"))")
	}
	query := `SELECT ` + userColumns + ` FROM users`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	users, err := queryList(ctx, s, scanUser, query+` ORDER BY created_at DESC, id DESC LIMIT `+arg(q.Limit), args...)
	if err != nil || len(users) == 0 {
		return nil, s.classify(ctx, "list users", err)
	}
	seen, err := s.lastSeen(ctx, users)
	if err != nil {
		return nil, s.classify(ctx, "list users", err)
	}
	list := make([]*auth.UserOverview, len(users))
	for i, u := range users {
		list[i] = &auth.UserOverview{User: *u, LastSeenAt: seen[u.ID]}
	}
	return list, nil
}

// lastSeen returns when each user's sessions were last used, by user id.
func (s *Store) lastSeen(ctx context.Context, users []*auth.User) (map[string]*time.Time, error) {
	ids := make([]string, len(users))
	args := make([]any, len(users))
	for i, u := range users {
		ids[i], args[i] = "$"+strconv.Itoa(i+1), u.ID
	}
	rows, err := s.r.QueryContext(ctx, `SELECT user_id, last_seen_at FROM sessions WHERE user_id IN (`+strings.Join(ids, ", ")+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	seen := make(map[string]*time.Time, len(users))
	for rows.Next() {
		var (
			id string
			at time.Time
		)
		if err := rows.Scan(&id, &at); err != nil {
			return nil, err
		}
		if last := seen[id]; last == nil || at.After(*last) {
			at = at.UTC()
			seen[id] = &at
		}
	}
	return seen, rows.Err()
}

// likeEscaper escapes LIKE's wildcards, and the escape character itself.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func scanUser(row scanner) (*auth.User, error) {
	var (
		u  auth.User
		ud userDest
	)
	if err := row.Scan(ud.dest(&u)...); err != nil {
		return nil, err
	}
	ud.finish(&u)
	return &u, nil
}

// updateRow runs a write that must change one row; none is ErrNotFound.
func (s *Store) updateRow(ctx context.Context, op, query string, args ...any) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := s.w.ExecContext(ctx, query, args...)
	if err != nil {
		return s.classify(ctx, op, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.classify(ctx, op, err)
	} else if n == 0 {
		return auth.ErrNotFound
	}
	return nil
}

func nullTime(t *time.Time) sql.NullTime {
	if t == nil {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: *t, Valid: true}
}

// ImportUsers inserts many users in one transaction: for moving accounts
// over from another system (their bcrypt or argon2 hashes verify as they
// are) and for seeding a benchmark with a million users in minutes rather
// than one durable commit each.
func (s *Store) ImportUsers(ctx context.Context, users []*auth.User) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.classify(ctx, "import users", err)
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, insertUser)
	if err != nil {
		return s.classify(ctx, "import users", err)
	}
	defer st.Close()
	for _, u := range users {
		if _, err := st.ExecContext(ctx, userValues(u)...); err != nil {
			return s.classify(ctx, "import users", err)
		}
	}
	return s.classify(ctx, "import users", tx.Commit())
}

// keepAnAdmin refuses, with auth.ErrLastAdmin, a change that would take
// the user's admin role away (demote, disable, delete) when they are the
// last active admin. On PostgreSQL it takes a lock first, held to the end
// of the transaction: two transactions demoting two admins would otherwise
// each count the other and both go ahead (SQLite's one writer serialises
// them already).
func (s *Store) keepAnAdmin(ctx context.Context, tx *sql.Tx, userID string) error {
	if s.dialect.lockKey != "" {
		if _, err := tx.ExecContext(ctx, s.dialect.lockKey, "admins"); err != nil {
			return err
		}
	}
	var admin bool
	err := tx.QueryRowContext(ctx, `SELECT role = 'admin' AND disabled_at IS NULL FROM users WHERE id = $1`, userID).Scan(&admin)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !admin) {
		return nil // not an active admin: nothing to keep (a missing user is the change's to report)
	}
	if err != nil {
		return err
	}
	var others int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users
		WHERE role = 'admin' AND disabled_at IS NULL AND id <> $1`, userID).Scan(&others); err != nil {
		return err
	}
	if others == 0 {
		return auth.ErrLastAdmin
	}
	return nil
}
