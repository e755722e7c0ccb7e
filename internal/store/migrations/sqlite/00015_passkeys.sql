-- +goose Up
-- Passkeys (DESIGN.md, "Second factor and passkeys"): WebAuthn
-- credentials, each one user's. credential_id is the credential's id
-- (base64url, unpadded), unique, by which a login finds it; credential is
-- the rest as the WebAuthn library keeps it (public key, signature
-- counter, flags, transports, AAGUID), as JSON. Nothing in it is secret:
-- the private key never leaves the authenticator.
CREATE TABLE passkeys (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL UNIQUE,
    credential    TEXT NOT NULL,
    name          TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    last_used_at  TIMESTAMP
);
CREATE INDEX passkeys_user ON passkeys (user_id, created_at, id);

-- Ceremonies in progress (adding a passkey, or a login with one): what
-- the first step must remember for the second, so that the two may reach
-- different instances. The browser holds a random handle; only its
-- SHA-256 is kept. A ceremony is used once (taking it deletes it) and
-- lives five minutes; the purge deletes what is left. name is what a
-- passkey being added is to be called ('' for a login).
CREATE TABLE webauthn_ceremonies (
    id         TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id    TEXT REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('register', 'login')),
    session    TEXT NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX webauthn_ceremonies_expires_at ON webauthn_ceremonies (expires_at);

-- +goose Down
DROP TABLE webauthn_ceremonies;
DROP TABLE passkeys;
