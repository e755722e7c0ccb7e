package web

import (
	"net/http"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/blog"
)

type homeData struct {
	Posts []*blog.Post
	Next  string
}

// home lists the latest posts, a page at a time.
func (s *site) home(w http.ResponseWriter, r *http.Request) {
	posts, next, err := s.Blog.ListPosts(r.Context(), "", r.URL.Query().Get("cursor"), 10)
	if auth.ErrorCode(err) == auth.CodeInvalid { // a stale or edited cursor: start over
		posts, next, err = s.Blog.ListPosts(r.Context(), "", "", 10)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "home", "Latchkey", homeData{Posts: posts, Next: next})
}

type postData struct {
	Post    *blog.Post
	CanEdit bool
	Notice  string // what just happened to it
}

type postFormData struct {
	Form   *form
	PostID string // empty for a new post
}

func postForm(action string) *form {
	return newForm("post-form", action,
		input{"title", "Title", "text", "off"},
		input{"body", "Body", "textarea", "off"})
}

func (s *site) newPostPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "post_form", "New post", postFormData{Form: postForm("/posts/new")})
}

func (s *site) createPost(w http.ResponseWriter, r *http.Request) {
	f := postForm("/posts/new")
	if err := readForm(w, r, f); err != nil {
		badForm(w, err)
		return
	}
	post, err := s.Blog.CreatePost(r.Context(), principal(r), f.Values["title"], f.Values["body"])
	if err != nil {
		s.formError(w, r, err, "post_form", "New post", postFormData{Form: f}, f)
		return
	}
	s.redirect(w, r, "/posts/"+post.ID+"?done=published")
}

// keepNewPost answers a new post whose author could not be checked (err):
// the form again, with what was typed and the reason.
func (s *site) keepNewPost(w http.ResponseWriter, r *http.Request, err error) {
	f := postForm("/posts/new")
	if ferr := readForm(w, r, f); ferr != nil {
		badForm(w, ferr)
		return
	}
	s.formError(w, r, err, "post_form", "New post", postFormData{Form: f}, f)
}

// The pages' own words for a missing post and a refused change; fail
// answers them 404 and 403 by their codes.
var (
	errNoSuchPost  = &auth.Error{Code: auth.CodeNotFound, Message: "There is no such post."}
	errNotYourPost = &auth.Error{Code: auth.CodeForbidden, Message: "Only the author of this post or an admin may change it."}
)

// loadPost finds the post a path names; when it cannot, it answers itself
// (404 for no such post).
func (s *site) loadPost(w http.ResponseWriter, r *http.Request) *blog.Post {
	post, err := s.Blog.Post(r.Context(), r.PathValue("id"))
	if auth.ErrorCode(err) == auth.CodeNotFound {
		err = errNoSuchPost
	}
	if err != nil {
		s.fail(w, r, err)
		return nil
	}
	return post
}

func (s *site) postPage(w http.ResponseWriter, r *http.Request) {
	post := s.loadPost(w, r)
	if post == nil {
		return
	}
	notice := map[string]string{"published": "Post published.", "updated": "Post updated."}[r.URL.Query().Get("done")]
	s.render(w, r, http.StatusOK, "post", post.Title, postData{Post: post, CanEdit: blog.CanEdit(principal(r), post), Notice: notice})
}

// editable loads a post the caller may change, answering 404 or 403
// itself otherwise.
func (s *site) editable(w http.ResponseWriter, r *http.Request) *blog.Post {
	post := s.loadPost(w, r)
	if post == nil {
		return nil
	}
	if !blog.CanEdit(principal(r), post) {
		s.fail(w, r, errNotYourPost)
		return nil
	}
	return post
}

func (s *site) editPostPage(w http.ResponseWriter, r *http.Request) {
	post := s.editable(w, r)
	if post == nil {
		return
	}
	f := postForm("/posts/" + post.ID + "/edit")
	f.Values["title"], f.Values["body"] = post.Title, post.Body
	s.render(w, r, http.StatusOK, "post_form", "Edit post", postFormData{Form: f, PostID: post.ID})
}

func (s *site) updatePost(w http.ResponseWriter, r *http.Request) {
	post := s.editable(w, r)
	if post == nil {
		return
	}
	f := postForm("/posts/" + post.ID + "/edit")
	if err := readForm(w, r, f); err != nil {
		badForm(w, err)
		return
	}
	title, body := f.Values["title"], f.Values["body"]
	if _, err := s.Blog.UpdatePost(r.Context(), principal(r), post.ID, &title, &body); err != nil {
		s.formError(w, r, err, "post_form", "Edit post", postFormData{Form: f, PostID: post.ID}, f)
		return
	}
	s.redirect(w, r, "/posts/"+post.ID+"?done=updated")
}

func (s *site) deletePost(w http.ResponseWriter, r *http.Request) {
	post := s.editable(w, r)
	if post == nil {
		return
	}
	if err := s.Blog.DeletePost(r.Context(), principal(r), post.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/")
}
