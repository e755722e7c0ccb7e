-- +goose Up
-- Account e-mails (DESIGN.md, "Account e-mails"). An address is proven when
-- email_verified_at is set; a change of address waits in pending_email
-- until the link sent to the new address is used.
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN pending_email TEXT;

-- The links' one-time tokens: only the SHA-256 is kept. A token is bound to
-- its user and to the address it was sent to, and used once (a
-- compare-and-set on used_at).
CREATE TABLE one_time_tokens (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('verify_email', 'reset_password', 'confirm_email', 'undo_email_change', 'login_link')),
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX one_time_tokens_user_kind ON one_time_tokens (user_id, kind);
CREATE INDEX one_time_tokens_expires_at ON one_time_tokens (expires_at);

-- The outbox: a message is written in the transaction of the change that
-- causes it and sent by a background sender, which leases it by moving
-- next_attempt_at ahead. data is what the template needs (the link's token
-- among it) and is emptied once the message is sent.
CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    to_address      TEXT NOT NULL,
    data            TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    sent_at         TIMESTAMPTZ,
    failed_at       TIMESTAMPTZ
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX mail_outbox_created_at ON mail_outbox (created_at);

-- Requests for mail by address and kind, known or unknown addresses alike,
-- for the per-address limit (one a minute, five an hour): kept in the
-- database so that it holds across instances, and written for every
-- request so that known and unknown addresses cost the same.
CREATE TABLE mail_requests (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key          TEXT NOT NULL,
    requested_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX mail_requests_key ON mail_requests (key, requested_at);
CREATE INDEX mail_requests_requested_at ON mail_requests (requested_at);

-- +goose Down
DROP TABLE mail_requests;
DROP TABLE mail_outbox;
DROP TABLE one_time_tokens;
ALTER TABLE users DROP COLUMN pending_email;
ALTER TABLE users DROP COLUMN email_verified_at;
