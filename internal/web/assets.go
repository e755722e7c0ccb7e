package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
)

// static holds our stylesheet and, copied in by make from the npm package
// htmx.org, vendor/htmx.min.js (not committed).
//
//go:embed static
var staticFS embed.FS

// assets maps a file to its content hash, so that URLs change when the
// file does and browsers may cache them for a year.
type assets struct {
	fs     fs.FS
	hashes map[string]string
}

func loadAssets() (*assets, error) {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	a := &assets{fs: sub, hashes: map[string]string{}}
	err = fs.WalkDir(sub, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.hashes[path] = hex.EncodeToString(sum[:6])
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, ok := a.hashes["vendor/htmx.min.js"]; !ok {
		return nil, fmt.Errorf("web: static/vendor/htmx.min.js is missing: run make (it copies htmx from node_modules)")
	}
	return a, nil
}

// url is the versioned URL of a static file, for templates.
func (a *assets) url(name string) (string, error) {
	h, ok := a.hashes[name]
	if !ok {
		return "", fmt.Errorf("web: no static file %q", name)
	}
	return "/static/" + name + "?v=" + h, nil
}

// handler serves the files: a request naming the current version is cached
// for a year (immutable); anything else must be revalidated.
func (a *assets) handler() http.Handler {
	files := http.StripPrefix("/static/", http.FileServerFS(a.fs))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if v := r.URL.Query().Get("v"); v != "" && v == a.hashes[name] {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}
