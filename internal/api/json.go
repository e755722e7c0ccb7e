package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/latchkey/latchkey/internal/auth"
)

// MaxBodyBytes bounds every request body (DESIGN.md: 1 MiB).
const MaxBodyBytes = 1 << 20

// decode reads exactly one JSON value of at most MaxBodyBytes into v.
// Unknown fields are refused so that a misspelt field is an error, not a
// silently ignored value.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return auth.Errorf(codeUnsupportedMediaType, "Send the body as application/json.")
		}
	}
	body := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return decodeError(err)
		}
		return auth.Errorf(codeBadRequest, "The body must be exactly one JSON value; remove what follows it.")
	}
	return nil
}

func decodeError(err error) error {
	var (
		tooBig    *http.MaxBytesError
		syntax    *json.SyntaxError
		wrongType *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooBig):
		return auth.Errorf(codeBodyTooLarge, "The body must be at most %d bytes.", MaxBodyBytes)
	case errors.Is(err, io.EOF):
		return auth.Errorf(codeBadRequest, "The body is empty; send a JSON object.")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return auth.Errorf(codeBadRequest, "The body is not valid JSON.")
	case errors.As(err, &wrongType):
		return &auth.Error{Code: auth.CodeInvalid, Message: "Some fields need attention.", Fields: []auth.FieldError{{
			Field: wrongType.Field, Code: "wrong_type", Message: fmt.Sprintf("Must be a JSON %s.", jsonKind(wrongType.Type.Kind().String())),
		}}}
	}
	// encoding/json has no type for this one; its message is stable.
	if field, ok := strings.CutPrefix(err.Error(), `json: unknown field "`); ok {
		field = strings.TrimSuffix(field, `"`)
		return &auth.Error{Code: auth.CodeInvalid, Message: "Some fields need attention.", Fields: []auth.FieldError{{
			Field: field, Code: "unknown_field", Message: "This field is not part of the request; remove it or check its spelling.",
		}}}
	}
	return auth.Errorf(codeBadRequest, "The body could not be read as JSON.")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "struct", "map":
		return "object"
	case "slice", "array":
		return "array"
	}
	return "number"
}

// writeJSON writes v with the given status and content type.
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", fmt.Sprint(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
