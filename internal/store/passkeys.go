package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

// A passkey's credential id is kept as unpadded base64url text, the form
// WebAuthn's JSON gives it in, so that the unique index compares the same
// on both databases; the credential itself as the library's JSON.

const passkeyColumns = `p.id, p.user_id, p.credential, p.name, p.created_at, p.last_used_at`

func credentialID(id []byte) string { return base64.RawURLEncoding.EncodeToString(id) }

// CreatePasskeyCeremony implements auth.Store.
func (s *Store) CreatePasskeyCeremony(ctx context.Context, c *auth.PasskeyCeremony) error {
	session, err := json.Marshal(c.Session)
	if err != nil {
		return fmt.Errorf("create passkey ceremony: %w", err)
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err = s.w.ExecContext(ctx, `
		INSERT INTO webauthn_ceremonies (id, token_hash, user_id, kind, session, name, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		c.ID, c.TokenHash, nullString(c.UserID), string(c.Kind), string(session), c.Name, c.CreatedAt, c.ExpiresAt)
	return s.classify(ctx, "create passkey ceremony", err)
}

// TakePasskeyCeremony implements auth.Store. The DELETE is the
// compare-and-set: on PostgreSQL a second DELETE of the row waits for the
// first to commit and then finds it gone; SQLite has one writer.
func (s *Store) TakePasskeyCeremony(ctx context.Context, hash string, kind auth.CeremonyKind, userID string, now time.Time) (*auth.PasskeyCeremony, error) {
	var (
		c        auth.PasskeyCeremony
		owner    sql.NullString
		kindText string
		session  string
	)
	err := s.inTx(ctx, "take passkey ceremony", func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `
			DELETE FROM webauthn_ceremonies
			WHERE token_hash = $1 AND kind = $2 AND COALESCE(user_id, '') = $3 AND expires_at > $4
			RETURNING id, token_hash, user_id, kind, session, name, created_at, expires_at`,
			hash, string(kind), userID, now).
			Scan(&c.ID, &c.TokenHash, &owner, &kindText, &session, &c.Name, &c.CreatedAt, &c.ExpiresAt)
		if errors.Is(err, sql.ErrNoRows) {
			return auth.ErrNotFound
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(session), &c.Session); err != nil {
		return nil, fmt.Errorf("take passkey ceremony: session data: %w", err)
	}
	c.UserID, c.Kind, c.CreatedAt, c.ExpiresAt = owner.String, auth.CeremonyKind(kindText), c.CreatedAt.UTC(), c.ExpiresAt.UTC()
	return &c, nil
}

// CreatePasskey implements auth.Store.
func (s *Store) CreatePasskey(ctx context.Context, p *auth.Passkey, events ...auth.Event) error {
	cred, err := json.Marshal(p.Credential)
	if err != nil {
		return fmt.Errorf("create passkey: %w", err)
	}
	return s.inTx(ctx, "create passkey", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO passkeys (id, user_id, credential_id, credential, name, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`,
			p.ID, p.UserID, credentialID(p.Credential.ID), string(cred), p.Name, p.CreatedAt)
		if _, unique := s.dialect.uniqueViolation(err); unique {
			return auth.ErrPasskeyTaken // the id is a fresh UUID: the credential's is what collided
		}
		if err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
}

// ListPasskeys implements auth.Store.
func (s *Store) ListPasskeys(ctx context.Context, userID string) ([]*auth.Passkey, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	list, err := queryList(ctx, s, scanPasskey, `SELECT `+passkeyColumns+` FROM passkeys p
		WHERE p.user_id = $1 ORDER BY p.created_at, p.id`, userID)
	return list, s.classify(ctx, "list passkeys", err)
}

// PasskeyByCredentialID implements auth.Store.
func (s *Store) PasskeyByCredentialID(ctx context.Context, id []byte) (*auth.Passkey, *auth.User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var (
		u  auth.User
		ud userDest
	)
	row := s.queryRow(ctx, `SELECT `+passkeyColumns+`, `+userColumnsU+`
		FROM passkeys p JOIN users u ON u.id = p.user_id WHERE p.credential_id = $1`, credentialID(id))
	p, err := scanPasskeyWith(row, ud.dest(&u)...)
	if err != nil {
		return nil, nil, s.notFoundOr(ctx, "get passkey", err)
	}
	ud.finish(&u)
	return p, &u, nil
}

// UsePasskey implements auth.Store.
func (s *Store) UsePasskey(ctx context.Context, p *auth.Passkey, at time.Time) error {
	cred, err := json.Marshal(p.Credential)
	if err != nil {
		return fmt.Errorf("use passkey: %w", err)
	}
	return s.updateRow(ctx, "use passkey", `UPDATE passkeys SET credential = $2, last_used_at = $3 WHERE id = $1`,
		p.ID, string(cred), at)
}

// RenamePasskey implements auth.Store.
func (s *Store) RenamePasskey(ctx context.Context, userID, passkeyID, name string) error {
	return s.updateRow(ctx, "rename passkey", `UPDATE passkeys SET name = $3 WHERE id = $1 AND user_id = $2`,
		passkeyID, userID, name)
}

// DeletePasskey implements auth.Store.
func (s *Store) DeletePasskey(ctx context.Context, userID, passkeyID string, events ...auth.Event) error {
	return s.inTx(ctx, "delete passkey", func(tx *sql.Tx) error {
		if err := oneRow(tx.ExecContext(ctx, `DELETE FROM passkeys WHERE id = $1 AND user_id = $2`, passkeyID, userID)); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
}

func scanPasskey(row scanner) (*auth.Passkey, error) { return scanPasskeyWith(row) }

// scanPasskeyWith scans passkeyColumns, then into more.
func scanPasskeyWith(row scanner, more ...any) (*auth.Passkey, error) {
	var (
		p    auth.Passkey
		cred string
		used sql.NullTime
	)
	if err := row.Scan(append([]any{&p.ID, &p.UserID, &cred, &p.Name, &p.CreatedAt, &used}, more...)...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(cred), &p.Credential); err != nil {
		return nil, fmt.Errorf("passkey %s: credential: %w", p.ID, err)
	}
	p.CreatedAt, p.LastUsedAt = p.CreatedAt.UTC(), timePtr(used)
	return &p, nil
}
