// Package poll waits in tests for something that happens asynchronously
// (a projector catching up, a worker deciding), checking often instead of
// sleeping a guessed time.
package poll

import (
	"errors"
	"testing"
	"time"
)

// Until calls f until it returns nil, and fails the test with f's last
// error once within has passed.
func Until(t testing.TB, within time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", within, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// True waits until cond holds; what names it in the failure.
func True(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	Until(t, within, func() error {
		if !cond() {
			return errors.New("not " + what)
		}
		return nil
	})
}
