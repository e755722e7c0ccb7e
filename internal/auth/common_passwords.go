package auth

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"slices"
	"strings"
	"sync"
)

// commonPasswordsGz is the zxcvbn password list (MIT; see
// internal/auth/gencommon for its source), lower-cased, NFKC-normalised,
// sorted and gzipped at build time by `make`. It is generated, not
// committed: the list comes from the npm registry through package.json.
//
//go:embed common_passwords.txt.gz
var commonPasswordsGz []byte

var commonPasswords = sync.OnceValue(func() []string {
	zr, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
	if err != nil {
		panic("auth: embedded common password list is corrupt: " + err.Error())
	}
	list := make([]string, 0, 50000)
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		list = append(list, sc.Text())
	}
	if err := sc.Err(); err != nil {
		panic("auth: embedded common password list is corrupt: " + err.Error())
	}
	if !slices.IsSorted(list) {
		panic("auth: embedded common password list is not sorted")
	}
	return list
})

// CommonPasswordCount is the number of entries in the embedded list.
func CommonPasswordCount() int { return len(commonPasswords()) }

// IsCommonPassword reports whether pw (already NFKC-normalised) is on the
// embedded list of common passwords, compared case-insensitively: "Password1"
// is no better than "password1".
func IsCommonPassword(pw string) bool {
	_, found := slices.BinarySearch(commonPasswords(), strings.ToLower(pw))
	return found
}
