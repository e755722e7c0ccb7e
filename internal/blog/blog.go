// Package blog is Latchkey's small blog: posts by registered users, listed
// newest first a page at a time, changed only by their author or an admin.
//
// It sits beside package auth, not inside it: auth holds authentication
// only, and the blog is one application of it. The blog imports auth for
// who the caller is (auth.Principal), for the one error type with its
// stable codes (so each transport keeps one code -> status table) and for
// the page cursor every list shares; auth knows nothing of posts.
package blog

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/latchkey/latchkey/internal/auth"
)

// Limits of a post (DESIGN.md), counted in characters.
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
	Author    *auth.User
}

// Store persists posts. Package store implements it beside auth.Store, on
// the same database: a post's author is a row of the users table, and
// deleting the user deletes their posts (a foreign key with ON DELETE
// CASCADE). blogtest holds the contract suite SQLite and PostgreSQL pass.
//
// Look-ups return auth.ErrNotFound for a missing row; a store that cannot
// reach its database returns an error wrapping auth.ErrUnavailable.
type Store interface {
	// CreatePost inserts a post.
	CreatePost(ctx context.Context, p *Post) error
	// PostByID returns a post with its author.
	PostByID(ctx context.Context, id string) (*Post, error)
	// UpdatePost writes a post's title, body and updated_at.
	UpdatePost(ctx context.Context, p *Post) error
	DeletePost(ctx context.Context, id string) error
	// ListPosts returns up to limit posts with their authors, newest
	// first (by created_at, then id), of one author or all (authorID ""),
	// strictly after the cursor when one is given.
	ListPosts(ctx context.Context, authorID string, after *auth.PageCursor, limit int) ([]*Post, error)
}

// Deps are the collaborators of a Service.
type Deps struct {
	Store Store
	// Accounts finds the author of a list by id, with auth's rule for
	// which users anyone may see.
	Accounts *auth.Service
	Now      func() time.Time
}

// Service runs the blog's flows over a Store. Its methods are safe for
// concurrent use.
type Service struct {
	store    Store
	accounts *auth.Service
	now      func() time.Time
}

// NewService returns a Service.
func NewService(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{store: d.Store, accounts: d.Accounts, now: d.Now}
}

// CanEdit reports whether the caller may edit or delete a post: its author
// or an admin. Pages use it to show the buttons only to them.
func CanEdit(p *auth.Principal, post *Post) bool {
	return p != nil && (p.User.ID == post.AuthorID || p.User.Role == auth.RoleAdmin)
}

var errNotYourPost = &auth.Error{Code: auth.CodeForbidden, Message: "Only the author of this post or an admin may change it."}

// timestamp is the service clock in the precision both databases keep, so
// a time read back compares equal to the time written.
func (s *Service) timestamp() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}

// newID returns a post's id: a UUIDv7 like every id of Latchkey's, whose
// time prefix keeps new rows at the end of the primary-key index.
func newID() string { return uuid.Must(uuid.NewV7()).String() }
