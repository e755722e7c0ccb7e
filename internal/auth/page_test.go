package auth_test

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
	"github.com/latchkey/latchkey/internal/auth/authtest"
)

// TestPageParams: a cursor the server encoded reads back as itself, and
// anything else (garbage, another encoding of the same position, a time
// the databases cannot hold, an id that is not ours) is refused as a
// field of the query, like a limit out of range.
func TestPageParams(t *testing.T) {
	c := auth.PageCursor{CreatedAt: time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC), ID: "0199a8c0-0000-7000-8000-000000000000"}
	limit, after, err := auth.PageParams(c.Encode(), 0)
	authtest.NoError(t, err)
	if limit != auth.DefaultPageSize || after == nil || *after != c {
		t.Fatalf("PageParams(%q, 0) = %d, %+v; want %d, %+v", c.Encode(), limit, after, auth.DefaultPageSize, c)
	}
	limit, after, err = auth.PageParams("", auth.MaxPageSize)
	authtest.NoError(t, err)
	if limit != auth.MaxPageSize || after != nil {
		t.Fatalf("first page: %d, %+v", limit, after)
	}

	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, tt := range []struct {
		name, cursor string
		limit        int
		fields       string
	}{
		{"not base64", "!!!", 1, "query.cursor:invalid_cursor"},
		{"no id", enc("123"), 1, "query.cursor:invalid_cursor"},
		{"not a number", enc("x." + c.ID), 1, "query.cursor:invalid_cursor"},
		{"an id that is not ours", enc("1.x"), 1, "query.cursor:invalid_cursor"},
		{"before year 1", enc("-9223372036854775808." + c.ID), 1, "query.cursor:invalid_cursor"},
		{"after year 9999", enc("253402300800000000." + c.ID), 1, "query.cursor:invalid_cursor"},
		{"a leading zero", enc("01." + c.ID), 1, "query.cursor:invalid_cursor"},
		{"a plus sign", enc("+1." + c.ID), 1, "query.cursor:invalid_cursor"},
		{"limit below 1", "", -1, "query.limit:out_of_range"},
		{"limit above the maximum", "", auth.MaxPageSize + 1, "query.limit:out_of_range"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := auth.PageParams(tt.cursor, tt.limit)
			authtest.Equal(t, fieldCodes(authtest.Code(t, err, auth.CodeInvalid).Fields), tt.fields)
		})
	}
}
