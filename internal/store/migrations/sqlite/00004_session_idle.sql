-- +goose Up
-- How long a browser session may go unused: 7 days with "remember me",
-- 12 hours without; 0 for API sessions, whose refresh tokens expire instead.
ALTER TABLE sessions ADD COLUMN idle_timeout_seconds INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE sessions DROP COLUMN idle_timeout_seconds;
