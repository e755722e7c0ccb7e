package mail

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// Dir "delivers" messages by writing each as an .eml file into a
// directory: the transport when no SMTP server is configured, so that
// `make run` works without one and a developer opens the mail in any mail
// client. The files hold one-time links, so the directory is private to
// the server's user.
type Dir struct {
	dir string
	log *slog.Logger
	now func() time.Time
}

// NewDir returns a transport writing into dir, which is created (0700)
// when the first message is written. Each message is logged with the file
// and the recipient, never its content. A nil log logs nothing.
func NewDir(dir string, log *slog.Logger) *Dir {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Dir{dir: dir, log: log, now: time.Now}
}

// Send writes m as a file; see Write.
func (d *Dir) Send(ctx context.Context, m *Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := d.Write(m)
	return err
}

// Write writes m as a new .eml file (0600) and returns its path, for
// `latchkey mail test` to print. The file's bytes are what an SMTP server
// would receive. The name starts with the time in UTC, to the nanosecond,
// so that a listing sorts the mail in the order it was written, and ends
// with a random part, so that no two names collide. The file appears
// complete or not at all: it is written under a temporary name and renamed.
func (d *Dir) Write(m *Message) (string, error) {
	now := d.now().UTC()
	msg, err := m.build(now)
	if err != nil {
		return "", fmt.Errorf("write mail: %w", err)
	}
	if err := os.MkdirAll(d.dir, 0o700); err != nil {
		return "", fmt.Errorf("write mail: %w", err)
	}
	name := now.Format("20060102T150405.000000000Z") + "-" + rand.Text()[:8] + ".eml"
	path := filepath.Join(d.dir, name)
	tmp, err := os.CreateTemp(d.dir, ".writing-*")
	if err != nil {
		return "", fmt.Errorf("write mail: %w", err)
	}
	// CreateTemp makes the file 0600 already; said again, as it matters.
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = msg.WriteTo(tmp)
	}
	if err == nil {
		err = tmp.Sync()
	}
	err = errors.Join(err, tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("write mail: %w", err)
	}
	d.log.Info("mail written to a file", "file", path, "to", m.To)
	return path, nil
}
