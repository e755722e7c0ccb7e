-- +goose Up
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('user', 'admin')),
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    disabled_at   TIMESTAMPTZ
);

-- Uniqueness is case-insensitive and enforced here, not by a pre-check.
-- Usernames are ASCII, so lower() is a complete case fold; emails are
-- stored lower-cased already.
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (email);

-- Failed logins per account, for throttling; in the database so that
-- every instance counts the same failures.
CREATE TABLE login_failures (
    key       TEXT NOT NULL,
    failed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, failed_at);
CREATE INDEX login_failures_failed_at ON login_failures (failed_at);

-- +goose Down
DROP TABLE login_failures;
DROP TABLE users;
