package apidocs

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	res := rec.Result()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

// TestDocsPage needs the Swagger UI files that `make assets` copies into
// dist; without them (a bare `go test` on a fresh checkout) it is skipped.
func TestDocsPage(t *testing.T) {
	if _, err := os.Stat("dist/swagger-ui-bundle.js"); err != nil {
		t.Skip("dist/swagger-ui-bundle.js is missing; run make assets")
	}
	h := Handler()

	res, body := get(t, h, "/docs")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /docs: %d %s", res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET /docs: Content-Type %q; want text/html", ct)
	}
	for _, want := range []string{`src="/docs/swagger-ui-bundle.js"`, `src="/docs/init.js"`} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /docs: the page does not contain %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<script>") {
		t.Error("GET /docs: the page has an inline script; the Content-Security-Policy allows none")
	}

	res, body = get(t, h, "/docs/swagger-ui-bundle.js")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /docs/swagger-ui-bundle.js: %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("GET /docs/swagger-ui-bundle.js: Content-Type %q; want JavaScript", ct)
	}
	if !strings.Contains(body, "SwaggerUIBundle") {
		t.Error("GET /docs/swagger-ui-bundle.js does not define SwaggerUIBundle")
	}

	res, body = get(t, h, "/docs/init.js")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /docs/init.js: %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("GET /docs/init.js: Content-Type %q; want JavaScript", ct)
	}
	if !strings.Contains(body, `url: "/openapi.json"`) {
		t.Errorf("GET /docs/init.js does not point Swagger UI at /openapi.json:\n%s", body)
	}

	if res, _ := get(t, h, "/docs/swagger-ui.css"); res.StatusCode != http.StatusOK {
		t.Errorf("GET /docs/swagger-ui.css: %d", res.StatusCode)
	}
	if res, _ := get(t, h, "/docs/nope.js"); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /docs/nope.js: %d; want 404", res.StatusCode)
	}
}
