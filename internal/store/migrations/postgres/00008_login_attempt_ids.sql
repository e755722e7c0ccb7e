-- +goose Up
-- A login attempt is reserved (a row) before its password is checked, so
-- that simultaneous guesses cannot all pass the count (see
-- store.ReserveLoginAttempt). A reservation that turns out not to be a
-- failure is deleted again, by this id.
ALTER TABLE login_failures ADD COLUMN id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY;

-- +goose Down
ALTER TABLE login_failures DROP COLUMN id;
