-- +goose Up
-- The purge (store.Purge) finds rows that can no longer matter by these
-- columns, a batch at a time; without them each batch would scan the table.
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_revoked_at ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

-- +goose Down
DROP INDEX refresh_tokens_expires_at;
DROP INDEX sessions_revoked_at;
DROP INDEX sessions_expires_at;
