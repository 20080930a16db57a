package poll

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// recorder stands for the test poll runs in, to see it fail.
type recorder struct {
	testing.TB
	failed string
}

type stop struct{}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	panic(stop{}) // like t.Fatalf, end the caller
}

func run(f func(t testing.TB)) (failed string) {
	r := &recorder{TB: nil}
	defer func() {
		if v := recover(); v != nil && v != (stop{}) {
			panic(v)
		}
		failed = r.failed
	}()
	f(r)
	return ""
}

func TestUntilReturnsOnceItHolds(t *testing.T) {
	n := 0
	if failed := run(func(t testing.TB) {
		Until(t, 5*time.Second, func() error {
			if n++; n < 3 {
				return errors.New("not yet")
			}
			return nil
		})
	}); failed != "" || n != 3 {
		t.Fatalf("failed %q after %d calls", failed, n)
	}
}

func TestUntilFailsWithTheLastReason(t *testing.T) {
	n := 0
	failed := run(func(t testing.TB) {
		Until(t, 20*time.Millisecond, func() error { n++; return fmt.Errorf("attempt %d", n) })
	})
	if !strings.Contains(failed, fmt.Sprintf("attempt %d", n)) || n < 2 {
		t.Fatalf("failed %q after %d calls", failed, n)
	}
	if failed := run(func(t testing.TB) { True(t, 10*time.Millisecond, "ready", func() bool { return false }) }); !strings.Contains(failed, "not ready") {
		t.Fatalf("True failed with %q", failed)
	}
}
