package api

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/blog"
)

// PostView is a post as the API shows it; the author is a public user.
type PostView struct {
	ID        string     `json:"id" format:"uuid"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	Author    PublicUser `json:"author"`
}

func postView(p *blog.Post) PostView {
	return PostView{ID: p.ID, Title: p.Title, Body: p.Body, CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC(), Author: publicUser(p.Author)}
}

// PostList is one page of posts, newest first.
type PostList struct {
	Items      []PostView `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty" doc:"Pass as ?cursor= for the next page; absent on the last page"`
}

// PageQuery is the paging of every list endpoint: keyset pages, newest
// first, each naming the cursor of the next. It is exported because huma
// reads the parameters of exported embedded structs only.
type PageQuery struct {
	Limit  int    `query:"limit" default:"20" minimum:"1" maximum:"100" doc:"Items per page"`
	Cursor string `query:"cursor" doc:"next_cursor of the previous page"`
}

type listPostsInput struct{ PageQuery }

type postListOutput struct{ Body PostList }

func listPosts(ctx context.Context, d Deps, authorID string, in PageQuery) (*postListOutput, error) {
	posts, next, err := d.Blog.ListPosts(ctx, authorID, in.Cursor, in.Limit)
	if err != nil {
		return nil, fail(ctx, err)
	}
	out := &postListOutput{Body: PostList{Items: make([]PostView, 0, len(posts)), NextCursor: next}}
	for _, p := range posts {
		out.Body.Items = append(out.Body.Items, postView(p))
	}
	return out, nil
}

func handleListPosts(d Deps) func(context.Context, *listPostsInput) (*postListOutput, error) {
	return func(ctx context.Context, in *listPostsInput) (*postListOutput, error) {
		return listPosts(ctx, d, "", in.PageQuery)
	}
}

type listUserPostsInput struct {
	ID string `path:"id"`
	PageQuery
}

func handleListUserPosts(d Deps) func(context.Context, *listUserPostsInput) (*postListOutput, error) {
	return func(ctx context.Context, in *listUserPostsInput) (*postListOutput, error) {
		return listPosts(ctx, d, in.ID, in.PageQuery)
	}
}

type postInput struct {
	Body struct {
		Title string `json:"title" doc:"1-200 characters"`
		Body  string `json:"body,omitempty" doc:"At most 100,000 characters; may be left out for a post that is only a title"`
	}
}

type postOutput struct {
	Location string `header:"Location"`
	Body     PostView
}

func handleCreatePost(d Deps) func(context.Context, *postInput) (*postOutput, error) {
	return func(ctx context.Context, in *postInput) (*postOutput, error) {
		p, err := d.Blog.CreatePost(ctx, principal(ctx), in.Body.Title, in.Body.Body)
		if err != nil {
			return nil, fail(ctx, err)
		}
		return &postOutput{Location: "/api/posts/" + p.ID, Body: postView(p)}, nil
	}
}

type onePostOutput struct{ Body PostView }

func handleGetPost(d Deps) func(context.Context, *idInput) (*onePostOutput, error) {
	return func(ctx context.Context, in *idInput) (*onePostOutput, error) {
		p, err := d.Blog.Post(ctx, in.ID)
		if err != nil {
			return nil, fail(ctx, err)
		}
		return &onePostOutput{Body: postView(p)}, nil
	}
}

type updatePostInput struct {
	ID   string `path:"id"`
	Body struct {
		Title *string `json:"title,omitempty"`
		Body  *string `json:"body,omitempty"`
	}
}

func handleUpdatePost(d Deps) func(context.Context, *updatePostInput) (*onePostOutput, error) {
	return func(ctx context.Context, in *updatePostInput) (*onePostOutput, error) {
		p, err := d.Blog.UpdatePost(ctx, principal(ctx), in.ID, in.Body.Title, in.Body.Body)
		if err != nil {
			return nil, fail(ctx, err)
		}
		return &onePostOutput{Body: postView(p)}, nil
	}
}

func handleDeletePost(d Deps) func(context.Context, *idInput) (*struct{}, error) {
	return func(ctx context.Context, in *idInput) (*struct{}, error) {
		if err := d.Blog.DeletePost(ctx, principal(ctx), in.ID); err != nil {
			return nil, fail(ctx, err)
		}
		return nil, nil
	}
}
