package natstest

import (
	"net/url"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/newsroom/commentd/internal/poll"
)

// A server that knows the cluster's address but not its route password
// does not join: it would otherwise see every message and take part in
// JetStream's elections. The same server with the password does join,
// which shows the refusal is the password's doing.
func TestRoutesNeedThePassword(t *testing.T) {
	c := NewCluster(t, 2)
	before := c.Servers[0].NumRoutes()

	join := func(password string) *server.Server {
		t.Helper()
		s, err := server.NewServer(&server.Options{
			ServerName: "intruder-" + password, Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true,
			Cluster: server.ClusterOpts{Name: c.name, Host: "127.0.0.1", Port: server.RANDOM_PORT, Username: RouteUser, Password: password},
			Routes:  []*url.URL{c.RouteURL(0, password)},
		})
		if err != nil {
			t.Fatal(err)
		}
		s.Start()
		t.Cleanup(s.Shutdown)
		if !s.ReadyForConnections(10 * time.Second) {
			t.Fatal("server not ready")
		}
		return s
	}

	wrong := join("not-the-password")
	// Refused routes are retried; give them time to have been tried.
	time.Sleep(2 * time.Second)
	if n := wrong.NumRoutes(); n != 0 {
		t.Fatalf("a server with the wrong route password has %d routes", n)
	}
	if n := c.Servers[0].NumRoutes(); n != before {
		t.Fatalf("node 0 has %d routes after the refused server tried, %d before", n, before)
	}

	right := join(c.routePassword)
	poll.True(t, 10*time.Second, "the server with the route password has a route", func() bool { return right.NumRoutes() > 0 })
}
