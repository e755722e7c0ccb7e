package store

import (
	"context"
	"strconv"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/blog"
)

const postColumns = `p.id, p.author_id, p.title, p.body, p.created_at, p.updated_at`

// CreatePost implements blog.Store.
func (s *Store) CreatePost(ctx context.Context, p *blog.Post) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.w.ExecContext(ctx, `
		INSERT INTO posts (id, author_id, title, body, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		p.ID, p.AuthorID, p.Title, p.Body, p.CreatedAt, p.UpdatedAt)
	return s.classify(ctx, "create post", err)
}

// PostByID implements blog.Store.
func (s *Store) PostByID(ctx context.Context, id string) (*blog.Post, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	row := s.queryRow(ctx, `SELECT `+postColumns+`, `+userColumnsU+`
		FROM posts p JOIN users u ON u.id = p.author_id WHERE p.id = $1`, id)
	p, err := scanPost(row)
	if err != nil {
		return nil, s.notFoundOr(ctx, "get post", err)
	}
	return p, nil
}

// UpdatePost implements blog.Store.
func (s *Store) UpdatePost(ctx context.Context, p *blog.Post) error {
	return s.updateRow(ctx, "update post", `UPDATE posts SET title = $2, body = $3, updated_at = $4 WHERE id = $1`,
		p.ID, p.Title, p.Body, p.UpdatedAt)
}

// DeletePost implements blog.Store.
func (s *Store) DeletePost(ctx context.Context, id string) error {
	return s.updateRow(ctx, "delete post", `DELETE FROM posts WHERE id = $1`, id)
}

// ListPosts implements blog.Store with keyset pagination on (created_at,
// id), which the indexes serve in order: a page costs the same however
// deep it is.
func (s *Store) ListPosts(ctx context.Context, authorID string, after *auth.PageCursor, limit int) ([]*blog.Post, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	q := `SELECT ` + postColumns + `, ` + userColumnsU + ` FROM posts p JOIN users u ON u.id = p.author_id WHERE 1 = 1`
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if authorID != "" {
		q += ` AND p.author_id = ` + arg(authorID)
	}
	if after != nil {
		at, id := arg(after.CreatedAt), arg(after.ID)
		q += ` AND (p.created_at < ` + at + ` OR (p.created_at = ` + at + ` AND p.id < ` + id + `))`
	}
	q += ` ORDER BY p.created_at DESC, p.id DESC LIMIT ` + arg(limit)
	list, err := queryList(ctx, s, scanPost, q, args...)
	return list, s.classify(ctx, "list posts", err)
}

func scanPost(row scanner) (*blog.Post, error) {
	var (
		p  blog.Post
		u  auth.User
		ud userDest
	)
	dest := append([]any{&p.ID, &p.AuthorID, &p.Title, &p.Body, &p.CreatedAt, &p.UpdatedAt}, ud.dest(&u)...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	ud.finish(&u)
	p.CreatedAt, p.UpdatedAt, p.Author = p.CreatedAt.UTC(), p.UpdatedAt.UTC(), &u
	return &p, nil
}
