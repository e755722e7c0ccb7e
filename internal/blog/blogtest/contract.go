// Package blogtest is the contract suite every blog.Store must pass, run
// against SQLite and PostgreSQL by package store's tests.
package blogtest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/blog"
)

// Store is what the suite needs: the posts, and the accounts that write
// them, in one database (a post's author must exist, and deleting the
// author deletes the posts).
type Store interface {
	auth.Store
	blog.Store
}

// TestStore runs the contract every blog.Store must satisfy. open returns
// a fresh, migrated, empty store for each call.
func TestStore(t *testing.T, open func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"PostRoundTrip", testPostRoundTrip},
		{"PostPagination", testPostPagination},
		{"PostOrderAcrossFractionLengths", testPostOrderAcrossFractionLengths},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func mustUser(t *testing.T, s Store, name string) *auth.User {
	t.Helper()
	u := authtest.NewUser(name, name+"@example.com", t0)
	authtest.NoError(t, s.CreateUser(context.Background(), u, nil))
	return u
}

func second[T any](_ T, err error) error { return err }

func newPost(author *auth.User, title string, at time.Time) *blog.Post {
	return &blog.Post{ID: newID(), AuthorID: author.ID, Title: title, Body: "body of " + title, CreatedAt: at, UpdatedAt: at}
}

func testPostRoundTrip(t *testing.T, s Store) {
	ctx := context.Background()
	u := mustUser(t, s, "ivan")
	p := newPost(u, "Hello", t0)
	authtest.NoError(t, s.CreatePost(ctx, p))
	got, err := s.PostByID(ctx, p.ID)
	authtest.NoError(t, err)
	if got.Title != "Hello" || got.Body != p.Body || !got.CreatedAt.Equal(t0) || got.Author == nil || got.Author.Username != "ivan" {
		t.Fatalf("got %+v", got)
	}
	got.Title, got.Body, got.UpdatedAt = "Hello again", "new body", t0.Add(time.Hour)
	authtest.NoError(t, s.UpdatePost(ctx, got))
	again, err := s.PostByID(ctx, p.ID)
	authtest.NoError(t, err)
	if again.Title != "Hello again" || !again.UpdatedAt.Equal(t0.Add(time.Hour)) || !again.CreatedAt.Equal(t0) {
		t.Fatalf("after update %+v", again)
	}
	authtest.NoError(t, s.DeletePost(ctx, p.ID))
	for name, err := range map[string]error{
		"get deleted":    second(s.PostByID(ctx, p.ID)),
		"delete twice":   s.DeletePost(ctx, p.ID),
		"malformed id":   second(s.PostByID(ctx, "nope")),
		"update missing": s.UpdatePost(ctx, p),
	} {
		if !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Deleting the author deletes their posts.
	q := newPost(u, "Orphan?", t0)
	authtest.NoError(t, s.CreatePost(ctx, q))
	authtest.NoError(t, s.DeleteUser(ctx, u.ID))
	if _, err := s.PostByID(ctx, q.ID); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("a deleted author's post survives: %v", err)
	}
}

// testPostPagination walks every page, with several posts sharing one
// created_at (ids break the tie), and finds each post exactly once.
func testPostPagination(t *testing.T, s Store) {
	ctx := context.Background()
	a, b := mustUser(t, s, "judy"), mustUser(t, s, "karl")
	want := map[string]bool{}
	for i := range 7 {
		at := t0.Add(time.Duration(i/3) * time.Minute) // three posts a minute
		author := a
		if i%2 == 1 {
			author = b
		}
		p := newPost(author, fmt.Sprintf("post %d", i), at)
		authtest.NoError(t, s.CreatePost(ctx, p))
		want[p.ID] = true
	}
	for _, authorID := range []string{"", a.ID} {
		var (
			after *auth.PageCursor
			seen  = map[string]bool{}
			prev  *blog.Post
		)
		for page := 0; ; page++ {
			list, err := s.ListPosts(ctx, authorID, after, 2)
			authtest.NoError(t, err)
			for _, p := range list {
				if seen[p.ID] {
					t.Fatalf("post %s listed twice", p.Title)
				}
				seen[p.ID] = true
				if authorID != "" && p.AuthorID != authorID {
					t.Fatalf("post of another author: %+v", p)
				}
				if prev != nil && (p.CreatedAt.After(prev.CreatedAt) || (p.CreatedAt.Equal(prev.CreatedAt) && p.ID > prev.ID)) {
					t.Fatalf("%s listed after %s: not newest first", p.Title, prev.Title)
				}
				if p.Author == nil {
					t.Fatal("post without its author")
				}
				prev = p
			}
			if len(list) < 2 {
				break
			}
			last := list[len(list)-1]
			after = &auth.PageCursor{CreatedAt: last.CreatedAt, ID: last.ID}
		}
		wantN := len(want)
		if authorID != "" {
			wantN = 4
		}
		if len(seen) != wantN {
			t.Fatalf("author %q: saw %d posts across pages, want %d", authorID, len(seen), wantN)
		}
	}
}

// testPostOrderAcrossFractionLengths lists posts whose created_at values in
// one second have fractions of different lengths (none, .1, .12, .123456):
// SQLite keeps a TIMESTAMP as text and compares it as text, and the order
// must still be the order in time, or a page would skip or repeat posts.
// The ids run against time, so only created_at can give the right order.
func testPostOrderAcrossFractionLengths(t *testing.T, s Store) {
	ctx := context.Background()
	u := mustUser(t, s, "lena")
	base := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	offsets := []time.Duration{0, 100 * time.Millisecond, 120 * time.Millisecond, 123456 * time.Microsecond, 900 * time.Millisecond, time.Second}
	ids := make([]string, len(offsets))
	for i := range ids {
		ids[len(ids)-1-i] = newID() // the oldest post gets the greatest id
	}
	var want []string // newest first
	for i, off := range offsets {
		p := newPost(u, off.String(), base.Add(off))
		p.ID = ids[i]
		authtest.NoError(t, s.CreatePost(ctx, p))
		want = append([]string{p.Title}, want...)
	}
	var (
		got   []string
		after *auth.PageCursor
	)
	for range len(want) + 1 {
		page, err := s.ListPosts(ctx, "", after, 1)
		authtest.NoError(t, err)
		if len(page) == 0 {
			break
		}
		got = append(got, page[0].Title)
		after = &auth.PageCursor{CreatedAt: page[0].CreatedAt, ID: page[0].ID}
	}
	authtest.Equal(t, fmt.Sprint(got), fmt.Sprint(want))
}
