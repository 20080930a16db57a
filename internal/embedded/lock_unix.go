//go:build unix

package embedded

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// lockDir takes an exclusive lock on dir for this process: nats-server
// does not lock its store, and two servers on the same files corrupt them
// (a commentctl --data-dir beside a running commentd, say).
func lockDir(dir string) (release func(), err error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "commentd.lock"), os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	// A server of this process that just shut down frees the lock a moment
	// later: wait that long before calling the store taken.
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("embedded nats: %s is in use by another process (a running commentd?); stop it or use --nats-url", dir)
		}
	}
}
