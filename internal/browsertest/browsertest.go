// Package browsertest starts a real, headless Chromium for tests that
// must see pages as a person does: scripts running, forms submitting,
// focus moving. It drives Debian's Chromium over the DevTools protocol
// with chromedp, so no Node and no downloaded browser are involved.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// executable finds a Chromium or Chrome binary: Debian's package (the one
// CI installs) by its path first, so a PATH without /usr/bin still finds
// it, then the names other systems use.
func executable() string {
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// New returns a browser tab's context, bounded in time and closed when the
// test ends. Without a Chromium on the machine the test is skipped, with a
// message saying what to install; CI installs it.
func New(t testing.TB) context.Context {
	t.Helper()
	exe := executable()
	if exe == "" {
		t.Skip("no Chromium found: install Debian's chromium package (.ci/run does)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		// This machine's network is closed: without these, Chromium keeps
		// trying (and failing) to reach Google's services.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	// The first action starts the browser, which lives as long as that
	// action's context: start it on the tab itself, then bound the test.
	if err := chromedp.Do(tab); err != nil {
		cancelTab()
		cancelAlloc()
		t.Fatalf("start Chromium: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(tab, 2*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	return ctx
}

// ScreenshotsEnv, set to 1, makes Screenshot write where it is told (the
// README's pictures in docs/screenshots: `make screenshots`). Otherwise a
// test run would rewrite tracked files every time, so the pictures go to
// a directory under the system's temporary one, for looking at a failure.
const ScreenshotsEnv = "LATCHKEY_SCREENSHOTS"

// Screenshot saves the whole page as a PNG at path (directories created),
// or under the temporary directory unless ScreenshotsEnv is set.
func Screenshot(t testing.TB, ctx context.Context, path string) {
	t.Helper()
	if os.Getenv(ScreenshotsEnv) != "1" {
		path = filepath.Join(os.TempDir(), "latchkey-screenshots", filepath.Base(path))
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG, lossless
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}
