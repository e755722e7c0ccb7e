-- +goose Up
-- Per-IP token buckets for logins and registrations, when the instances
-- share them through the database (see store.IPLimiter).
CREATE TABLE rate_limits (
    key        TEXT PRIMARY KEY,
    tokens     REAL NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX rate_limits_updated_at ON rate_limits (updated_at);

-- +goose Down
DROP TABLE rate_limits;
