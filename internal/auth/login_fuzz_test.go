package auth

import "testing"

// FuzzNormalizeIdentifier checks that a login finds the account that
// registration made from the same typing: whatever CheckUsername or
// CheckEmail accepted and stored, the identifier normalised from the same
// raw text is the stored name (folded) or the stored email. It also checks
// that normalising an identifier that can name an account is idempotent,
// so that a client that normalises first gets the same account. (Text no
// account can have, such as "˜", need not come back the same: it finds
// nothing either way.)
func FuzzNormalizeIdentifier(f *testing.F) {
	for _, s := range []string{
		"alice", " Alice ", "ＡＬＩＣＥ", "ﬁle", "alice@example.com", " ALICE@Example.COM ",
		"ａｌｉｃｅ＠example.com", "K@example.com", "\u00a0bob\u00a0", "a\u0301b", "İ", "\xff", "", "˜", " ˜alice",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		id := normalizeIdentifier(raw)
		_, uerrs := CheckUsername(id)
		_, eerrs := CheckEmail(id)
		if len(uerrs) == 0 || len(eerrs) == 0 {
			if again := normalizeIdentifier(id); again != id {
				t.Fatalf("normalizeIdentifier(%q) = %q, then %q", raw, id, again)
			}
		}
		if u, errs := CheckUsername(raw); len(errs) == 0 {
			if want := FoldUsername(u); id != want {
				t.Fatalf("registered username %q from %q, but login looks up %q", want, raw, id)
			}
		}
		if e, errs := CheckEmail(raw); len(errs) == 0 {
			if id != e {
				t.Fatalf("registered email %q from %q, but login looks up %q", e, raw, id)
			}
		}
	})
}
