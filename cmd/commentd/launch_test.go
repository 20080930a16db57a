package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsroom/commentd/internal/poll"
)

// process is one commentd run() in the test, as a separate process would
// be: its own flags, NATS connection, registry and HTTP port.
type process struct {
	URL    string // http://127.0.0.1:port
	cancel context.CancelFunc
	done   chan error
	logs   *lockedBuffer
}

// launchCommentd runs commentd with args on 127.0.0.1:0 and waits until
// it serves HTTP. It is stopped, and must stop cleanly, at the end of the
// test.
func launchCommentd(t testing.TB, args ...string) *process {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &urlWriter{found: make(chan string, 1)}
	p := &process{cancel: cancel, done: make(chan error, 1), logs: &lockedBuffer{}}
	args = append([]string{"--http-addr", "127.0.0.1:0", "--nats-monitor", "127.0.0.1:0", "--log-level", "warn", "--shutdown-timeout", "10s"}, args...)
	go func() {
		p.done <- run(ctx, args, func(string) string { return "" }, out, p.logs)
	}()
	select {
	case p.URL = <-out.found:
	case err := <-p.done:
		cancel()
		t.Fatalf("commentd %v exited before serving: %v\n%s", args, err, p.logs)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatalf("commentd %v did not start\n%s", args, p.logs)
	}
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop shuts the process down gracefully; a second call does nothing.
func (p *process) stop(t testing.TB) {
	t.Helper()
	if p.done == nil {
		return
	}
	p.cancel()
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("commentd at %s: %v\n%s", p.URL, err, p.logs)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("commentd at %s did not stop\n%s", p.URL, p.logs)
	}
	// A role refused something it needs fails quietly in places (an
	// ordered consumer's clean-up): the log says so.
	if strings.Contains(strings.ToLower(p.logs.String()), "permissions violation") {
		t.Errorf("commentd at %s was refused something by NATS:\n%s", p.URL, p.logs)
	}
	p.done = nil
}

// waitReady polls /readyz until it answers 200.
func (p *process) waitReady(t testing.TB) {
	t.Helper()
	poll.Until(t, 30*time.Second, func() error {
		resp, err := http.Get(p.URL + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return errors.New(resp.Status)
		}
		return nil
	})
}

var servingURL = regexp.MustCompile(`http://[^/\s]+`)

// urlWriter is run's stdout: it hands over the first URL printed.
type urlWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	found chan string
	sent  bool
}

func (w *urlWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(b)
	if u := servingURL.FindString(w.buf.String()); u != "" && !w.sent {
		w.sent = true
		w.found <- u
	}
	return len(b), nil
}

// lockedBuffer collects a process's logs for failure messages.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var _ io.Writer = (*lockedBuffer)(nil)

// setupNATS provisions the stream and buckets on url as the operator, as
// commentd --roles setup does before a cluster's roles start.
func setupNATS(t testing.TB, url, operatorPassword string, args ...string) {
	t.Helper()
	args = append([]string{"--roles", "setup", "--nats-url", url, "--nats-user", "operator", "--nats-password", operatorPassword}, args...)
	var out, logs bytes.Buffer
	if err := run(context.Background(), args, func(string) string { return "" }, &out, &logs); err != nil {
		t.Fatalf("setup: %v\n%s", err, logs.String())
	}
}
