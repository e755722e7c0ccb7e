package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	vErrors "github.com/pb33f/libopenapi-validator/errors"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// spec is /openapi.json as the real server serves it, raw and parsed.
type spec struct {
	raw   []byte
	doc   libopenapi.Document
	model *v3.Document
}

// fetchSpec gets /openapi.json from s and parses it with libopenapi,
// failing on any error.
func fetchSpec(t *testing.T, s *testServer) spec {
	t.Helper()
	res := s.do(t, "GET", "/openapi.json", "", "", "")
	if res.status != http.StatusOK {
		t.Fatalf("GET /openapi.json: %d %s", res.status, res.body)
	}
	if ct := res.header.Get("Content-Type"); !strings.Contains(ct, "json") {
		t.Errorf("GET /openapi.json: Content-Type %q is not JSON", ct)
	}
	doc, err := libopenapi.NewDocument([]byte(res.body))
	if err != nil {
		t.Fatalf("libopenapi.NewDocument: %v", err)
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("BuildV3Model: %v", err)
	}
	if m == nil {
		t.Fatal("BuildV3Model returned no model")
	}
	return spec{raw: []byte(res.body), doc: doc, model: &m.Model}
}

// newValidator builds a validator that also checks formats (uuid,
// date-time, email).
func newValidator(t *testing.T, sp spec) validator.Validator {
	t.Helper()
	v, errs := validator.NewValidator(sp.doc, config.WithFormatAssertions())
	if len(errs) > 0 {
		t.Fatalf("validator.NewValidator: %v", errs)
	}
	return v
}

func reportValidation(t *testing.T, what string, errs []*vErrors.ValidationError) {
	t.Helper()
	for _, e := range errs {
		msg := e.Error()
		for _, f := range e.SchemaValidationErrors {
			msg += "\n\t\t" + f.Error() + " (" + f.KeywordLocation + ")"
		}
		t.Errorf("%s: %s", what, msg)
	}
}

func TestOpenAPIDocumentIsValid31(t *testing.T) {
	s := newServer(t, serverOptions{})
	sp := fetchSpec(t, s)
	if v := sp.doc.GetVersion(); !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi is %q; want 3.1.x", v)
	}
	if v := sp.model.Version; !strings.HasPrefix(v, "3.1.") {
		t.Errorf("model openapi is %q; want 3.1.x", v)
	}
	if ok, errs := newValidator(t, sp).ValidateDocument(); !ok || len(errs) > 0 {
		if len(errs) == 0 {
			t.Error("ValidateDocument failed without an error")
		}
		reportValidation(t, "document against the OpenAPI 3.1 schema", errs)
	}
}

func TestOpenAPIDocumentsEveryEndpoint(t *testing.T) {
	s := newServer(t, serverOptions{})
	sp := fetchSpec(t, s)
	// DESIGN.md's JSON API table, and the key set verifiers fetch.
	want := []struct{ method, path string }{
		{"POST", "/api/users"},
		{"POST", "/api/token"},
		{"POST", "/api/token/revoke"},
		{"POST", "/api/token/introspect"},
		{"GET", "/api/users/me"},
		{"PATCH", "/api/users/me"},
		{"DELETE", "/api/users/me"},
		{"POST", "/api/users/me/password"},
		{"GET", "/api/users/{id}"},
		{"GET", "/api/sessions"},
		{"DELETE", "/api/sessions/{id}"},
		{"GET", "/api/posts"},
		{"POST", "/api/posts"},
		{"GET", "/api/posts/{id}"},
		{"PATCH", "/api/posts/{id}"},
		{"DELETE", "/api/posts/{id}"},
		{"GET", "/api/users/{id}/posts"},
		{"GET", "/.well-known/jwks.json"},
		// "Administration, audit and metrics": the caller's activity and
		// the admin API.
		{"GET", "/api/users/me/events"},
		{"GET", "/api/users/me/export"},
		{"GET", "/api/admin/users"},
		{"GET", "/api/admin/users/{id}"},
		{"PATCH", "/api/admin/users/{id}"},
		{"DELETE", "/api/admin/users/{id}"},
		{"GET", "/api/admin/users/{id}/sessions"},
		{"DELETE", "/api/admin/users/{id}/sessions"},
		{"DELETE", "/api/admin/users/{id}/sessions/{sid}"},
		{"POST", "/api/admin/users/{id}/password-reset"},
		{"GET", "/api/admin/events"},
	}
	if sp.model.Paths == nil || sp.model.Paths.PathItems == nil {
		t.Fatal("the document has no paths")
	}
	for _, w := range want {
		item := sp.model.Paths.PathItems.GetOrZero(w.path)
		if item == nil {
			t.Errorf("%s %s: path missing from the document", w.method, w.path)
			continue
		}
		op := item.GetOperations().GetOrZero(strings.ToLower(w.method))
		if op == nil {
			t.Errorf("%s %s: the path is documented without this method", w.method, w.path)
			continue
		}
		if op.OperationId == "" || op.Summary == "" {
			t.Errorf("%s %s: operationId %q, summary %q; want both", w.method, w.path, op.OperationId, op.Summary)
		}
		if op.Responses == nil || op.Responses.Codes == nil || op.Responses.Codes.Len() == 0 {
			t.Errorf("%s %s: no responses documented", w.method, w.path)
		}
	}
}

// requiresSecurity says whether op may only be called with credentials: its
// effective security (its own, else the document's) is non-empty and has
// no empty (optional) requirement.
func requiresSecurity(doc *v3.Document, op *v3.Operation) bool {
	sec := op.Security
	if sec == nil {
		sec = doc.Security
	}
	if len(sec) == 0 {
		return false
	}
	for _, r := range sec {
		if r == nil || r.ContainsEmptyRequirement || r.Requirements == nil || r.Requirements.Len() == 0 {
			return false
		}
	}
	return true
}

func TestOpenAPISecurity(t *testing.T) {
	s := newServer(t, serverOptions{})
	sp := fetchSpec(t, s)
	m := sp.model
	if m.Components == nil || m.Components.SecuritySchemes == nil {
		t.Fatal("components.securitySchemes is missing")
	}
	var found bool
	for name, sch := range m.Components.SecuritySchemes.FromOldest() {
		if sch.Type != "oauth2" || sch.Flows == nil || sch.Flows.Password == nil {
			continue
		}
		found = true
		if got := sch.Flows.Password.TokenUrl; got != "/api/token" {
			t.Errorf("securitySchemes.%s.flows.password.tokenUrl = %q; want /api/token", name, got)
		}
	}
	if !found {
		t.Fatal("no oauth2 security scheme with a password flow")
	}

	op := func(path, method string) *v3.Operation {
		t.Helper()
		item := m.Paths.PathItems.GetOrZero(path)
		if item == nil {
			t.Fatalf("%s %s is not documented", method, path)
		}
		o := item.GetOperations().GetOrZero(method)
		if o == nil {
			t.Fatalf("%s %s is not documented", method, path)
		}
		return o
	}
	if !requiresSecurity(m, op("/api/users/me", "get")) {
		t.Error("GET /api/users/me does not require security")
	}
	if requiresSecurity(m, op("/api/users/{id}", "get")) {
		t.Error("GET /api/users/{id} requires security; it is public")
	}

	// Every operation states its security, an empty list for a public one,
	// and asks for credentials exactly when it documents the 401 of their
	// absence.
	var doc struct {
		Paths map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(sp.raw, &doc); err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths {
		for method, raw := range item {
			var o struct {
				Security  *[]map[string][]string
				Responses map[string]json.RawMessage
			}
			if json.Unmarshal(raw, &o) != nil || o.Responses == nil {
				continue // not an operation
			}
			if o.Security == nil {
				t.Errorf("%s %s does not state its security", method, path)
				continue
			}
			_, has401 := o.Responses["401"]
			if needs := len(*o.Security) > 0; needs != has401 {
				t.Errorf("%s %s: security %v, but a documented 401 is %v", method, path, *o.Security, has401)
			}
		}
	}
}

// findSchemaProperty reports the JSON paths of every object in v that is a
// schema's properties map naming key.
func findSchemaProperty(v any, path, key string, found *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			p := path + "/" + k
			if k == "properties" {
				if props, ok := child.(map[string]any); ok {
					if _, ok := props[key]; ok {
						*found = append(*found, p)
					}
				}
			}
			if k == "required" {
				if req, ok := child.([]any); ok {
					for _, r := range req {
						if r == key {
							*found = append(*found, p)
						}
					}
				}
			}
			findSchemaProperty(child, p, key, found)
		}
	case []any:
		for i, child := range x {
			findSchemaProperty(child, path+"/"+strconv.Itoa(i), key, found)
		}
	}
}

func TestOpenAPISchemas(t *testing.T) {
	s := newServer(t, serverOptions{})
	sp := fetchSpec(t, s)

	var raw any
	if err := json.Unmarshal(sp.raw, &raw); err != nil {
		t.Fatal(err)
	}
	var withSchema []string
	findSchemaProperty(raw, "#", "$schema", &withSchema)
	for _, p := range withSchema {
		t.Errorf("%s has a $schema property (huma's schema link must be off)", p)
	}

	m := sp.model
	if m.Components == nil || m.Components.Schemas == nil {
		t.Fatal("components.schemas is missing")
	}
	proxy := m.Components.Schemas.GetOrZero("Problem")
	if proxy == nil {
		t.Fatal("components.schemas.Problem is missing")
	}
	problem, err := proxy.BuildSchema()
	if err != nil {
		t.Fatalf("Problem schema: %v", err)
	}
	for _, p := range []string{"type", "title", "status", "detail", "code", "errors"} {
		if problem.Properties == nil || problem.Properties.GetOrZero(p) == nil {
			t.Errorf("Problem schema has no property %q", p)
		}
	}

	register := m.Paths.PathItems.GetOrZero("/api/users")
	if register == nil || register.Post == nil || register.Post.Responses == nil {
		t.Fatal("POST /api/users is not documented")
	}
	for _, code := range []string{"409", "422"} {
		r := register.Post.Responses.Codes.GetOrZero(code)
		if r == nil {
			t.Errorf("POST /api/users: no %s response", code)
			continue
		}
		mt := r.Content.GetOrZero("application/problem+json")
		if mt == nil || mt.Schema == nil {
			t.Errorf("POST /api/users %s: no application/problem+json content", code)
			continue
		}
		if ref := mt.Schema.GetReference(); ref != "#/components/schemas/Problem" {
			t.Errorf("POST /api/users %s: application/problem+json schema is %q; want #/components/schemas/Problem", code, ref)
		}
	}
}

// exchange sends a request to s and returns it with its response, both
// with bodies that can be read again, as the validator reads them.
func exchange(t *testing.T, s *testServer, method, path, contentType, body, bearer string) (*http.Request, *http.Response) {
	t.Helper()
	req := s.request(t, method, path, contentType, body, bearer)
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	res.Body = io.NopCloser(bytes.NewReader(b))
	req.Body = io.NopCloser(strings.NewReader(body))
	return req, res
}

func TestOpenAPIResponsesMatchDocument(t *testing.T) {
	s := newServer(t, serverOptions{})
	v := newValidator(t, fetchSpec(t, s))

	body := func(res *http.Response) string {
		b, _ := io.ReadAll(res.Body)
		res.Body = io.NopCloser(bytes.NewReader(b))
		return string(b)
	}
	// check validates the response against the document and, when the
	// request is meant to be valid, the request too.
	check := func(name string, req *http.Request, res *http.Response, wantStatus int, validRequest bool) {
		t.Helper()
		if res.StatusCode != wantStatus {
			t.Fatalf("%s: status %d, want %d: %s", name, res.StatusCode, wantStatus, body(res))
		}
		var errs []*vErrors.ValidationError
		if validRequest {
			_, errs = v.ValidateHttpRequestResponse(req, res)
		} else {
			_, errs = v.ValidateHttpResponse(req, res)
		}
		reportValidation(t, name+" ("+body(res)+")", errs)
	}

	req, res := exchange(t, s, "POST", "/api/users", "application/json",
		`{"username":"alice","email":"alice@example.com","password":"`+goodPassword+`"}`, "")
	check("POST /api/users 201", req, res, http.StatusCreated, true)
	var created struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(body(res)), &created); err != nil || created.ID == "" {
		t.Fatalf("register: id missing from %s (%v)", body(res), err)
	}

	tok := s.login(t, "alice")
	req, res = exchange(t, s, "GET", "/api/users/me", "", "", tok.AccessToken)
	check("GET /api/users/me 200", req, res, http.StatusOK, true)

	req, res = exchange(t, s, "GET", "/api/users/"+url.PathEscape(created.ID), "", "", "")
	check("GET /api/users/{id} 200", req, res, http.StatusOK, true)

	req, res = exchange(t, s, "POST", "/api/users", "application/json",
		`{"username":"a","email":"nope","password":"password"}`, "")
	check("POST /api/users 422", req, res, http.StatusUnprocessableEntity, true)
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("422 Content-Type %q; want application/problem+json", ct)
	}

	req, res = exchange(t, s, "POST", "/api/users", "application/json",
		`{"username":"ALICE","email":"other@example.com","password":"`+goodPassword+`"}`, "")
	check("POST /api/users 409", req, res, http.StatusConflict, true)

	req, res = exchange(t, s, "GET", "/api/users/me", "", "", "")
	check("GET /api/users/me 401", req, res, http.StatusUnauthorized, false)

	req, res = exchange(t, s, "GET", "/.well-known/jwks.json", "", "", "")
	check("GET /.well-known/jwks.json 200", req, res, http.StatusOK, true)
}

// TestOpenAPIDocumentsResponseHeaders: every 401 documents the bearer
// challenge and every 429 and 503 says when to come back, including the
// token endpoints (whose other errors share one response object, which
// must not pick the header up).
func TestOpenAPIDocumentsResponseHeaders(t *testing.T) {
	s := newServer(t, serverOptions{})
	sp := fetchSpec(t, s)
	var doc struct {
		Paths map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(sp.raw, &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"401": "WWW-Authenticate", "429": "Retry-After", "503": "Retry-After"}
	counted := map[string]int{}
	for path, item := range doc.Paths {
		for method, raw := range item {
			var o struct {
				Responses map[string]struct{ Headers map[string]any }
			}
			if json.Unmarshal(raw, &o) != nil {
				continue // not an operation
			}
			for code, r := range o.Responses {
				if h, ok := want[code]; ok {
					counted[code]++
					if _, ok := r.Headers[h]; !ok {
						t.Errorf("%s %s: the %s response does not document %s", method, path, code, h)
					}
				} else if _, ok := r.Headers["Retry-After"]; ok {
					t.Errorf("%s %s: the %s response documents Retry-After", method, path, code)
				}
			}
		}
	}
	for code := range want {
		if counted[code] == 0 {
			t.Errorf("no operation documents a %s", code)
		}
	}
	if counted["401"] < 5 {
		t.Errorf("only %d operations document a 401", counted["401"])
	}
}

// TestOpenAPIIntrospection: the introspection endpoint's answers, active,
// inactive and refused, are as documented, and its security is HTTP Basic.
func TestOpenAPIIntrospection(t *testing.T) {
	s := newIntrospectionServer(t, serverOptions{})
	sp := fetchSpec(t, s)
	v := newValidator(t, sp)
	s.register(t, "alice")
	tok := s.login(t, "alice")

	scheme := sp.model.Components.SecuritySchemes.GetOrZero("introspectionClient")
	if scheme == nil || scheme.Type != "http" || scheme.Scheme != "basic" {
		t.Fatalf("securitySchemes.introspectionClient = %+v, want HTTP Basic", scheme)
	}
	op := sp.model.Paths.PathItems.GetOrZero("/api/token/introspect").Post
	if len(op.Security) != 1 || op.Security[0].Requirements.Len() != 1 {
		t.Errorf("POST /api/token/introspect: %d security requirements, want introspectionClient alone", len(op.Security))
	} else if _, ok := op.Security[0].Requirements.Get("introspectionClient"); !ok {
		t.Error("POST /api/token/introspect: its security requirement is not introspectionClient")
	}

	for _, tt := range []struct {
		name   string
		client auth.IntrospectionClient
		token  string
		want   int
	}{
		{"active access token", billing, tok.AccessToken, 200},
		{"active refresh token", billing, tok.RefreshToken, 200},
		{"inactive", billing, "nope", 200},
		{"no token", billing, "", 400},
		{"wrong secret", auth.IntrospectionClient{Name: "billing", Secret: "guess"}, tok.AccessToken, 401},
	} {
		body := url.Values{"token": {tt.token}}.Encode()
		req := s.request(t, "POST", "/api/token/introspect", "application/x-www-form-urlencoded", body, "")
		req.SetBasicAuth(tt.client.Name, tt.client.Secret)
		res, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tt.want {
			t.Fatalf("%s: status %d, want %d: %s", tt.name, res.StatusCode, tt.want, b)
		}
		res.Body = io.NopCloser(bytes.NewReader(b))
		req.Body = io.NopCloser(strings.NewReader(body))
		var errs []*vErrors.ValidationError
		if tt.want == 200 {
			_, errs = v.ValidateHttpRequestResponse(req, res)
		} else {
			_, errs = v.ValidateHttpResponse(req, res)
		}
		reportValidation(t, tt.name+" ("+string(b)+")", errs)
	}
}
