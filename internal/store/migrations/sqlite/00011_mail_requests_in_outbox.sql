-- +goose Up
-- A request for mail (a reset, a sign-in link) is queued as it came, an
-- address without an account, so that the request costs the same whoever
-- asks; the sender finds the account, if any, when it delivers. SQLite
-- cannot drop a NOT NULL, so the table is copied into a new one.
CREATE TABLE mail_outbox_new (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    user_id         TEXT REFERENCES users (id) ON DELETE CASCADE,
    to_address      TEXT NOT NULL,
    data            TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    sent_at         TIMESTAMP,
    failed_at       TIMESTAMP
);
INSERT INTO mail_outbox_new SELECT id, kind, user_id, to_address, data, created_at, attempts, next_attempt_at, last_error, sent_at, failed_at FROM mail_outbox;
DROP TABLE mail_outbox;
ALTER TABLE mail_outbox_new RENAME TO mail_outbox;
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX mail_outbox_created_at ON mail_outbox (created_at);

-- +goose Down
CREATE TABLE mail_outbox_old (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    to_address      TEXT NOT NULL,
    data            TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    sent_at         TIMESTAMP,
    failed_at       TIMESTAMP
);
INSERT INTO mail_outbox_old SELECT id, kind, user_id, to_address, data, created_at, attempts, next_attempt_at, last_error, sent_at, failed_at FROM mail_outbox WHERE user_id IS NOT NULL;
DROP TABLE mail_outbox;
ALTER TABLE mail_outbox_old RENAME TO mail_outbox;
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX mail_outbox_created_at ON mail_outbox (created_at);
