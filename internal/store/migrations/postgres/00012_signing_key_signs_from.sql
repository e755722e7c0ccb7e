-- +goose Up
-- See the SQLite migration of the same number for what the column holds.
ALTER TABLE signing_keys ADD COLUMN signs_from TIMESTAMPTZ;
UPDATE signing_keys SET signs_from = created_at;
ALTER TABLE signing_keys ALTER COLUMN signs_from SET NOT NULL;

-- +goose Down
ALTER TABLE signing_keys DROP COLUMN signs_from;
