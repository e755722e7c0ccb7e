package userimport_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/userimport"
)

// TestImportProgress: on a terminal the progress line is rewritten in
// place and erased at the end, and erased before a problem is printed
// (problems go to another stream of the same terminal).
func TestImportProgress(t *testing.T) {
	var progress, problems bytes.Buffer
	input := userLine(t, "ann") + "\n{}\n" + userLine(t, "ben")
	_, err := userimport.Import(context.Background(), &recordingStore{}, strings.NewReader(input),
		userimport.Options{Progress: &progress, Problems: &problems, SkipInvalid: true})
	if err != nil {
		t.Fatal(err)
	}
	got := progress.String()
	if !strings.HasPrefix(got, "\rchecked 1 lines\x1b[K\r\x1b[K") || !strings.HasSuffix(got, "\r\x1b[K") {
		t.Errorf("progress output %q", got)
	}
	if strings.Contains(got, "\n") {
		t.Errorf("progress output has a line break: %q", got)
	}
	if problems.String() != "line 2: username: required\nline 2: email: required\nline 2: password_hash: required\n" {
		t.Errorf("problems %q", problems.String())
	}
}

// TestImportReadsWhatEditorsWrite: a byte order mark, CRLF line endings,
// blank lines and a last line without its ending are all fine.
func TestImportReadsWhatEditorsWrite(t *testing.T) {
	s := &recordingStore{}
	input := "\xef\xbb\xbf" + userLine(t, "ann") + "\r\n\r\n  \n" + userLine(t, "ben") + "\r\n" + userLine(t, "cat")
	sum, err := userimport.Import(context.Background(), s, strings.NewReader(input), userimport.Options{})
	if err != nil || sum != (userimport.Summary{Imported: 3}) || s.users != 3 {
		t.Fatalf("Import = %v, %v; the store got %d users", sum, err, s.users)
	}
}
