package blog

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/auth"
)

func checkPost(title, body string) (string, []auth.FieldError) {
	title = strings.TrimSpace(title)
	var errs []auth.FieldError
	if !auth.PlainText(title, false) {
		errs = append(errs, auth.FieldError{Field: "title", Code: "title_characters", Message: "Remove the control or invalid characters from the title."})
	}
	switch n := utf8.RuneCountInString(title); {
	case n == 0:
		errs = append(errs, auth.FieldError{Field: "title", Code: "required", Message: "Give the post a title."})
	case n > MaxTitleLength:
		errs = append(errs, auth.FieldError{Field: "title", Code: "title_too_long", Message: fmt.Sprintf("Use at most %d characters.", MaxTitleLength)})
	}
	if !auth.PlainText(body, true) {
		errs = append(errs, auth.FieldError{Field: "body", Code: "body_characters", Message: "Remove the control or invalid characters from the text (tabs and line breaks are fine)."})
	}
	if utf8.RuneCountInString(body) > MaxBodyLength {
		errs = append(errs, auth.FieldError{Field: "body", Code: "body_too_long", Message: "Use at most 100,000 characters."})
	}
	return title, errs
}

// CreatePost publishes a post by the caller.
func (s *Service) CreatePost(ctx context.Context, p *auth.Principal, title, body string) (*Post, error) {
	if err := s.accounts.MayWrite(p); err != nil {
		return nil, err
	}
	title, errs := checkPost(title, body)
	if len(errs) > 0 {
		return nil, &auth.Error{Code: auth.CodeInvalid, Message: "Some fields need attention.", Fields: errs}
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
	if !auth.WellFormedID(id) {
		return nil, auth.ErrNotFound
	}
	return s.store.PostByID(ctx, id)
}

// UpdatePost changes a post's title and/or body (nil leaves it).
func (s *Service) UpdatePost(ctx context.Context, p *auth.Principal, id string, title, body *string) (*Post, error) {
	post, err := s.Post(ctx, id)
	if err != nil {
		return nil, err
	}
	if !CanEdit(p, post) {
		return nil, errNotYourPost
	}
	if err := s.accounts.MayWrite(p); err != nil {
		return nil, err
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
		return nil, &auth.Error{Code: auth.CodeInvalid, Message: "Some fields need attention.", Fields: errs}
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
func (s *Service) DeletePost(ctx context.Context, p *auth.Principal, id string) error {
	post, err := s.Post(ctx, id)
	if err != nil {
		return err
	}
	if !CanEdit(p, post) {
		return errNotYourPost
	}
	return s.store.DeletePost(ctx, id)
}

// ListPosts returns a page of posts, newest first, of one author (or of
// everyone when authorID is ""), after an opaque cursor from the previous
// page. nextCursor is "" on the last page.
func (s *Service) ListPosts(ctx context.Context, authorID, cursor string, limit int) (posts []*Post, nextCursor string, err error) {
	limit, after, err := auth.PageParams(cursor, limit)
	if err != nil {
		return nil, "", err
	}
	if authorID != "" {
		if _, err := s.accounts.PublicUser(ctx, authorID); err != nil {
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
		nextCursor = auth.PageCursor{CreatedAt: last.CreatedAt, ID: last.ID}.Encode()
	}
	return posts, nextCursor, nil
}
