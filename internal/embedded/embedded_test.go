package embedded

import (
	"strings"
	"testing"
)

// Two servers on one store would corrupt it: the second is refused, and
// the store is free again once the first is down.
func TestOneServerPerStore(t *testing.T) {
	dir := t.TempDir()
	first, err := Start(Options{StoreDir: dir, Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Start(Options{StoreDir: dir, Name: "b"}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second server on the same store: %v", err)
	}
	first.Shutdown()
	first.WaitForShutdown()
	again, err := Start(Options{StoreDir: dir, Name: "c"})
	if err != nil {
		t.Fatalf("store not released: %v", err)
	}
	again.Shutdown()
}
