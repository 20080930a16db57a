package natsconn_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/newsroom/commentd/internal/embedded"
	"github.com/newsroom/commentd/internal/natsconn"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/internal/poll"
)

// A process started before its NATS server waits for it, within the
// bound, and says so in its log.
func TestFirstConnectionIsRetried(t *testing.T) {
	port := freePort(t)
	dir := t.TempDir()
	pw := operatorPassword(t, dir)
	logs := &syncBuffer{}
	type result struct {
		nc  *nats.Conn
		err error
	}
	got := make(chan result, 1)
	go func() {
		nc, _, err := natsconn.Dial(context.Background(), natsconn.Config{
			Name: "test", URL: fmt.Sprintf("nats://127.0.0.1:%d", port), User: embedded.Operator, Password: pw,
			ConnectTimeout: time.Minute, Logger: slog.New(slog.NewTextHandler(logs, nil)),
		})
		got <- result{nc, err}
	}()
	// The server comes up once the first attempt has failed.
	poll.True(t, 30*time.Second, "retrying in the log", func() bool { return strings.Contains(logs.String(), "retrying") })
	natstest.Start(t, embedded.Options{StoreDir: dir, Listen: fmt.Sprintf("127.0.0.1:%d", port)})
	r := <-got
	if r.err != nil {
		t.Fatalf("dial: %v\n%s", r.err, logs)
	}
	r.nc.Close()
	if !strings.Contains(logs.String(), "nats connected") {
		t.Errorf("log:\n%s", logs)
	}
}

// Nobody there: Dial gives up after its bound (with a wide margin for a
// busy machine), naming how long it tried.
func TestFirstConnectionGivesUp(t *testing.T) {
	start := time.Now()
	_, _, err := natsconn.Dial(context.Background(), natsconn.Config{
		Name: "test", URL: fmt.Sprintf("nats://127.0.0.1:%d", freePort(t)), ConnectTimeout: 300 * time.Millisecond,
	})
	if err == nil || !strings.Contains(err.Error(), "attempts in 300ms") {
		t.Fatalf("dial nobody: %v", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("gave up after %v", d)
	}
	// ctx ends the wait too.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = natsconn.Dial(ctx, natsconn.Config{URL: fmt.Sprintf("nats://127.0.0.1:%d", freePort(t)), ConnectTimeout: time.Hour})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("dial with ctx done: %v", err)
	}
}

// A refused credential is not retried: waiting would not change it.
func TestWrongCredentialIsNotRetried(t *testing.T) {
	ns := natstest.Server(t)
	_, _, err := natsconn.Dial(context.Background(), natsconn.Config{
		URL: ns.ClientURL(), User: embedded.Operator, Password: "wrong", ConnectTimeout: time.Hour,
	})
	if !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("dial with a wrong password: %v", err)
	}
}

// Disconnects and reconnects are logged; the connection comes back by
// itself.
func TestDisconnectAndReconnectAreLogged(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	listen := fmt.Sprintf("127.0.0.1:%d", port)
	ns, err := embedded.Start(embedded.Options{StoreDir: dir, Listen: listen})
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := embedded.Password(dir, embedded.Operator)
	logs := &syncBuffer{}
	nc, closed, err := natsconn.Dial(context.Background(), natsconn.Config{
		Name: "test", URL: ns.ClientURL(), User: embedded.Operator, Password: pw, ConnectTimeout: time.Second,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ns.Shutdown()
	ns.WaitForShutdown()
	poll.True(t, 30*time.Second, "nats disconnected in the log", func() bool { return strings.Contains(logs.String(), "nats disconnected") })
	natstest.Start(t, embedded.Options{StoreDir: dir, Listen: listen})
	poll.True(t, 30*time.Second, "nats reconnected in the log", func() bool { return strings.Contains(logs.String(), "nats reconnected") })
	nc.Close()
	<-closed
}

func operatorPassword(t *testing.T, dir string) string {
	t.Helper()
	ns, err := embedded.Start(embedded.Options{StoreDir: dir}) // makes the credentials
	if err != nil {
		t.Fatal(err)
	}
	ns.Shutdown()
	ns.WaitForShutdown()
	pw, err := embedded.Password(dir, embedded.Operator)
	if err != nil {
		t.Fatal(err)
	}
	return pw
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
