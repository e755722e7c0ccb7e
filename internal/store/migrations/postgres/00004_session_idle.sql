-- +goose Up
ALTER TABLE sessions ADD COLUMN idle_timeout_seconds BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE sessions DROP COLUMN idle_timeout_seconds;
