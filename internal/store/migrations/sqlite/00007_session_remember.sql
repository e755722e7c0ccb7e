-- +goose Up
-- Whether a browser session was opened with "remember me", which decides
-- whether its cookie has a Max-Age. The idle timeout used to tell (over
-- 12 hours: remembered), but with LATCHKEY_SESSION_IDLE_TTL under 12 hours
-- both kinds have the same one. Sessions from before keep the old reading.
ALTER TABLE sessions ADD COLUMN remember BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE sessions SET remember = TRUE WHERE kind = 'browser' AND idle_timeout_seconds > 43200;

-- +goose Down
ALTER TABLE sessions DROP COLUMN remember;
