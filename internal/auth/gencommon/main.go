// Command gencommon turns a published list of common passwords into the
// compact form package auth embeds: one entry a line, NFKC-normalised,
// lower-cased, deduplicated, sorted, gzipped.
//
// The source is the "passwords" list of zxcvbn as published on the npm
// registry in @zxcvbn-ts/language-common (src/passwords.json: the most
// frequent passwords of the Xato 10-million-password corpus, as compiled by
// Dan Wheeler / Dropbox), under the MIT licence. `make` installs that
// package from package.json and its lock file and runs:
//
//	go run ./internal/auth/gencommon node_modules/@zxcvbn-ts/language-common/src/passwords.json internal/auth/common_passwords.txt.gz
package main

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gencommon passwords.json out.txt.gz")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "gencommon:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var list []string
	if err := json.Unmarshal(data, &list); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	for i, p := range list {
		list[i] = strings.ToLower(norm.NFKC.String(p))
	}
	slices.Sort(list)
	list = slices.Compact(list)
	if len(list) < 10000 {
		return fmt.Errorf("%s: only %d entries; expected at least 10,000", in, len(list))
	}
	f, err := os.Create(out + ".tmp")
	if err != nil {
		return err
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	for _, p := range list {
		if strings.ContainsAny(p, "\r\n") {
			continue
		}
		fmt.Fprintln(zw, p)
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(out+".tmp", out)
}
