package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newsroom/commentd/internal/poll"
)

// child is commentd running as a separate process (this test binary, see
// TestMain), so that it can be killed with SIGKILL.
type child struct {
	cmd *exec.Cmd
	url string
}

func startChild(t *testing.T, dataDir string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "COMMENTD_TEST_CHILD_ARGS=--http-addr 127.0.0.1:0 --nats-monitor 127.0.0.1:0 --data-dir "+dataDir+
		" --log-level warn --rate-limit-per-ip 0 --rate-limit-per-author 0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd}
	t.Cleanup(func() {
		c.cmd.Process.Kill()
		c.cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
			c.url = m[1]
			break
		}
	}
	if c.url == "" {
		t.Fatal("child commentd did not start")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	waitReady(t, c.url)
	return c
}

// TestCrashLosesNothingAccepted kills commentd with SIGKILL while clients
// post, restarts it on the same data, and checks that every comment that
// got a 202 reaches a final status, and is listed exactly once if approved.
func TestCrashLosesNothingAccepted(t *testing.T) {
	dir := t.TempDir()
	c := startChild(t, dir)

	var mu sync.Mutex
	var accepted []string
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				code, id, err := postComment(c.url, "crash", fmt.Sprintf("Reader %d-%d", w, i), fmt.Sprintf("Comment %d from writer %d.", i, w))
				if err != nil {
					continue // the process died under us: not accepted
				}
				if code == 202 && id != "" {
					mu.Lock()
					accepted = append(accepted, id)
					mu.Unlock()
				}
			}
		})
	}
	poll.True(t, 60*time.Second, "300 comments accepted", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(accepted) >= 300
	})
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	c.cmd.Wait()
	stop.Store(true)
	wg.Wait()
	t.Logf("%d comments accepted before SIGKILL", len(accepted))

	c = startChild(t, dir)
	waitFinal(t, c.url, accepted...)
	approved := 0
	for _, id := range accepted {
		if status(c.url, id) == "approved" {
			approved++
		}
	}
	// Each view has its own watcher: the article's view catches up with
	// the status view a moment later.
	var got listed
	poll.True(t, 10*time.Second, "every approved comment listed", func() bool {
		got = list(t, c.url, "crash")
		return got.Total >= approved
	})
	count := map[string]int{}
	for _, cm := range got.Comments {
		count[cm.ID]++
		if count[cm.ID] > 1 {
			t.Errorf("comment %s listed twice", cm.ID)
		}
		if !strings.HasPrefix(cm.Text, "Comment ") {
			t.Errorf("unexpected text %q", cm.Text)
		}
	}
	for _, id := range accepted {
		want := 0
		if status(c.url, id) == "approved" {
			want = 1
		}
		if count[id] != want {
			t.Errorf("accepted comment %s is listed %d times (status %s)", id, count[id], status(c.url, id))
		}
	}
	if approved < len(accepted)/2 {
		t.Errorf("only %d of %d clean comments approved", approved, len(accepted))
	}
	if got.Total != len(got.Comments) {
		t.Errorf("total %d but %d listed", got.Total, len(got.Comments))
	}
}
