-- +goose Up
-- The keys that sign access tokens, shared by every instance through the
-- database so that a token signed by one verifies on all and a rotation on
-- one is picked up by the others. private_key is PKCS#8 DER, or its
-- AES-256-GCM sealing under LATCHKEY_MASTER_KEY when encrypted is true;
-- public_key is PKIX DER. A retired key no longer signs but stays published
-- until its last token has expired.
CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    alg         TEXT NOT NULL CHECK (alg IN ('ES256', 'EdDSA')),
    private_key BLOB NOT NULL,
    public_key  BLOB NOT NULL,
    encrypted   BOOLEAN NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    retired_at  TIMESTAMP
);

-- +goose Down
DROP TABLE signing_keys;
