// Package browsertest starts Debian's headless Chromium for browser tests,
// with the flags it needs as root on a machine without a network.
package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/newsroom/commentd/internal/testci"
)

// ChromiumPath is Debian's chromium, which .ci/run installs.
const ChromiumPath = "/usr/bin/chromium"

// Allocator prepares a browser for the test and returns the context that
// tabs (Tab) are opened from. Without a browser the test
// is skipped, or fails in CI.
func Allocator(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		testci.Missing(t, "a browser at "+ChromiumPath, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(ChromiumPath),
		chromedp.NoSandbox, // root in a container
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		// Without these Chromium tries the network at every start, which
		// this machine refuses.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), append(opts, extra...)...)
	t.Cleanup(cancel)
	return actx
}

// Tab opens a tab, closed at the end of the (sub)test. It starts the
// browser with a first action that carries no time limit: the browser
// lives as long as the context of its first action.
func Tab(t testing.TB, actx context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// Run runs one browser action within 30 seconds and fails the test on an
// error.
//
// An action that Chromium refuses with "Cannot find context with
// specified id" is run again: chromedp names the page's JavaScript
// context by the id it last heard of, and a context the page replaced a
// moment before (a reload, a document that opened a new world) is gone by
// the time the call arrives. The call never ran, so running it again is
// safe, even for an action with effects. So is one refused with "Could
// not find node with given id" or "No node with given id found": the page
// replaced the node (a reload, a navigation) between the query and the
// action, which never happened.
func Run[T any](t testing.TB, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		v, err := chromedp.Run(ctx, a)
		if err != nil && staleContext(err) && ctx.Err() == nil {
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond): // the context events catch up
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

func staleContext(err error) bool {
	return strings.Contains(err.Error(), "Cannot find context with specified id") ||
		strings.Contains(err.Error(), "Could not find node with given id") ||
		strings.Contains(err.Error(), "No node with given id found")
}

// Screenshot writes png to $COMMENTD_SCREENSHOTS/name.png when that
// variable names a directory (how docs/img is made:
// COMMENTD_SCREENSHOTS=$PWD/docs/img go test ./web ./cmd/commentd -run Browser|UI).
func Screenshot(t testing.TB, name string, png []byte) {
	t.Helper()
	dir := os.Getenv("COMMENTD_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Errorf("screenshot %s: %v", name, err)
	}
}

// Shots reports whether screenshots are wanted.
func Shots() bool { return os.Getenv("COMMENTD_SCREENSHOTS") != "" }
