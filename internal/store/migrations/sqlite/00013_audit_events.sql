-- +goose Up
-- The audit log and the admins' pages (DESIGN.md, "Administration, audit and metrics"): one row
-- per event, written in the transaction of the change it records. user_id
-- and actor_id are plain text, not foreign keys: the log outlives a deleted
-- account, which is when it matters most. details is a JSON object that
-- never holds a secret.
CREATE TABLE audit_events (
    id         TEXT PRIMARY KEY,
    at         TIMESTAMP NOT NULL,
    type       TEXT NOT NULL,
    actor_id   TEXT,
    user_id    TEXT,
    session_id TEXT,
    ip         TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    details    TEXT NOT NULL DEFAULT '{}'
);
-- Newest first, by user (a user's own activity, an admin's user page), by
-- type (the log filtered), and over all (the whole log, and the purge).
CREATE INDEX audit_events_user ON audit_events (user_id, at DESC, id DESC);
CREATE INDEX audit_events_type ON audit_events (type, at DESC, id DESC);
CREATE INDEX audit_events_at ON audit_events (at DESC, id DESC);

-- The admins' list of users, newest first, a page at a time.
CREATE INDEX users_created_at ON users (created_at DESC, id DESC);

-- +goose Down
DROP INDEX users_created_at;
DROP TABLE audit_events;
