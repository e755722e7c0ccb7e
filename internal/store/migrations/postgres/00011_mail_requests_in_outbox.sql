-- +goose Up
-- A request for mail (a reset, a sign-in link) is queued as it came, an
-- address without an account, so that the request costs the same whoever
-- asks; the sender finds the account, if any, when it delivers.
ALTER TABLE mail_outbox ALTER COLUMN user_id DROP NOT NULL;

-- +goose Down
DELETE FROM mail_outbox WHERE user_id IS NULL;
ALTER TABLE mail_outbox ALTER COLUMN user_id SET NOT NULL;
