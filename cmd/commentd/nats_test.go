package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/embedded"
	"github.com/newsroom/commentd/internal/natsperm"
	"github.com/newsroom/commentd/internal/natstest"
)

func runErr(args ...string) error {
	return run(context.Background(), args, func(string) string { return "" }, io.Discard, io.Discard)
}

// The embedded server's listener beyond loopback is refused without TLS,
// before anything starts.
func TestNATSListenBeyondLoopbackNeedsTLS(t *testing.T) {
	err := runErr("--data-dir", t.TempDir(), "--http-addr", "127.0.0.1:0", "--nats-listen", ":0")
	if err == nil || !strings.Contains(err.Error(), "--nats-tls-cert") {
		t.Fatalf("--nats-listen :0 without TLS: %v", err)
	}
}

// An all-in-one listening for the nats CLI: the listener takes TLS and
// credentials only, and the operator's credential is in the data dir.
func TestNATSListenWithTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := natstest.TLSFiles(t)
	listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	start(t, dir, "--nats-listen", listen, "--nats-tls-cert", cert, "--nats-tls-key", key)
	url := "nats://" + listen
	if nc, err := nats.Connect(url, nats.RootCAs(cert)); err == nil {
		nc.Close()
		t.Fatal("an anonymous client was taken")
	}
	pw, err := embedded.Password(dir, natsperm.Operator)
	if err != nil {
		t.Fatal(err)
	}
	if nc, err := nats.Connect(url, nats.UserInfo(natsperm.Operator, pw)); err == nil {
		nc.Close()
		t.Fatal("a client without TLS was taken")
	}
	nc, err := nats.Connect(url, nats.UserInfo(natsperm.Operator, pw), nats.RootCAs(cert))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.Stream(ctx, events.StreamName); err != nil {
		t.Errorf("the operator sees no stream: %v", err)
	}
}

// NATS not there at start: commentd keeps trying for
// --nats-connect-timeout, then says why it gave up.
func TestUnreachableNATSGivesUpAfterTheBound(t *testing.T) {
	began := time.Now()
	err := runErr("--http-addr", "127.0.0.1:0", "--roles", "api", "--nats-url", fmt.Sprintf("nats://127.0.0.1:%d", freePort(t)), "--nats-connect-timeout", "500ms")
	if err == nil || !strings.Contains(err.Error(), "attempts in 500ms") {
		t.Fatalf("unreachable NATS: %v", err)
	}
	if d := time.Since(began); d < 500*time.Millisecond || d > 30*time.Second {
		t.Errorf("gave up after %v", d)
	}
}

// A role's credential cannot create the stream: before setup, a role
// says what to run.
func TestRolesAttachToWhatSetupMade(t *testing.T) {
	ns := natstest.Start(t, embedded.Options{StoreDir: t.TempDir(), Identities: natsperm.Identities()})
	args := []string{"--http-addr", "127.0.0.1:0", "--roles", "worker", "--nats-url", ns.ClientURL(),
		"--nats-user", natsperm.Worker, "--nats-password", natstest.Password(t, ns, natsperm.Worker)}
	if err := runErr(args...); err == nil || !strings.Contains(err.Error(), "--roles setup") {
		t.Fatalf("a worker before setup: %v", err)
	}
	if err := runErr("--roles", "setup", "--nats-url", ns.ClientURL(), "--nats-user", natsperm.Worker, "--nats-password", natstest.Password(t, ns, natsperm.Worker)); err == nil || !strings.Contains(err.Error(), "needs the operator's credential") {
		t.Fatalf("setup with a worker's credential: %v", err)
	}
	setupNATS(t, ns.ClientURL(), natstest.Password(t, ns, natsperm.Operator))
	p := launchCommentd(t, args...)
	p.waitReady(t)
}

func TestNATSFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--nats-user", "api", "--nats-password", "x"}, "are for --nats-url"},
		{[]string{"--nats-url", "nats://h:4222", "--nats-user", "api"}, "needs its password"},
		{[]string{"--nats-url", "nats://h:4222", "--nats-creds", "f", "--nats-user", "api", "--nats-password", "x"}, "not both"},
		{[]string{"--nats-url", "nats://h:4222", "--nats-tls-cert", "c", "--nats-tls-key", "k"}, "embedded server's"},
		{[]string{"--nats-tls-cert", "c"}, "go together"},
		{[]string{"--roles", "setup,api"}, "setup runs alone"},
	} {
		_, err := parseConfig(tc.args, func(string) string { return "" }, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.args, err, tc.want)
		}
	}
	// The environment twins.
	c, err := parseConfig(nil, func(k string) string {
		return map[string]string{"COMMENTD_NATS_URL": "nats://h:4222", "COMMENTD_NATS_USER": "api", "COMMENTD_NATS_PASSWORD": "pw", "COMMENTD_NATS_CONNECT_TIMEOUT": "5s"}[k]
	}, io.Discard)
	if err != nil || c.NATS.User != "api" || c.NATS.Password != "pw" || c.NATS.ConnectTimeout != 5*time.Second {
		t.Errorf("env: %+v %v", c.NATS, err)
	}
	if _, err := parseConfig(nil, func(string) string { return "" }, io.Discard); err != nil {
		t.Errorf("no flags: %v", err)
	}
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
