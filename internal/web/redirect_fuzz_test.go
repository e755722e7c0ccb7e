package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzRedirect sends any next through redirect, as the login and
// registration pages do, and checks what the browser gets (Location, or
// HX-Redirect for htmx) with LeavesSite: it must stay on the site, and
// read the same when checked again. A plain local path must also survive
// unchanged (but for a "%" that starts no escape, which becomes "%25"),
// so that the check does not buy its safety by sending everyone home.
func FuzzRedirect(f *testing.F) {
	for _, tt := range NextCases {
		if len(tt.Next) < 1024 { // the fuzzer mutates seeds; keep them small
			f.Add(tt.Next)
		}
	}
	f.Fuzz(func(t *testing.T, next string) {
		for _, htmx := range []bool{false, true} {
			w := httptest.NewRecorder()
			r := httptest.NewRequest("POST", "/login", nil)
			header := "Location"
			if htmx {
				r.Header.Set("HX-Request", "true")
				header = "HX-Redirect"
			}
			redirect(w, r, next)
			got := w.Header().Get(header)
			if why := LeavesSite(got); why != "" {
				t.Fatalf("redirect to %q sent %s %q, which %s", next, header, got, why)
			}
			if w.Code != http.StatusSeeOther && w.Code != http.StatusNoContent {
				t.Fatalf("redirect to %q answered %d", next, w.Code)
			}
			if again := safeNext(got); again != got {
				t.Fatalf("redirect to %q sent %q, which safeNext reads as %q", next, got, again)
			}
			if LeavesSite(next) == "" && !hasLonePercent(next) && got != next {
				t.Fatalf("redirect to the local path %q sent %q", next, got)
			}
		}
	})
}

func hasLonePercent(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && mustEscape(s, i) {
			return true
		}
	}
	return false
}
