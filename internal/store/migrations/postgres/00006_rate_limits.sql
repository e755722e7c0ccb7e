-- +goose Up
-- Per-IP token buckets for logins and registrations, shared by every
-- instance (see store.IPLimiter).
CREATE TABLE rate_limits (
    key        TEXT PRIMARY KEY,
    tokens     DOUBLE PRECISION NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX rate_limits_updated_at ON rate_limits (updated_at);

-- +goose Down
DROP TABLE rate_limits;
