-- +goose Up
CREATE TABLE posts (
    id         TEXT PRIMARY KEY,
    author_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX posts_created ON posts (created_at DESC, id DESC);
CREATE INDEX posts_author_created ON posts (author_id, created_at DESC, id DESC);

-- +goose Down
DROP TABLE posts;
