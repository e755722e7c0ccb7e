-- +goose Up
-- When a key starts signing. A rotation publishes the new key at once but
-- lets it sign only once every verifier that cached the JWK Set before the
-- rotation has fetched it again (LATCHKEY_JWKS_MAX_AGE later), so that none
-- meets a kid it does not know; `keys rotate --now` sets it to the
-- rotation's time. It is stored, not derived from created_at and the
-- setting, so that every instance agrees on the signer whatever its own
-- settings, and a rotation --now needs no made-up created_at. The keys
-- stored before this migration sign from their creation. A retired key's
-- retired_at may lie ahead: the key keeps signing until then.
ALTER TABLE signing_keys ADD COLUMN signs_from TIMESTAMP;
UPDATE signing_keys SET signs_from = created_at;

-- +goose Down
ALTER TABLE signing_keys DROP COLUMN signs_from;
