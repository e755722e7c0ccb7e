package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/blog"
)

// Export is everything Latchkey stores about a user, as GET
// /api/users/me/export returns it: the profile, the live sessions, the
// passkeys, every post and every audit event that concerns them. It never
// holds the password hash, a token or a token's hash; nor the mail queued
// for them (its links carry tokens), nor the counters of failed logins the
// throttle keeps for minutes. A passkey is given by its name and times:
// its credential id and public key mean something to an authenticator
// only, and are left out.
type Export struct {
	ExportedAt time.Time     `json:"exported_at"`
	Profile    ExportProfile `json:"profile"`
	Sessions   []SessionView `json:"sessions" doc:"Every live session, newest first"`
	Passkeys   []PasskeyView `json:"passkeys" doc:"Every passkey, oldest first"`
	Posts      []PostView    `json:"posts" doc:"Every post, newest first"`
	Events     []EventView   `json:"events" doc:"Every audit event that concerns the user, newest first, as long as the log keeps them (LATCHKEY_AUDIT_RETENTION)"`
}

// ExportProfile is the private user and the account's other times.
type ExportProfile struct {
	PrivateUser
	EmailVerifiedAt *time.Time `json:"email_verified_at" doc:"When the address was proven; null until then"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

// PasskeyView is a passkey as the export shows it.
type PasskeyView struct {
	ID         string     `json:"id" format:"uuid"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at" doc:"When it last logged in; null if never"`
}

func passkeyView(p *auth.Passkey) PasskeyView {
	v := PasskeyView{ID: p.ID, Name: p.Name, CreatedAt: p.CreatedAt.UTC()}
	if p.LastUsedAt != nil {
		at := p.LastUsedAt.UTC()
		v.LastUsedAt = &at
	}
	return v
}

type exportOutput struct {
	ContentDisposition string `header:"Content-Disposition" doc:"attachment, with the file name latchkey-export-USERNAME.json"`
	CacheControl       string `header:"Cache-Control"`
	Body               func(huma.Context)
}

// handleExport writes the caller's Export. Posts and events have no bound
// but the user's own writing and the log's retention, so they are read a
// page at a time and written as they are read: the server holds one page,
// however much there is. The first page of each is read before the
// answer starts, so that a database that fails at once still gets its
// problem document; a failure later can only cut the transfer short,
// which the client sees as an incomplete response, never as a complete
// but partial document.
func handleExport(d Deps) func(context.Context, *struct{}) (*exportOutput, error) {
	return func(ctx context.Context, _ *struct{}) (*exportOutput, error) {
		p := principal(ctx)
		now := time.Now().UTC()
		sessions, err := d.Auth.Sessions(ctx, p)
		if err != nil {
			return nil, fail(ctx, err)
		}
		passkeys, err := d.Auth.Passkeys(ctx, p)
		if err != nil {
			return nil, fail(ctx, err)
		}
		posts, err := pager(ctx, func(ctx context.Context, cursor string) ([]*blog.Post, string, error) {
			return d.Blog.ListPosts(ctx, p.User.ID, cursor, auth.MaxPageSize)
		})
		if err != nil {
			return nil, fail(ctx, err)
		}
		events, err := pager(ctx, func(ctx context.Context, cursor string) ([]*auth.Event, string, error) {
			return d.Auth.EventsPage(ctx, p.User.ID, "", cursor, auth.MaxPageSize)
		})
		if err != nil {
			return nil, fail(ctx, err)
		}
		u := p.User
		profile := ExportProfile{PrivateUser: privateUser(u), UpdatedAt: u.UpdatedAt.UTC()}
		if u.EmailVerifiedAt != nil {
			at := u.EmailVerifiedAt.UTC()
			profile.EmailVerifiedAt = &at
		}
		return &exportOutput{
			ContentDisposition: `attachment; filename="latchkey-export-` + fileNamePart(u.Username) + `.json"`,
			CacheControl:       "no-store",
			Body: func(hctx huma.Context) {
				// A failure after the first byte can only cut the
				// transfer short: net/http's way to end a response as
				// incomplete.
				abort := func(err error) {
					logger(ctx).ErrorContext(ctx, "export cut short", "err", err)
					panic(http.ErrAbortHandler)
				}
				hctx.SetHeader("Content-Type", "application/json")
				hctx.SetStatus(http.StatusOK)
				w := &jsonWriter{w: hctx.BodyWriter()}
				w.raw(`{"exported_at":`)
				w.value(now)
				w.raw(`,"profile":`)
				w.value(profile)
				w.raw(`,"sessions":[`)
				for i, s := range sessions {
					w.item(i, sessionView(s, p.Session.ID))
				}
				w.raw(`],"passkeys":[`)
				for i, pk := range passkeys {
					w.item(i, passkeyView(pk))
				}
				w.raw(`],"posts":[`)
				if err := posts.each(hctx.Context(), func(i int, post *blog.Post) { w.item(i, postView(post)) }); err != nil {
					abort(err)
				}
				w.raw(`],"events":[`)
				if err := events.each(hctx.Context(), func(i int, e *auth.Event) { w.item(i, eventView(e)) }); err != nil {
					abort(err)
				}
				w.raw("]}\n")
				if w.err != nil {
					abort(w.err)
				}
			},
		}, nil
	}
}

// fileNamePart is a username made safe inside a quoted file name. The
// username rules allow nothing that needs it; this holds should they
// ever change.
func fileNamePart(s string) string {
	return strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' {
			return c
		}
		return '_'
	}, s)
}

// pages walks a list a page at a time: the first page read at once, the
// rest as each asks for them.
type pages[T any] struct {
	next  func(ctx context.Context, cursor string) ([]T, string, error)
	first []T
	after string // the cursor after first; "" when it was the last page
}

func pager[T any](ctx context.Context, next func(ctx context.Context, cursor string) ([]T, string, error)) (*pages[T], error) {
	first, after, err := next(ctx, "")
	if err != nil {
		return nil, err
	}
	return &pages[T]{next: next, first: first, after: after}, nil
}

// each calls f with every item in order, numbered from 0, until a page
// fails to be read (as it does once the client has gone: ctx ends).
func (p *pages[T]) each(ctx context.Context, f func(int, T)) error {
	page, after, n := p.first, p.after, 0
	for {
		for _, v := range page {
			f(n, v)
			n++
		}
		if after == "" {
			return nil
		}
		var err error
		if page, after, err = p.next(ctx, after); err != nil {
			return err
		}
	}
}

// jsonWriter writes a JSON document in pieces, remembering the first
// write that failed (the client went away) and writing nothing after it.
type jsonWriter struct {
	w   interface{ Write([]byte) (int, error) }
	err error
}

func (w *jsonWriter) raw(s string) {
	if w.err == nil {
		_, w.err = w.w.Write([]byte(s))
	}
}

func (w *jsonWriter) value(v any) {
	if w.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		w.err = err
		return
	}
	_, w.err = w.w.Write(b)
}

// item writes the i-th element of an array, with a comma before all but
// the first.
func (w *jsonWriter) item(i int, v any) {
	if i > 0 {
		w.raw(",")
	}
	w.value(v)
}
