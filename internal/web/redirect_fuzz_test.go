package web

import (
	"net/http"
	"testing"
)

// FuzzRedirect sends any next through redirect, as the login and
// registration pages do, and checks what the browser gets (Location, or
// HX-Redirect for htmx) with LeavesSite: it must stay on the site, and
// read the same when checked again. A plain local path must also survive
// unchanged (but for a "%" that starts no escape, which becomes "%25"),
// so that the check does not buy its safety by sending everyone home.
// A site with the hosts of forward authentication (AppHosts) is checked
// the same way with LeavesHosts: a path or a URL on those hosts.
func FuzzRedirect(f *testing.F) {
	for _, tt := range NextCases {
		if len(tt.Next) < 1024 { // the fuzzer mutates seeds; keep them small
			f.Add(tt.Next)
		}
	}
	for _, tt := range HostCases {
		f.Add(tt.Next)
	}
	plain, forwarding := &site{}, &site{Deps: Deps{Hosts: AppHosts()}}
	f.Fuzz(func(t *testing.T, next string) {
		for _, htmx := range []bool{false, true} {
			got, header, code, _ := redirectOf(plain, next, htmx)
			if why := LeavesSite(got); why != "" {
				t.Fatalf("redirect to %q sent %s %q, which %s", next, header, got, why)
			}
			if code != http.StatusSeeOther && code != http.StatusNoContent {
				t.Fatalf("redirect to %q answered %d", next, code)
			}
			if again := plain.safeNext(got); again != got {
				t.Fatalf("redirect to %q sent %q, which safeNext reads as %q", next, got, again)
			}
			if LeavesSite(next) == "" && !hasLonePercent(next) && got != next {
				t.Fatalf("redirect to the local path %q sent %q", next, got)
			}

			fgot, header, _, _ := redirectOf(forwarding, next, htmx)
			if why := LeavesHosts(fgot); why != "" {
				t.Fatalf("with hosts, redirect to %q sent %s %q, which %s", next, header, fgot, why)
			}
			if again := forwarding.safeNext(fgot); again != fgot {
				t.Fatalf("with hosts, redirect to %q sent %q, which safeNext reads as %q", next, fgot, again)
			}
			if got != "/" && fgot != got {
				t.Fatalf("redirect to %q sent %q, but %q with hosts", next, got, fgot)
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
