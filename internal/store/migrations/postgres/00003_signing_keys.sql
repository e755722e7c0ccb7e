-- +goose Up
-- See the SQLite migration of the same number for what the columns hold.
CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    alg         TEXT NOT NULL CHECK (alg IN ('ES256', 'EdDSA')),
    private_key BYTEA NOT NULL,
    public_key  BYTEA NOT NULL,
    encrypted   BOOLEAN NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    retired_at  TIMESTAMPTZ
);

-- +goose Down
DROP TABLE signing_keys;
