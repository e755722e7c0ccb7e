package auth_test

import (
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/auth"
)

// FuzzPageParams checks that a cursor and a limit from a query string are
// either refused as a field of the request (CodeInvalid, never another
// error) or accepted as exactly what the server could have issued: an
// accepted cursor encodes back to itself, names a well-formed id and a
// time both databases hold, and the limit is within 1..MaxPageSize.
func FuzzPageParams(f *testing.F) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	good := auth.PageCursor{CreatedAt: time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC), ID: "0199a8c0-0000-7000-8000-000000000000"}
	for _, c := range []struct {
		cursor string
		limit  int
	}{
		{"", 0}, {"", 101}, {"", -1}, {good.Encode(), 0}, {good.Encode(), 100},
		{good.Encode() + "=", 1}, {"!!!", 1}, {enc("123"), 1}, {enc("x." + good.ID), 1},
		{enc("1.x"), 1}, {enc("-9223372036854775808." + good.ID), 1},
		{enc("253402300800000000." + good.ID), 1}, {enc("+1." + good.ID), 1},
		{enc("01." + good.ID), 1}, {enc("1." + good.ID + "."), 1},
	} {
		f.Add(c.cursor, c.limit)
	}
	f.Fuzz(func(t *testing.T, cursor string, limit int) {
		n, after, err := auth.PageParams(cursor, limit)
		if err != nil {
			var e *auth.Error
			if !errors.As(err, &e) || e.Code != auth.CodeInvalid || len(e.Fields) == 0 {
				t.Fatalf("PageParams(%q, %d): %v is not a field error", cursor, limit, err)
			}
			return
		}
		if n < 1 || n > auth.MaxPageSize || (limit != 0 && n != limit) {
			t.Fatalf("PageParams(%q, %d) gave limit %d", cursor, limit, n)
		}
		if cursor == "" {
			if after != nil {
				t.Fatalf("PageParams(\"\", %d) gave a cursor %+v", limit, after)
			}
			return
		}
		if after == nil {
			t.Fatalf("PageParams(%q, %d) accepted a cursor but gave none", cursor, limit)
		}
		if got := after.Encode(); got != cursor {
			t.Fatalf("cursor %q accepted as %+v, which encodes as %q", cursor, *after, got)
		}
		if y := after.CreatedAt.Year(); y < 1 || y > 9999 || after.CreatedAt.Location() != time.UTC || !auth.WellFormedID(after.ID) {
			t.Fatalf("cursor %q accepted as %+v", cursor, *after)
		}
	})
}
