package auth_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/auth"
)

// The identity rules are the first thing every registration and login
// runs on text a stranger typed, so they are fuzzed for the promises the
// rest of the code relies on, not only for panics.

// identitySeeds are usernames and emails that have broken, or nearly
// broken, normalisers elsewhere: look-alikes that NFKC folds, invisible
// and control characters, mixed case, whitespace of every kind, and bytes
// that are not UTF-8.
var identitySeeds = []string{
	"alice", " Alice ", "al", strings.Repeat("a", 33), "a_b-c.d", "_alice", ".alice",
	"ａｌｉｃｅ", "ﬁle", "Ⅻ", "alice\u200b", "ali\u00adce", "alicé", "a\x00lice", "\xff\xfe",
	"\u3000alice\u3000", "\u00a0alice", "㍿bc", "alice@example.com", " ALICE@Example.COM ",
	"a@b", `"a b"@example.com`, "Alice <alice@example.com>", "alice@example.com (x)",
	"alice@[127.0.0.1]", "alice\u2028@example.com", "ａ@example.com", "İstanbul@example.com",
	"K@example.com", strings.Repeat("a", 250) + "@b.co", "\t\n", "",
}

// FuzzCheckUsername checks that an accepted username is what DESIGN.md
// promises (ASCII, 3 to 32 characters of the allowed set, starting with a
// letter or digit) and that normalising it again changes nothing: the
// stored name must be one a second registration would collide with.
func FuzzCheckUsername(f *testing.F) {
	for _, s := range identitySeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, errs := auth.CheckUsername(raw)
		if len(errs) > 0 {
			for _, e := range errs {
				if e.Field != "username" || e.Code == "" || e.Message == "" {
					t.Fatalf("CheckUsername(%q): malformed error %+v", raw, e)
				}
			}
			return
		}
		if n := len(u); n < auth.MinUsernameLength || n > auth.MaxUsernameLength {
			t.Fatalf("CheckUsername(%q) accepted %q of %d bytes", raw, u, n)
		}
		for i := 0; i < len(u); i++ {
			c := u[i]
			if c >= utf8.RuneSelf || !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
				t.Fatalf("CheckUsername(%q) accepted %q with byte %q", raw, u, c)
			}
		}
		if c := u[0]; c == '_' || c == '-' || c == '.' {
			t.Fatalf("CheckUsername(%q) accepted %q, which starts with punctuation", raw, u)
		}
		again, errs := auth.CheckUsername(u)
		if again != u || len(errs) > 0 {
			t.Fatalf("CheckUsername(%q) = %q, but CheckUsername(%q) = %q, %v", raw, u, u, again, errs)
		}
		if f := auth.FoldUsername(u); auth.FoldUsername(f) != f || !strings.EqualFold(f, u) {
			t.Fatalf("FoldUsername(%q) = %q is not a case fold", u, f)
		}
	})
}

// FuzzCheckEmail checks that an accepted email is lower-case, trimmed,
// within MaxEmailBytes, free of control, format and separator characters,
// and stable under normalising again.
func FuzzCheckEmail(f *testing.F) {
	for _, s := range identitySeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		e, errs := auth.CheckEmail(raw)
		if len(errs) > 0 {
			for _, fe := range errs {
				if fe.Field != "email" || fe.Code == "" || fe.Message == "" {
					t.Fatalf("CheckEmail(%q): malformed error %+v", raw, fe)
				}
			}
			return
		}
		if len(e) > auth.MaxEmailBytes || !strings.Contains(e, "@") {
			t.Fatalf("CheckEmail(%q) accepted %q", raw, e)
		}
		if !auth.PlainText(e, false) {
			t.Fatalf("CheckEmail(%q) accepted %q, which is not plain text", raw, e)
		}
		for _, c := range e {
			if unicode.In(c, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Co) || unicode.IsSpace(c) {
				t.Fatalf("CheckEmail(%q) accepted %q with %U", raw, e, c)
			}
		}
		if e != strings.ToLower(e) {
			t.Fatalf("CheckEmail(%q) accepted %q, which is not lower-case", raw, e)
		}
		again, errs := auth.CheckEmail(e)
		if again != e || len(errs) > 0 {
			t.Fatalf("CheckEmail(%q) = %q, but CheckEmail(%q) = %q, %v", raw, e, e, again, errs)
		}
	})
}

// FuzzCleanHeader checks the two promises between PlainText and
// CleanHeader that the login's User-Agent handling relies on: whatever
// CleanHeader returns is storable (PlainText), and text that already is
// comes back unchanged.
func FuzzCleanHeader(f *testing.F) {
	for _, s := range identitySeeds {
		f.Add(s)
	}
	for _, s := range []string{"Mozilla/5.0 (X11; Linux x86_64)", "caf\xe9", "a\x7fb", "\u0085", "\xed\xa0\x80", "\xf4\x90\x80\x80", "tab\there", "cr\rlf\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := auth.CleanHeader(s)
		if !auth.PlainText(c, false) {
			t.Fatalf("CleanHeader(%q) = %q, which is not plain text", s, c)
		}
		if auth.PlainText(s, false) && c != s {
			t.Fatalf("CleanHeader(%q) = %q changed plain text", s, c)
		}
		if !auth.PlainText(s, true) && auth.PlainText(s, false) {
			t.Fatalf("PlainText(%q): single-line accepted what multiline refused", s)
		}
		if auth.CleanHeader(c) != c {
			t.Fatalf("CleanHeader(%q) = %q, not stable", s, c)
		}
		if utf8.RuneCountInString(c) < utf8.RuneCountInString(strings.ToValidUTF8(s, "\ufffd")) {
			t.Fatalf("CleanHeader(%q) = %q dropped characters instead of replacing them", s, c)
		}
	})
}
