// Package apidocs serves the API reference page at /docs: Swagger UI, from
// the npm package swagger-ui-dist copied in at build time by make (never
// from a CDN), pointed at the generated /openapi.json. Its "Authorize"
// button logs in with the password flow against /api/token.
package apidocs

import (
	"embed"
	"io/fs"
	"net/http"
	"strconv"
)

// static holds our page and script; dist is filled by make from
// node_modules/swagger-ui-dist (see the Makefile) and is not committed.
//
//go:embed static dist
var files embed.FS

// Handler serves /docs and the files under /docs/.
func Handler() http.Handler {
	static, _ := fs.Sub(files, "static")
	dist, _ := fs.Sub(files, "dist")
	staticFS, distFS := http.FileServerFS(static), http.FileServerFS(dist)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /docs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, static, "index.html")
	})
	mux.Handle("GET /docs/init.js", http.StripPrefix("/docs", staticFS))
	mux.Handle("GET /docs/docs.css", http.StripPrefix("/docs", staticFS))
	mux.Handle("GET /docs/", http.StripPrefix("/docs", cacheFor(3600, distFS)))
	return mux
}

// cacheFor lets browsers keep the Swagger UI files for a while: they change
// only with the swagger-ui-dist version, that is, with a new binary.
func cacheFor(seconds int, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(seconds))
		h.ServeHTTP(w, r)
	})
}
