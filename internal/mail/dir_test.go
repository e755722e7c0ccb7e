package mail

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/mail/mailtest"
)

func TestDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "mail")
	var log bytes.Buffer
	d := NewDir(dir, slog.New(slog.NewTextHandler(&log, nil)))

	first, second := letter(t, "alice@example.com"), letter(t, "bob@example.com")
	if err := d.Send(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	if err := d.Send(context.Background(), second); err != nil {
		t.Fatal(err)
	}

	info, err := os.Stat(dir)
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("the directory: %v, %v; want it made 0700", info.Mode(), err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 2 || !slices.IsSorted(names) || !strings.HasSuffix(names[0], ".eml") {
		t.Fatalf("files %q, want two .eml files", names)
	}
	for i, m := range []*Message{first, second} {
		path := filepath.Join(dir, names[i])
		if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, %v; want 0600", names[i], info.Mode(), err)
		}
		got := mailtest.ReadEML(t, path)
		if !slices.Equal(got.To, []string{m.To}) {
			t.Errorf("%s is to %v, want %s: the files are not in the order written", names[i], got.To, m.To)
		}
		checkMIME(t, m, got)
	}

	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want one per message:\n%s", len(lines), log.String())
	}
	if !strings.Contains(lines[0], filepath.Join(dir, names[0])) || !strings.Contains(lines[0], "to=alice@example.com") {
		t.Errorf("the log line does not name the file and the recipient: %s", lines[0])
	}
	if strings.Contains(log.String(), token) || strings.Contains(log.String(), "reset-password") {
		t.Errorf("the log shows the link: %s", log.String())
	}
}

func TestDirWriteFails(t *testing.T) {
	dir := t.TempDir()
	d := NewDir(dir, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.Send(ctx, letter(t, "a@example.com")); err == nil {
		t.Error("Send with a cancelled context succeeded")
	}
	if err := d.Send(context.Background(), &Message{From: "a@example.com", To: "nobody"}); err == nil {
		t.Error("Send of a message to no address succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed sends left %v", entries)
	}

	// A file where the directory should be.
	blocked := filepath.Join(dir, "file")
	os.WriteFile(blocked, nil, 0o600)
	if err := NewDir(blocked, nil).Send(context.Background(), letter(t, "a@example.com")); err == nil {
		t.Error("Send into a file succeeded")
	}
}

func TestDirNamesSortByTime(t *testing.T) {
	dir := t.TempDir()
	d := NewDir(dir, nil)
	// Written in the reverse order of their clock, the names still sort by
	// it; the same instant twice still gives two files.
	for _, at := range []time.Time{
		time.Date(2030, 1, 2, 3, 4, 5, 600, time.UTC),
		time.Date(2030, 1, 2, 3, 4, 5, 500, time.UTC),
		time.Date(2030, 1, 2, 3, 4, 5, 500, time.UTC),
		time.Date(2029, 12, 31, 23, 0, 0, 0, time.FixedZone("", 3600)),
	} {
		d.now = func() time.Time { return at }
		if _, err := d.Write(letter(t, "a@example.com")); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name()[:len("20060102T150405.000000000Z")])
	}
	want := []string{"20291231T220000.000000000Z", "20300102T030405.000000500Z", "20300102T030405.000000500Z", "20300102T030405.000000600Z"}
	if !slices.Equal(names, want) {
		t.Errorf("names start %q, want %q", names, want)
	}
}
