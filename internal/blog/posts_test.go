package blog_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
)

// These cases complement blog_test.go: the limits counted in characters
// after trimming, the rules applied to edits as well as to new posts, and
// 404 before 403.

func TestPostLimitsCountCharactersAfterTrimming(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")
	p := e.login(t, "alice")
	ctx := context.Background()
	tests := []struct {
		name, title, body, wantTitle, fields string
	}{
		{"spaces around a 200-character title", "  " + strings.Repeat("t", 200) + "\n", "", strings.Repeat("t", 200), ""},
		{"200 two-byte characters", strings.Repeat("é", 200), "", strings.Repeat("é", 200), ""},
		{"201 two-byte characters", strings.Repeat("é", 201), "", "", "title:title_too_long"},
		{"100,000 two-byte characters of body", "Long", strings.Repeat("é", 100_000), "Long", ""},
		{"100,001 two-byte characters of body", "Long", strings.Repeat("é", 100_001), "", "body:body_too_long"},
		{"tabs and newlines only", "\t\n", "x", "", "title:required"},
		{"a NUL in the title", "a\x00b", "x", "", "title:title_characters"},
		{"a byte that is not UTF-8 in the title", "caf\xe9", "x", "", "title:title_characters"},
		{"a tab inside the title", "a\tb", "x", "", "title:title_characters"},
		{"a NUL in the body", "T", "a\x00b", "", "body:body_characters"},
		{"an escape in the body", "T", "\x1b[2J", "", "body:body_characters"},
		{"tabs and line breaks in the body", "T", "a\tb\r\nc", "T", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			post, err := e.svc.CreatePost(ctx, p, tt.title, tt.body)
			if tt.fields != "" {
				authtest.Equal(t, fieldCodes(authtest.Code(t, err, auth.CodeInvalid).Fields), tt.fields)
				return
			}
			authtest.NoError(t, err)
			got, err := e.svc.Post(ctx, post.ID)
			authtest.NoError(t, err)
			authtest.Equal(t, got.Title, tt.wantTitle)
			authtest.Equal(t, got.Body, tt.body)
		})
	}
}

func TestUpdatePost(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")
	e.register(t, "bob", "bob@example.com")
	alice, bob := e.login(t, "alice"), e.login(t, "bob")
	ctx := context.Background()
	post, err := e.svc.CreatePost(ctx, alice, "Title", "Body")
	authtest.NoError(t, err)
	ptr := func(s string) *string { return &s }

	t.Run("an edit is checked like a new post and changes nothing when refused", func(t *testing.T) {
		for _, c := range []struct {
			name        string
			title, body *string
			fields      string
		}{
			{"blank title", ptr("  "), nil, "title:required"},
			{"201-character title", ptr(strings.Repeat("t", 201)), nil, "title:title_too_long"},
			{"100,001-character body", nil, ptr(strings.Repeat("b", 100_001)), "body:body_too_long"},
		} {
			_, err := e.svc.UpdatePost(ctx, alice, post.ID, c.title, c.body)
			authtest.Equal(t, fieldCodes(authtest.Code(t, err, auth.CodeInvalid).Fields), c.fields)
		}
		got, err := e.svc.Post(ctx, post.ID)
		authtest.NoError(t, err)
		if got.Title != "Title" || got.Body != "Body" || !got.UpdatedAt.Equal(post.UpdatedAt) {
			t.Fatalf("a refused edit changed the post: %+v", got)
		}
	})

	t.Run("a partial edit keeps the other field and moves only updated_at", func(t *testing.T) {
		e.clock.Advance(time.Hour)
		_, err := e.svc.UpdatePost(ctx, alice, post.ID, ptr("  New title  "), nil)
		authtest.NoError(t, err)
		got, err := e.svc.Post(ctx, post.ID)
		authtest.NoError(t, err)
		if got.Title != "New title" || got.Body != "Body" || !got.CreatedAt.Equal(post.CreatedAt) ||
			!got.UpdatedAt.Equal(post.CreatedAt.Add(time.Hour)) || got.Author.Username != "alice" {
			t.Fatalf("after a title-only edit: %+v", got)
		}
	})

	t.Run("a missing or malformed id is not found, even for someone else", func(t *testing.T) {
		for _, id := range []string{"0199a8c0-0000-7000-8000-000000000000", "not-an-id", "", post.ID + "x"} {
			for _, p := range []*auth.Principal{alice, bob} {
				_, err := e.svc.UpdatePost(ctx, p, id, ptr("x"), nil)
				authtest.Code(t, err, auth.CodeNotFound)
				authtest.Code(t, e.svc.DeletePost(ctx, p, id), auth.CodeNotFound)
			}
		}
	})

	t.Run("the refusal says who may change the post", func(t *testing.T) {
		_, err := e.svc.UpdatePost(ctx, bob, post.ID, nil, ptr("mine"))
		ae := authtest.Code(t, err, auth.CodeForbidden)
		if !strings.Contains(ae.Message, "author") || !strings.Contains(ae.Message, "admin") {
			t.Fatalf("message %q", ae.Message)
		}
	})
}

func TestAdminDeletesAnotherUsersPost(t *testing.T) {
	e := newEnv(t)
	author := e.register(t, "alice", "alice@example.com")
	ctx := context.Background()
	if _, err := e.accounts.Register(ctx, auth.Registration{Username: "root", Email: "root@example.com", Password: goodPassword, Role: auth.RoleAdmin}, auth.Client{}); err != nil {
		t.Fatal(err)
	}
	alice, root := e.login(t, "alice"), e.login(t, "root")
	keep, err := e.svc.CreatePost(ctx, alice, "Keep", "")
	authtest.NoError(t, err)
	gone, err := e.svc.CreatePost(ctx, alice, "Gone", "")
	authtest.NoError(t, err)

	authtest.NoError(t, e.svc.DeletePost(ctx, root, gone.ID))
	_, err = e.svc.Post(ctx, gone.ID)
	authtest.Code(t, err, auth.CodeNotFound)
	authtest.Code(t, e.svc.DeletePost(ctx, root, gone.ID), auth.CodeNotFound)

	list, next, err := e.svc.ListPosts(ctx, author.ID, "", 0)
	authtest.NoError(t, err)
	if len(list) != 1 || list[0].ID != keep.ID || next != "" {
		t.Fatalf("alice's posts after the admin's delete: %d, next %q", len(list), next)
	}
}

func TestListPostsOfOneAuthor(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")
	bob := e.register(t, "bob", "bob@example.com")
	alice := e.login(t, "alice")
	ctx := context.Background()
	for range 3 {
		_, err := e.svc.CreatePost(ctx, alice, "by alice", "")
		authtest.NoError(t, err)
	}

	// An author who exists but has written nothing: an empty last page.
	list, next, err := e.svc.ListPosts(ctx, bob.ID, "", 2)
	authtest.NoError(t, err)
	if len(list) != 0 || next != "" {
		t.Fatalf("bob's posts: %d, next %q", len(list), next)
	}

	// Exactly one full page: no cursor to an empty page after it.
	list, next, err = e.svc.ListPosts(ctx, alice.User.ID, "", 3)
	authtest.NoError(t, err)
	if len(list) != 3 || next != "" {
		t.Fatalf("alice's posts, limit 3: %d, next %q", len(list), next)
	}
	// A malformed author id is not found, like an unknown one (blog_test.go).
	_, _, err = e.svc.ListPosts(ctx, "not-an-id", "", 2)
	authtest.Code(t, err, auth.CodeNotFound)
}
