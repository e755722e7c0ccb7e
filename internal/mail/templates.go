package mail

import (
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io"
	"strings"
	texttemplate "text/template"
)

// files holds one layout per format and, per kind, a KIND.txt and a
// KIND.html that define "body" and "reason" (why the reader got the mail).
//
//go:embed templates/*.txt templates/*.html
var files embed.FS

// textTemplates and htmlTemplates are parsed once, when the program
// starts: a broken template stops it at once rather than at the first
// password reset. The text part uses text/template, which escapes nothing,
// as a text/plain body has no markup; the HTML part uses html/template, so
// a username like "<b>x</b>" is shown, never interpreted.
var (
	textTemplates = parseAll(func(k Kind) (renderer, error) {
		t, err := texttemplate.ParseFS(files, "templates/layout.txt", "templates/"+string(k)+".txt")
		return t, err
	})
	htmlTemplates = parseAll(func(k Kind) (renderer, error) {
		t, err := htmltemplate.ParseFS(files, "templates/layout.html", "templates/"+string(k)+".html")
		return t, err
	})
)

// renderer is what text/template and html/template have in common.
type renderer interface {
	ExecuteTemplate(w io.Writer, name string, data any) error
}

// parseAll parses the templates of every kind, panicking on an error: the
// templates are part of the binary, so an error is a bug in this package.
func parseAll(parse func(Kind) (renderer, error)) map[Kind]renderer {
	m := make(map[Kind]renderer, len(allKinds))
	for _, k := range allKinds {
		t, err := parse(k)
		if err != nil {
			panic(fmt.Sprintf("mail: templates of %s: %v", k, err))
		}
		m[k] = t
	}
	return m
}

// render executes the kind's text and HTML templates.
func render(k Kind, d data) (text, html string, err error) {
	var tb, hb strings.Builder
	if err := textTemplates[k].ExecuteTemplate(&tb, "layout.txt", d); err != nil {
		return "", "", fmt.Errorf("text: %w", err)
	}
	if err := htmlTemplates[k].ExecuteTemplate(&hb, "layout.html", d); err != nil {
		return "", "", fmt.Errorf("html: %w", err)
	}
	// The definitions after the layout leave blank lines behind.
	return strings.TrimRight(tb.String(), "\n") + "\n", strings.TrimRight(hb.String(), "\n") + "\n", nil
}
