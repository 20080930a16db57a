package embedded_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/newsroom/commentd/internal/embedded"
	"github.com/newsroom/commentd/internal/natstest"
)

// A listener beyond loopback would take clients from anywhere: without
// TLS it is refused at start, with a message that says what to give.
func TestListenBeyondLoopbackNeedsTLS(t *testing.T) {
	for _, addr := range []string{":0", "0.0.0.0:0", "[::]:0", "192.0.2.1:0", "example.com:0"} {
		_, err := embedded.Start(embedded.Options{StoreDir: t.TempDir(), Listen: addr})
		if err == nil || !strings.Contains(err.Error(), "--nats-tls-cert") {
			t.Errorf("listen %s without TLS: %v", addr, err)
		}
	}
	cert, key := natstest.TLSFiles(t)
	if _, err := embedded.Start(embedded.Options{StoreDir: t.TempDir(), Listen: "0.0.0.0:0", TLSCert: cert}); err == nil {
		t.Error("a certificate without its key was taken")
	}
	ns, err := embedded.Start(embedded.Options{StoreDir: t.TempDir(), Listen: "0.0.0.0:0", TLSCert: cert, TLSKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
}

// With TLS, a client must use it and sign in; the in-process connection
// needs neither TLS nor a network.
func TestTLSListener(t *testing.T) {
	dir := t.TempDir()
	cert, key := natstest.TLSFiles(t)
	ns, err := embedded.Start(embedded.Options{StoreDir: dir, Listen: "127.0.0.1:0", TLSCert: cert, TLSKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	pw, err := embedded.Password(dir, embedded.Operator)
	if err != nil {
		t.Fatal(err)
	}
	url := ns.ClientURL()
	if nc, err := nats.Connect(url, nats.UserInfo(embedded.Operator, pw)); err == nil {
		nc.Close()
		t.Error("a client without TLS was taken")
	}
	nc, err := nats.Connect(url, nats.UserInfo(embedded.Operator, pw), nats.RootCAs(cert))
	if err != nil {
		t.Fatalf("TLS client: %v", err)
	}
	if !nc.TLSRequired() {
		t.Error("the connection is not TLS")
	}
	nc.Close()
	if nc, err := nats.Connect(url, nats.RootCAs(cert)); err == nil {
		nc.Close()
		t.Error("an anonymous TLS client was taken")
	}
	nc, err = nats.Connect("", nats.InProcessServer(ns), nats.UserInfo(embedded.Operator, pw))
	if err != nil {
		t.Fatalf("in-process: %v", err)
	}
	nc.Close()
}

// Passwords are made once, readable by their owner only, and the same
// on the next start.
func TestCredentialsKept(t *testing.T) {
	dir := t.TempDir()
	ns, err := embedded.Start(embedded.Options{StoreDir: dir, Identities: map[string]*server.Permissions{"api": {}}})
	if err != nil {
		t.Fatal(err)
	}
	ns.Shutdown()
	ns.WaitForShutdown()
	var first []string
	for _, name := range []string{embedded.Operator, "api"} {
		fi, err := os.Stat(filepath.Join(embedded.CredentialsDir(dir), name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("credential %s: %v %v", name, fi.Mode(), err)
		}
		pw, _ := embedded.Password(dir, name)
		first = append(first, pw)
	}
	if fi, err := os.Stat(embedded.CredentialsDir(dir)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("credentials dir: %v %v", fi.Mode(), err)
	}
	if first[0] == first[1] || len(first[0]) < 32 {
		t.Errorf("passwords %q", first)
	}
	ns, err = embedded.Start(embedded.Options{StoreDir: dir, Identities: map[string]*server.Permissions{"api": {}}})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	if pw, _ := embedded.Password(dir, embedded.Operator); pw != first[0] {
		t.Error("the operator's password changed across a restart")
	}
}
