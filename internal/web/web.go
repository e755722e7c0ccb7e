// Package web is Latchkey's server-rendered site: register, log in, account
// and the blog, with html/template and htmx. Every form works as a plain
// HTML form (the server re-renders it with errors, 422); with htmx the
// errors appear in place without a reload. Templates and static files are
// embedded and parsed once at start.
package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/blog"
	"github.com/latchkey/latchkey/internal/clientip"
	"github.com/latchkey/latchkey/internal/hosts"
	"github.com/latchkey/latchkey/internal/sessioncookie"
)

//go:embed templates
var templateFS embed.FS

// Deps are what the pages need.
type Deps struct {
	Auth     *auth.Service
	Blog     *blog.Service
	Log      *slog.Logger
	ClientIP clientip.Resolver
	Cookies  sessioncookie.Jar
	// Hosts are where a login may send the browser besides this site's
	// own paths (its next): the base URL's host and those of the apps
	// behind forward authentication. The zero value allows paths only.
	Hosts hosts.List
	Now   func() time.Time
}

// site holds the parsed templates and the asset table.
type site struct {
	Deps
	pages  map[string]*template.Template
	assets *assets
}

// New registers every page on mux.
func New(mux *http.ServeMux, d Deps) error {
	if d.Now == nil {
		d.Now = time.Now
	}
	a, err := loadAssets()
	if err != nil {
		return err
	}
	s := &site{Deps: d, assets: a}
	if err := s.parse(); err != nil {
		return err
	}
	s.routes(mux)
	return nil
}

// parse builds one template per page: the layout plus the page's file.
func (s *site) parse() error {
	funcs := template.FuncMap{
		"asset":  s.assets.url,
		"when":   when,
		"edited": func(p *blog.Post) bool { return !p.UpdatedAt.Equal(p.CreatedAt) },
	}
	names, err := fs.Glob(templateFS, "templates/page_*.html")
	if err != nil {
		return err
	}
	s.pages = make(map[string]*template.Template, len(names))
	for _, n := range names {
		files := []string{"templates/layout.html", "templates/form.html", "templates/passkeys.html", n}
		if strings.HasPrefix(n, "templates/page_admin_") {
			files = append(files, "templates/admin.html") // the admin pages' shared parts
		}
		if n == "templates/page_account.html" {
			// The account page's larger sections, a file each.
			parts, err := fs.Glob(templateFS, "templates/account_*.html")
			if err != nil {
				return err
			}
			files = append(files, parts...)
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, files...)
		if err != nil {
			return fmt.Errorf("web: parse %s: %w", n, err)
		}
		s.pages[n[len("templates/page_"):len(n)-len(".html")]] = t
	}
	return nil
}

// when is how every page shows a moment: the day, in one format
// everywhere, in a <time> element that carries the exact instant for
// machines and, in its title, to the minute for readers.
func when(t time.Time) template.HTML {
	t = t.UTC()
	return template.HTML(`<time datetime="` + t.Format(time.RFC3339) + `" title="` +
		t.Format("2 January 2006, 15:04 UTC") + `">` + t.Format("2 January 2006") + `</time>`)
}

// view is what every page template receives.
type view struct {
	Title string
	User  *auth.User // the logged-in user, or nil
	Admin bool       // whether they are an admin, for the header's link
	Data  any
}

// bufs holds render buffers for reuse: a page is a few KiB, and growing a
// fresh buffer for each one showed up in profiles of /account.
var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuf keeps an unusually large page's buffer out of the pool.
const maxPooledBuf = 64 << 10

// render writes a page with a status. A template error becomes the error
// page (500) rather than half a page.
func (s *site) render(w http.ResponseWriter, r *http.Request, status int, page, title string, data any) {
	if err := s.write(w, r, status, page, title, data); err != nil {
		s.fail(w, r, err)
	}
}

// renderWhole is render for a page that answers a form with a page of its
// own rather than with the form again (the login's second step, the
// recovery codes): htmx, which swaps only the form it sent, is told to
// swap the page's main content instead, title included, and to show it
// from the top. Without JavaScript the browser shows the page as it is.
func (s *site) renderWhole(w http.ResponseWriter, r *http.Request, status int, page, title string, data any) {
	if r.Header.Get("HX-Request") == "true" {
		h := w.Header()
		h.Set("HX-Retarget", "#main")
		h.Set("HX-Reselect", "#main")
		h.Set("HX-Reswap", "outerHTML show:window:top")
	}
	s.render(w, r, status, page, title, data)
}

// write renders a page into a buffer first and sends it only if that
// worked; on an error nothing has been written.
func (s *site) write(w http.ResponseWriter, r *http.Request, status int, page, title string, data any) error {
	t, ok := s.pages[page]
	if !ok {
		return fmt.Errorf("web: no page %q", page)
	}
	buf := bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBuf {
			bufs.Put(buf)
		}
	}()
	v := view{Title: title, Data: data}
	if p := principal(r); p != nil {
		v.User, v.Admin = p.User, p.User.Role == auth.RoleAdmin
	}
	if err := t.Execute(buf, v); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store") // pages show personal data
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	return nil
}

// client is the request's origin for throttling and session rows.
func (s *site) client(r *http.Request) auth.Client {
	return auth.Client{IP: s.ClientIP.IP(r), UserAgent: r.UserAgent()}
}
