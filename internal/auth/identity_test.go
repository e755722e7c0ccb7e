package auth_test

import (
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/auth"
)

func fieldCodes(errs []auth.FieldError) string {
	codes := make([]string, len(errs))
	for i, e := range errs {
		codes[i] = e.Field + ":" + e.Code
	}
	return strings.Join(codes, ",")
}

func TestCheckUsername(t *testing.T) {
	tests := []struct {
		name, in, want, errs string
	}{
		{"plain", "alice", "alice", ""},
		{"casing kept", "Alice_B-1.x", "Alice_B-1.x", ""},
		{"trimmed", "  alice ", "alice", ""},
		{"full-width folds to ASCII", "ａｌｉｃｅ", "alice", ""},
		{"full-width capitals", "ＡＬＩＣＥ", "ALICE", ""},
		{"ligature folds", "ﬁle", "file", ""},
		{"Kelvin sign folds", "\u212Aelvin", "Kelvin", ""},
		{"digit first", "1alice", "1alice", ""},
		{"three characters", "abc", "abc", ""},
		{"thirty-two characters", strings.Repeat("a", 32), strings.Repeat("a", 32), ""},
		{"empty", "", "", "username:required"},
		{"blank", "   ", "", "username:required"},
		{"too short", "ab", "ab", "username:username_length"},
		{"too long", strings.Repeat("a", 33), strings.Repeat("a", 33), "username:username_length"},
		{"underscore first", "_alice", "_alice", "username:username_start"},
		{"dot first", ".alice", ".alice", "username:username_start"},
		{"space inside", "alice bob", "alice bob", "username:username_characters"},
		{"Cyrillic a look-alike", "\u0430lice", "\u0430lice", "username:username_characters"},
		{"zero-width space", "ali\u200bce", "ali\u200bce", "username:username_characters"},
		{"accented", "alicé", "alicé", "username:username_characters"},
		{"symbol", "alice!", "alice!", "username:username_characters"},
		{"every rule at once", "_\u00e9", "_\u00e9", "username:username_length,username:username_characters,username:username_start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := auth.CheckUsername(tt.in)
			if tt.errs == "" && got != tt.want {
				t.Errorf("normalised %q, want %q", got, tt.want)
			}
			if fieldCodes(errs) != tt.errs {
				t.Errorf("errors %q, want %q", fieldCodes(errs), tt.errs)
			}
			for _, e := range errs {
				if e.Message == "" {
					t.Errorf("%s has no message", e.Code)
				}
			}
		})
	}
}

func TestCheckEmail(t *testing.T) {
	tests := []struct {
		name, in, want, errs string
	}{
		{"plain", "alice@example.com", "alice@example.com", ""},
		{"lower-cased and trimmed", "  Alice@Example.COM ", "alice@example.com", ""},
		{"plus address", "alice+tag@example.com", "alice+tag@example.com", ""},
		{"empty", "", "", "email:required"},
		{"no at", "alice.example.com", "", "email:email_invalid"},
		{"two ats", "a@b@example.com", "", "email:email_invalid"},
		{"display name", "Alice <alice@example.com>", "", "email:email_characters"},
		{"display name without space", "Alice<alice@example.com>", "", "email:email_invalid"},
		{"comment", "alice@example.com(work)", "", "email:email_invalid"},
		{"quoted local part", `"a b"@example.com`, "", "email:email_characters"},
		{"zero-width space", "ali\u200bce@example.com", "", "email:email_characters"},
		{"control character", "alice\x01@example.com", "", "email:email_characters"},
		{"newline", "alice@example.com\nBcc: x@y.z", "", "email:email_characters"},
		{"254 bytes", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com", ""},
		{"255 bytes", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com", "", "email:email_too_long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := auth.CheckEmail(tt.in)
			if fieldCodes(errs) != tt.errs {
				t.Fatalf("errors %q, want %q", fieldCodes(errs), tt.errs)
			}
			if tt.errs == "" && got != tt.want {
				t.Errorf("normalised %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckPassword(t *testing.T) {
	rules := auth.Rules{PasswordMinLength: 8}
	tests := []struct {
		name, pw, errs string
	}{
		{"fine", "correct horse battery", ""},
		{"eight characters", "xq7!vb2z", ""},
		{"eight non-ASCII characters", "пароль-ж", ""},
		{"256 characters", strings.Repeat("xq7", 85) + "z", ""},
		{"empty", "", "password:required"},
		{"seven characters", "xq7!vb2", "password:password_too_short"},
		{"short after NFKC counts characters, not bytes", "ｘｑ７", "password:password_too_short"},
		{"257 characters", strings.Repeat("a", 257), "password:password_too_long"},
		{"common", "qwertyuiop", "password:password_common"},
		{"common in other case", "QwertyUIOP", "password:password_common"},
		{"common in full-width", "ｑｗｅｒｔｙｕｉｏｐ", "password:password_common"},
		{"equals username", "Alice_the_Great", "password:password_matches_identity"},
		{"equals email", "ALICE@example.com", "password:password_matches_identity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := rules.CheckPassword(tt.pw, "alice_the_great", "alice@example.com")
			if fieldCodes(errs) != tt.errs {
				t.Fatalf("errors %q, want %q", fieldCodes(errs), tt.errs)
			}
		})
	}
	t.Run("configured minimum", func(t *testing.T) {
		errs := auth.Rules{PasswordMinLength: 15}.CheckPassword("fourteen chars", "", "")
		if fieldCodes(errs) != "password:password_too_short" || !strings.Contains(errs[0].Message, "15") {
			t.Fatalf("got %+v, want too short naming 15", errs)
		}
	})
}

// TestHugePasswordIsRefusedWithoutWork: a 10,000-character password is
// refused by its length before normalisation, hashing or list look-up.
func TestHugePasswordIsRefusedWithoutWork(t *testing.T) {
	huge := strings.Repeat("ｘ", 10000)
	allocs := testing.AllocsPerRun(10, func() {
		if errs := (auth.Rules{}).CheckPassword(huge, "", ""); fieldCodes(errs) != "password:password_too_long" {
			t.Fatalf("got %v", errs)
		}
	})
	if allocs > 4 {
		t.Errorf("%v allocations for a refused password; want it refused before any work", allocs)
	}
}

func TestCommonPasswordList(t *testing.T) {
	if n := auth.CommonPasswordCount(); n < 10000 {
		t.Fatalf("common password list has %d entries, want at least 10,000", n)
	}
	for _, pw := range []string{"password", "123456", "iloveyou", "Dragon"} {
		if !auth.IsCommonPassword(pw) {
			t.Errorf("%q not found in the common password list", pw)
		}
	}
	if auth.IsCommonPassword("correct horse battery staple 42") {
		t.Error("an uncommon passphrase is reported as common")
	}
}

func TestPlainText(t *testing.T) {
	for _, tt := range []struct {
		s               string
		line, multiline bool
	}{
		{"plain words, é and 日本", true, true},
		{"", true, true},
		{"tab\there", false, true},
		{"lines\r\nand\nmore", false, true},
		{"nul\x00", false, false},
		{"escape\x1b[31m", false, false},
		{"delete\x7f", false, false},
		{"c1 control\u0085", false, false},
		{"latin-1 caf\xe9", false, false},
		{"cut rune \xe6\x97", false, false},
	} {
		if got := auth.PlainText(tt.s, false); got != tt.line {
			t.Errorf("PlainText(%q, false) = %v", tt.s, got)
		}
		if got := auth.PlainText(tt.s, true); got != tt.multiline {
			t.Errorf("PlainText(%q, true) = %v", tt.s, got)
		}
	}
}

func TestCleanHeader(t *testing.T) {
	for in, want := range map[string]string{
		"Mozilla/5.0 (X11)":  "Mozilla/5.0 (X11)",
		"caf\xe9/1.0":        "caf\uFFFD/1.0",
		"tab\tand\x00nul":    "tab\uFFFDand\uFFFDnul",
		"Ünïcödé is kept ok": "Ünïcödé is kept ok",
	} {
		got := auth.CleanHeader(in)
		if got != want || !auth.PlainText(got, false) {
			t.Errorf("CleanHeader(%q) = %q, want %q", in, got, want)
		}
	}
}
