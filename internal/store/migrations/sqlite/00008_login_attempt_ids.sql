-- +goose Up
-- A login attempt is reserved (a row) before its password is checked, so
-- that simultaneous guesses cannot all pass the count (see
-- store.ReserveLoginAttempt). A reservation that turns out not to be a
-- failure is deleted again, by this id. SQLite cannot add a primary key to
-- a table, so the table is copied into a new one.
CREATE TABLE login_failures_new (
    id        INTEGER PRIMARY KEY,
    key       TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
INSERT INTO login_failures_new (key, failed_at) SELECT key, failed_at FROM login_failures;
DROP TABLE login_failures;
ALTER TABLE login_failures_new RENAME TO login_failures;
CREATE INDEX login_failures_key ON login_failures (key, failed_at);
CREATE INDEX login_failures_failed_at ON login_failures (failed_at);

-- +goose Down
CREATE TABLE login_failures_old (
    key       TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
INSERT INTO login_failures_old (key, failed_at) SELECT key, failed_at FROM login_failures;
DROP TABLE login_failures;
ALTER TABLE login_failures_old RENAME TO login_failures;
CREATE INDEX login_failures_key ON login_failures (key, failed_at);
CREATE INDEX login_failures_failed_at ON login_failures (failed_at);
