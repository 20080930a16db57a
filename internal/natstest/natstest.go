// Package natstest starts real in-process NATS servers for tests. Like
// commentd's, they authenticate every client: Connect signs in as the
// operator, ConnectAs as any identity the server was given.
package natstest

import (
	"net/url"
	"sync"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/internal/embedded"
)

// stores maps a server started here to its store dir, where its
// passwords are.
var stores sync.Map

// Server starts a JetStream server with storage in a temp dir, stopped at
// the end of the test.
func Server(t testing.TB) *server.Server {
	t.Helper()
	return ServerAt(t, t.TempDir())
}

// ServerAt starts a JetStream server storing in dir, so a test can stop it
// and start another on the same files.
func ServerAt(t testing.TB, dir string) *server.Server {
	t.Helper()
	return Start(t, embedded.Options{StoreDir: dir})
}

// Start starts a server with o, on a loopback port, named "test" unless
// o names it.
func Start(t testing.TB, o embedded.Options) *server.Server {
	t.Helper()
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.Name == "" {
		o.Name = "test"
	}
	ns, err := embedded.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	stores.Store(ns, o.StoreDir)
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
		stores.Delete(ns)
	})
	return ns
}

// Password is the password of identity name on ns.
func Password(t testing.TB, ns *server.Server, name string) string {
	t.Helper()
	dir, ok := stores.Load(ns)
	if !ok {
		t.Fatal("natstest: not a server of natstest")
	}
	pw, err := embedded.Password(dir.(string), name)
	if err != nil {
		t.Fatal(err)
	}
	return pw
}

// Connect returns an operator's JetStream client of ns, closed at the
// end of the test.
func Connect(t testing.TB, ns *server.Server) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := ConnectAs(t, ns, embedded.Operator)
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// ConnectAs connects to ns as identity name, with opts; the connection
// is closed at the end of the test.
func ConnectAs(t testing.TB, ns *server.Server, name string, opts ...nats.Option) (*nats.Conn, error) {
	t.Helper()
	opts = append([]nats.Option{nats.UserInfo(name, Password(t, ns, name))}, opts...)
	nc, err := nats.Connect(ns.ClientURL(), opts...)
	if err != nil {
		return nil, err
	}
	t.Cleanup(nc.Close)
	return nc, nil
}

// OperatorURL is ns's client URL with the operator's user and password in
// it, for tools that take a URL.
func OperatorURL(t testing.TB, ns *server.Server) string {
	t.Helper()
	u, err := url.Parse(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(embedded.Operator, Password(t, ns, embedded.Operator))
	return u.String()
}
