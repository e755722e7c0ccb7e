package auth

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Paging of the API's lists (DESIGN.md). Every list pages the same way,
// the caller's sessions here and the blog's posts in package blog, so the
// cursor lives in the centre.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// PageCursor is the position after which a page of a newest-first list
// (posts, sessions) starts: the last item of the previous page.
type PageCursor struct {
	CreatedAt time.Time
	ID        string
}

// Encode is the cursor as clients see it: opaque, so that they pass it
// back rather than build one.
func (c PageCursor) Encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + "." + c.ID))
}

// PageParams checks a list's ?limit= (0: the default) and ?cursor= (""
// for the first page), as every list of the API takes them.
func PageParams(cursor string, limit int) (int, *PageCursor, error) {
	if limit == 0 {
		limit = DefaultPageSize
	}
	if limit < 1 || limit > MaxPageSize {
		return 0, nil, &Error{Code: CodeInvalid, Message: "Some fields need attention.", Fields: []FieldError{
			{Field: "query.limit", Code: "out_of_range", Message: fmt.Sprintf("Use a whole number from 1 to %d.", MaxPageSize)}}}
	}
	if cursor == "" {
		return limit, nil, nil
	}
	after, err := decodeCursor(cursor)
	if err != nil {
		return 0, nil, &Error{Code: CodeInvalid, Message: "Some fields need attention.", Fields: []FieldError{
			{Field: "query.cursor", Code: "invalid_cursor", Message: "This cursor is not one the server gave out; start from the first page."}}}
	}
	return limit, after, nil
}

func decodeCursor(s string) (*PageCursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	micros, id, ok := strings.Cut(string(b), ".")
	if !ok || id == "" {
		return nil, errors.New("cursor: no id")
	}
	n, err := strconv.ParseInt(micros, 10, 64)
	if err != nil {
		return nil, err
	}
	c := &PageCursor{CreatedAt: time.UnixMicro(n).UTC(), ID: id}
	// Only a cursor the server could have issued: a well-formed id and a
	// time both databases can hold and compare (years 1-9999), written
	// exactly as Encode writes it.
	if !WellFormedID(id) || c.CreatedAt.Year() < 1 || c.CreatedAt.Year() > 9999 || c.Encode() != s {
		return nil, errors.New("cursor: not one the server issued")
	}
	return c, nil
}
