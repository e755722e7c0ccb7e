package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/latchkey/latchkey/internal/token"
)

var _ token.KeyStore = (*Store)(nil)

// SigningKeys implements token.KeyStore. It returns every row, retired ones
// included: the manager decides which are still published, so that the rule
// lives in one place and not in two dialects' SQL. The table holds one row
// per rotation, so reading all of it every few seconds stays cheap.
func (s *Store) SigningKeys(ctx context.Context) ([]token.StoredKey, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.query(ctx, `
		SELECT kid, alg, private_key, public_key, encrypted, created_at, signs_from, retired_at
		FROM signing_keys ORDER BY created_at, kid`)
	if err != nil {
		return nil, s.classify(ctx, "list signing keys", err)
	}
	defer rows.Close()
	var keys []token.StoredKey
	for rows.Next() {
		var (
			k         token.StoredKey
			signsFrom sql.NullTime
			retired   sql.NullTime
		)
		if err := rows.Scan(&k.KID, &k.Alg, &k.Private, &k.Public, &k.Encrypted, &k.CreatedAt, &signsFrom, &retired); err != nil {
			return nil, s.classify(ctx, "list signing keys", err)
		}
		k.CreatedAt = k.CreatedAt.UTC()
		// SQLite cannot add a NOT NULL column without a default; the
		// migration fills it and every insert writes it.
		k.SignsFrom = k.CreatedAt
		if signsFrom.Valid {
			k.SignsFrom = signsFrom.Time.UTC()
		}
		if retired.Valid {
			t := retired.Time.UTC()
			k.RetiredAt = &t
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, s.classify(ctx, "list signing keys", err)
	}
	return keys, nil
}

// InsertSigningKey implements token.KeyStore. A zero SignsFrom is stored as
// CreatedAt: the key signs from its creation.
func (s *Store) InsertSigningKey(ctx context.Context, k token.StoredKey) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	signsFrom := k.SignsFrom
	if signsFrom.IsZero() {
		signsFrom = k.CreatedAt
	}
	_, err := s.w.ExecContext(ctx, `
		INSERT INTO signing_keys (kid, alg, private_key, public_key, encrypted, created_at, signs_from, retired_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		k.KID, k.Alg, k.Private, k.Public, k.Encrypted, keyTime(k.CreatedAt), keyTime(signsFrom), nullKeyTime(k.RetiredAt))
	return s.classify(ctx, "insert signing key", err)
}

// RetireSigningKeys implements token.KeyStore. Keys retired earlier than at
// keep their retired_at, so a second rotation does not extend how long an
// old key signs or stays published; keys retired later (a rotation whose
// key is still waiting to sign) are retired at at instead, so a rotation
// --now stops them at once. Only keys older than exceptKID are retired (the
// row comparison orders as the manager does, by created_at then kid), so
// that two rotations at once cannot retire each other's key; an unknown
// exceptKID retires nothing.
func (s *Store) RetireSigningKeys(ctx context.Context, exceptKID string, at time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.w.ExecContext(ctx, `
		UPDATE signing_keys SET retired_at = $2
		WHERE (retired_at IS NULL OR retired_at > $2)
		  AND (created_at, kid) < (SELECT created_at, kid FROM signing_keys WHERE kid = $1)`,
		exceptKID, keyTime(at))
	return s.classify(ctx, "retire signing keys", err)
}

// keyTime is t as the flows write times: UTC, to the microsecond
// (what PostgreSQL keeps), so a value reads back equal to what was written.
func keyTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

func nullKeyTime(t *time.Time) sql.NullTime {
	if t == nil {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: keyTime(*t), Valid: true}
}
