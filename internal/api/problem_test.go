package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/latchkey/latchkey/internal/auth"
)

// probeInput has a field of each kind huma validates, so that every
// message problem.go recognises can be provoked from huma itself.
type probeInput struct {
	N    int     `query:"n" minimum:"1" maximum:"10"`
	F    float64 `query:"f"`
	B    bool    `query:"b"`
	E    string  `query:"e" enum:"red,green"`
	Body struct {
		Name  string   `json:"name"`
		Count int      `json:"count,omitempty"`
		Ratio float64  `json:"ratio,omitempty"`
		Email string   `json:"email,omitempty" format:"email"`
		ID    string   `json:"id,omitempty" format:"uuid"`
		Tags  []string `json:"tags,omitempty"`
		Meta  struct {
			On bool `json:"on,omitempty"`
		} `json:"meta,omitempty"`
	}
}

// TestHumaMessagesMapToStableCodes pins problem.go's reading of huma's
// validation messages, which it recognises by their text: if a huma
// upgrade rewords one, the field's code here changes and this test fails,
// instead of clients silently getting "invalid" for what was
// "out_of_range". No message may repeat the submitted value.
func TestHumaMessagesMapToStableCodes(t *testing.T) {
	mux := http.NewServeMux()
	a := humago.New(mux, config(""))
	a.UseMiddleware(func(ctx huma.Context, next func(huma.Context)) {
		next(huma.WithValue(ctx, loggerKey, slog.New(slog.DiscardHandler)))
	})
	huma.Register(a, huma.Operation{OperationID: "probe", Method: http.MethodPost, Path: "/probe"},
		func(context.Context, *probeInput) (*struct{}, error) { return nil, nil })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	const ok = `"name":"x"`
	tests := []struct {
		name, query, body string
		location, code    string
	}{
		{"a missing field", "", `{}`, "body.name", "required"},
		{"an unknown field", "", `{` + ok + `,"secret":"hunter2"}`, "body.secret", "unknown_field"},
		{"a number above its maximum", "n=11", `{` + ok + `}`, "query.n", "out_of_range"},
		{"a number below its minimum", "n=0", `{` + ok + `}`, "query.n", "out_of_range"},
		{"a value outside its enum", "e=hunter2", `{` + ok + `}`, "query.e", "out_of_range"},
		{"a bad email", "", `{` + ok + `,"email":"hunter2"}`, "body.email", "invalid_format"},
		{"a bad uuid", "", `{` + ok + `,"id":"hunter2"}`, "body.id", "invalid_format"},
		{"an integer query that is not one", "n=hunter2", `{` + ok + `}`, "query.n", "wrong_type"},
		{"a float query that is not one", "f=hunter2", `{` + ok + `}`, "query.f", "wrong_type"},
		{"a boolean query that is not one", "b=hunter2", `{` + ok + `}`, "query.b", "wrong_type"},
		{"a number for a string", "", `{"name":12345}`, "body.name", "wrong_type"},
		{"a string for an integer", "", `{` + ok + `,"count":"hunter2"}`, "body.count", "wrong_type"},
		{"a string for a number", "", `{` + ok + `,"ratio":"hunter2"}`, "body.ratio", "wrong_type"},
		{"a string for a boolean", "", `{` + ok + `,"meta":{"on":"hunter2"}}`, "body.meta.on", "wrong_type"},
		{"a string for an object", "", `{` + ok + `,"meta":"hunter2"}`, "body.meta", "wrong_type"},
		{"a string for an array", "", `{` + ok + `,"tags":"hunter2"}`, "body.tags", "wrong_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := http.Post(srv.URL+"/probe?"+tt.query, "application/json", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			var p Problem
			if err := json.Unmarshal(b, &p); err != nil || res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("%d %s (%v)", res.StatusCode, b, err)
			}
			if len(p.Errors) != 1 || p.Errors[0].Location != tt.location || p.Errors[0].Code != tt.code {
				t.Fatalf("errors %+v; want one at %s with code %s", p.Errors, tt.location, tt.code)
			}
			if strings.Contains(string(b), "hunter2") || strings.Contains(string(b), "12345") {
				t.Errorf("the problem repeats the submitted value: %s", b)
			}
		})
	}
}

// TestUnavailableSaysRetryAfter: a 503 for a database that cannot be
// reached (it names no wait of its own) still tells the client when to
// come back, as the OpenAPI document says every 503 does; a wait that is
// named is kept.
func TestUnavailableSaysRetryAfter(t *testing.T) {
	ctx := context.WithValue(context.Background(), loggerKey, slog.New(slog.DiscardHandler))
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"database unavailable", fmt.Errorf("get session: %w: %w", auth.ErrUnavailable, errors.New("timeout")), "1"},
		{"busy, with a wait", &auth.Error{Code: auth.CodeBusy, Message: "busy", RetryAfter: 3 * time.Second}, "3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := problemOf(ctx, tt.err)
			if p.Status != http.StatusServiceUnavailable || p.headers.Get("Retry-After") != tt.want {
				t.Errorf("%d, Retry-After %q; want 503 with %q", p.Status, p.headers.Get("Retry-After"), tt.want)
			}
		})
	}
}
