package auth

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of a post (DESIGN.md).
const (
	MaxTitleLength = 200
	MaxBodyLength  = 100_000
)

// Post is a blog post with its author.
type Post struct {
	ID        string
	AuthorID  string
	Title     string
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time
	Author    *User
}

// CanEditPost reports whether the caller may edit or delete a post: its
// author or an admin. Pages use it to show the buttons only to them.
func CanEditPost(p *Principal, post *Post) bool {
	return p != nil && (p.User.ID == post.AuthorID || p.User.Role == RoleAdmin)
}

var errNotYourPost = &Error{Code: CodeForbidden, Message: "Only the author of this post or an admin may change it."}

func checkPost(title, body string) (string, []FieldError) {
	title = strings.TrimSpace(title)
	var errs []FieldError
	switch n := utf8.RuneCountInString(title); {
	case n == 0:
		errs = append(errs, FieldError{Field: "title", Code: "required", Message: "Give the post a title."})
	case n > MaxTitleLength:
		errs = append(errs, FieldError{Field: "title", Code: "title_too_long", Message: fmt.Sprintf("Use at most %d characters.", MaxTitleLength)})
	}
	if utf8.RuneCountInString(body) > MaxBodyLength {
		errs = append(errs, FieldError{Field: "body", Code: "body_too_long", Message: "Use at most 100,000 characters."})
	}
	return title, errs
}

// CreatePost publishes a post by the caller.
func (s *Service) CreatePost(ctx context.Context, p *Principal, title, body string) (*Post, error) {
	title, errs := checkPost(title, body)
	if len(errs) > 0 {
		return nil, &Error{Code: CodeInvalid, Message: "Some fields need attention.", Fields: errs}
	}
	now := s.timestamp()
	post := &Post{ID: newID(), AuthorID: p.User.ID, Title: title, Body: body, CreatedAt: now, UpdatedAt: now, Author: p.User}
	if err := s.store.CreatePost(ctx, post); err != nil {
		return nil, err
	}
	return post, nil
}

// Post returns one post; a malformed or unknown id is not found.
func (s *Service) Post(ctx context.Context, id string) (*Post, error) {
	if !WellFormedID(id) {
		return nil, ErrNotFound
	}
	return s.store.PostByID(ctx, id)
}

// UpdatePost changes a post's title and/or body (nil leaves it).
func (s *Service) UpdatePost(ctx context.Context, p *Principal, id string, title, body *string) (*Post, error) {
	post, err := s.Post(ctx, id)
	if err != nil {
		return nil, err
	}
	if !CanEditPost(p, post) {
		return nil, errNotYourPost
	}
	t, b := post.Title, post.Body
	if title != nil {
		t = *title
	}
	if body != nil {
		b = *body
	}
	t, errs := checkPost(t, b)
	if len(errs) > 0 {
		return nil, &Error{Code: CodeInvalid, Message: "Some fields need attention.", Fields: errs}
	}
	if t == post.Title && b == post.Body {
		return post, nil // nothing changed, so it was not edited (no "edited" mark)
	}
	post.Title, post.Body, post.UpdatedAt = t, b, s.timestamp()
	if err := s.store.UpdatePost(ctx, post); err != nil {
		return nil, err
	}
	return post, nil
}

// DeletePost deletes a post of the caller's (or any, for an admin).
func (s *Service) DeletePost(ctx context.Context, p *Principal, id string) error {
	post, err := s.Post(ctx, id)
	if err != nil {
		return err
	}
	if !CanEditPost(p, post) {
		return errNotYourPost
	}
	return s.store.DeletePost(ctx, id)
}

// ListPosts returns a page of posts, newest first, of one author (or of
// everyone when authorID is ""), after an opaque cursor from the previous
// page. nextCursor is "" on the last page.
func (s *Service) ListPosts(ctx context.Context, authorID, cursor string, limit int) (posts []*Post, nextCursor string, err error) {
	limit, after, err := PageParams(cursor, limit)
	if err != nil {
		return nil, "", err
	}
	if authorID != "" {
		if _, err := s.PublicUser(ctx, authorID); err != nil {
			return nil, "", err
		}
	}
	// One more than asked tells whether another page follows.
	posts, err = s.store.ListPosts(ctx, authorID, after, limit+1)
	if err != nil {
		return nil, "", err
	}
	if len(posts) > limit {
		posts = posts[:limit]
		last := posts[limit-1]
		nextCursor = PageCursor{CreatedAt: last.CreatedAt, ID: last.ID}.Encode()
	}
	return posts, nextCursor, nil
}
