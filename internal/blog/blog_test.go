package blog_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
	"github.com/latchkey/latchkey/internal/blog"
)

func TestPostRules(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")
	p := e.login(t, "alice")
	ctx := context.Background()
	tests := []struct {
		name, title, body, fields string
	}{
		{"fine", "Hello", "World", ""},
		{"200-character title", strings.Repeat("t", 200), "", ""},
		{"100,000-character body", "Long", strings.Repeat("b", 100_000), ""},
		{"blank title", "   ", "x", "title:required"},
		{"201-character title", strings.Repeat("t", 201), "", "title:title_too_long"},
		{"100,001-character body", "Long", strings.Repeat("b", 100_001), "body:body_too_long"},
		{"both", "", strings.Repeat("b", 100_001), "title:required,body:body_too_long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			post, err := e.svc.CreatePost(ctx, p, tt.title, tt.body)
			if tt.fields == "" {
				authtest.NoError(t, err)
				authtest.Equal(t, post.Author.ID, p.User.ID)
				return
			}
			ae := authtest.Code(t, err, auth.CodeInvalid)
			authtest.Equal(t, fieldCodes(ae.Fields), tt.fields)
		})
	}
}

func TestOnlyAuthorOrAdminChangesAPost(t *testing.T) {
	e := newEnv(t)
	e.register(t, "alice", "alice@example.com")
	e.register(t, "bob", "bob@example.com")
	ctx := context.Background()
	if _, err := e.accounts.Register(ctx, auth.Registration{Username: "root", Email: "root@example.com", Password: goodPassword, Role: auth.RoleAdmin}, auth.Client{}); err != nil {
		t.Fatal(err)
	}
	alice, bob, root := e.login(t, "alice"), e.login(t, "bob"), e.login(t, "root")
	post, err := e.svc.CreatePost(ctx, alice, "Mine", "text")
	authtest.NoError(t, err)

	title := "Hijacked"
	_, err = e.svc.UpdatePost(ctx, bob, post.ID, &title, nil)
	authtest.Code(t, err, auth.CodeForbidden)
	authtest.Code(t, e.svc.DeletePost(ctx, bob, post.ID), auth.CodeForbidden)
	if blog.CanEdit(bob, post) || !blog.CanEdit(alice, post) || !blog.CanEdit(root, post) || blog.CanEdit(nil, post) {
		t.Fatal("CanEdit disagrees with the rule")
	}

	title = "Edited by admin"
	got, err := e.svc.UpdatePost(ctx, root, post.ID, &title, nil)
	authtest.NoError(t, err)
	if got.Title != title || got.Body != "text" || got.AuthorID != alice.User.ID {
		t.Fatalf("admin edit: %+v", got)
	}
	authtest.NoError(t, e.svc.DeletePost(ctx, alice, post.ID))
	_, err = e.svc.Post(ctx, post.ID)
	authtest.Code(t, err, auth.CodeNotFound)
	authtest.Code(t, e.svc.DeletePost(ctx, alice, "not-an-id"), auth.CodeNotFound)
}

func TestListPostsCursorAndLimit(t *testing.T) {
	e := newEnv(t)
	u := e.register(t, "alice", "alice@example.com")
	p := e.login(t, "alice")
	ctx := context.Background()
	for range 5 {
		_, err := e.svc.CreatePost(ctx, p, "t", "b") // same clock: ids break the tie
		authtest.NoError(t, err)
	}
	var all []string
	cursor := ""
	for {
		page, next, err := e.svc.ListPosts(ctx, u.ID, cursor, 2)
		authtest.NoError(t, err)
		for _, post := range page {
			all = append(all, post.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	authtest.Equal(t, len(all), 5)

	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	id := "0199a8c0-0000-7000-8000-000000000000"
	for _, bad := range []string{"!!!", "bm90LWEtY3Vyc29y", "MTIz", enc("1.x"), enc("-9223372036854775808." + id),
		enc("253402300800000000." + id), enc("01." + id), enc("+1." + id)} {
		_, _, err := e.svc.ListPosts(ctx, "", bad, 2)
		ae := authtest.Code(t, err, auth.CodeInvalid)
		authtest.Equal(t, fieldCodes(ae.Fields), "query.cursor:invalid_cursor")
	}
	for _, limit := range []int{-1, 101} {
		_, _, err := e.svc.ListPosts(ctx, "", "", limit)
		authtest.Code(t, err, auth.CodeInvalid)
	}
	_, _, err := e.svc.ListPosts(ctx, "0199a8c0-0000-7000-8000-000000000000", "", 2)
	authtest.Code(t, err, auth.CodeNotFound)
}
