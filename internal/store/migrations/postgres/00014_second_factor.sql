-- +goose Up
-- Two-step verification (DESIGN.md, "Second factor and passkeys").
-- totp_secret is the TOTP key, sealed with the master key when one is
-- configured; it is set at enrolment and counts only once
-- totp_enabled_at is, after the user confirmed a code. totp_last_step is
-- the last time step whose code was accepted: a code of that step or an
-- earlier one is refused, so a code seen over a shoulder cannot be
-- replayed.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

-- Recovery codes: only their SHA-256 (a code has 80 random bits, nothing
-- to brute-force), each used once by a compare-and-set on used_at.
CREATE TABLE recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   TIMESTAMPTZ,
    PRIMARY KEY (user_id, code_hash)
);

-- Logins waiting for their second step: the password (or a sign-in link)
-- was right, the code is still to come. The token that names one is
-- stored as its SHA-256 and grants nothing but the right to send a code;
-- it is used up by a success or by five wrong codes, and lives five
-- minutes.
CREATE TABLE mfa_challenges (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_kind TEXT NOT NULL CHECK (session_kind IN ('browser', 'api')),
    method       TEXT NOT NULL,
    remember     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    failures     INTEGER NOT NULL DEFAULT 0,
    used_at      TIMESTAMPTZ
);
CREATE INDEX mfa_challenges_expires_at ON mfa_challenges (expires_at);

-- +goose Down
DROP TABLE mfa_challenges;
DROP TABLE recovery_codes;
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN totp_enabled_at;
ALTER TABLE users DROP COLUMN totp_secret;
