// Package testci holds the one rule for tests that need something from
// outside the repository (a browser, the shared test data): skip on a
// developer's machine without it, fail in CI, where it is always provided
// and a skip would hide every such test.
package testci

import (
	"os"
	"testing"
)

// Missing stops the test because what it needs is missing: a failure in CI
// (CI set, as .ci/run and CI runners do), a skip elsewhere.
func Missing(t testing.TB, what string, err error) {
	t.Helper()
	if ci := os.Getenv("CI"); ci != "" && ci != "false" {
		t.Fatalf("CI provides %s, but: %v", what, err)
	}
	t.Skipf("no %s: %v", what, err)
}
