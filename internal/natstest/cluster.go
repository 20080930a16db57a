package natstest

import (
	"crypto/rand"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/newsroom/commentd/internal/embedded"
	"github.com/newsroom/commentd/internal/poll"
)

// Cluster is a JetStream cluster of in-process servers on loopback, each
// with its own store directory, for tests that lose and restart nodes.
// Its clients sign in as the operator or as one of the identities it was
// started with (Password); anonymous clients are refused, and so is a
// server that routes to the cluster without its route password.
type Cluster struct {
	t     testing.TB
	name  string
	dirs  []string
	users []*server.User
	// routePassword is what the nodes' routes sign in with (user
	// RouteUser), as the compose file's do.
	routePassword string
	// ports[i] are node i's client and route ports, kept across restarts.
	ports [][2]int
	// monitorPorts[i] is node i's monitoring (HTTP) port, kept across
	// restarts: what prometheus-nats-exporter and commentctl status read.
	monitorPorts []int
	Servers      []*server.Server // nil while a node is down
}

// NewCluster starts n clustered JetStream servers that know the operator
// (Password(embedded.Operator)), and waits until they have elected a meta
// leader. They are shut down at the end of the test.
func NewCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	return NewClusterWith(t, n, nil)
}

// NewClusterWith is NewCluster with more identities than the operator:
// ids maps a name to its permissions.
func NewClusterWith(t testing.TB, n int, ids map[string]*server.Permissions) *Cluster {
	t.Helper()
	c := &Cluster{t: t, name: "test-cluster", Servers: make([]*server.Server, n), ports: make([][2]int, n), monitorPorts: make([]int, n), routePassword: rand.Text()}
	c.users = append(c.users, &server.User{Username: embedded.Operator, Password: rand.Text()})
	for name, perms := range ids {
		if name == embedded.Operator {
			continue
		}
		c.users = append(c.users, &server.User{Username: name, Password: rand.Text(), Permissions: perms})
	}
	root := t.TempDir()
	for i := range n {
		c.dirs = append(c.dirs, filepath.Join(root, fmt.Sprintf("n%d", i)))
	}
	// A clustered JetStream server needs its routes from the start, so
	// the route ports are picked before any node starts.
	for i, port := range freePorts(t, n) {
		c.ports[i] = [2]int{server.RANDOM_PORT, port}
		c.monitorPorts[i] = server.RANDOM_PORT
	}
	for i := range n {
		c.start(i)
	}
	t.Cleanup(func() {
		for i := range c.Servers {
			c.Stop(i)
		}
	})
	c.WaitMetaLeader()
	return c
}

func (c *Cluster) options(i, clientPort, clusterPort int) *server.Options {
	return &server.Options{
		ServerName: fmt.Sprintf("n%d", i),
		Host:       "127.0.0.1",
		Port:       clientPort,
		JetStream:  true,
		StoreDir:   c.dirs[i],
		NoLog:      true,
		NoSigs:     true,
		Cluster: server.ClusterOpts{
			Name: c.name, Host: "127.0.0.1", Port: clusterPort,
			Username: RouteUser, Password: c.routePassword,
		},
		JetStreamMaxMemory: 64 << 20,
		JetStreamMaxStore:  1 << 30,
		Users:              c.users,
		HTTPHost:           "127.0.0.1",
		HTTPPort:           c.monitorPorts[i],
	}
}

// Password is identity name's password on every node.
func (c *Cluster) Password(name string) string {
	for _, u := range c.users {
		if u.Username == name {
			return u.Password
		}
	}
	c.t.Fatalf("natstest: the cluster has no identity %q", name)
	return ""
}

func (c *Cluster) start(i int) {
	c.t.Helper()
	o := c.options(i, c.ports[i][0], c.ports[i][1])
	for j := range c.ports {
		if j != i {
			o.Routes = append(o.Routes, c.RouteURL(j, c.routePassword))
		}
	}
	s, err := server.NewServer(o)
	if err != nil {
		c.t.Fatalf("node %d: %v", i, err)
	}
	s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		c.t.Fatalf("node %d not ready", i)
	}
	// Restarts keep the ports, so clients' URL lists stay right.
	c.ports[i] = [2]int{s.Addr().(*net.TCPAddr).Port, s.ClusterAddr().Port}
	c.monitorPorts[i] = s.MonitorAddr().Port
	c.Servers[i] = s
}

// RouteUser is the user the cluster's routes sign in as.
const RouteUser = "route"

// RouteURL is node i's route URL, signed in with password.
func (c *Cluster) RouteURL(i int, password string) *url.URL {
	return &url.URL{Scheme: "nats-route", User: url.UserPassword(RouteUser, password), Host: fmt.Sprintf("127.0.0.1:%d", c.ports[i][1])}
}

// MonitorURL is node i's monitoring endpoint (/varz, /jsz, /healthz),
// http://127.0.0.1:port, the same across restarts.
func (c *Cluster) MonitorURL(i int) string {
	return fmt.Sprintf("http://127.0.0.1:%d", c.monitorPorts[i])
}

// ClientURLs is the comma-separated client URLs of every node, as
// nats.Connect and --nats-url take them.
func (c *Cluster) ClientURLs() string {
	var urls []string
	for _, p := range c.ports {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", p[0]))
	}
	return strings.Join(urls, ",")
}

// Stop shuts node i down, as a crash of its process would, keeping its
// store for Restart.
func (c *Cluster) Stop(i int) {
	if s := c.Servers[i]; s != nil {
		s.Shutdown()
		s.WaitForShutdown()
		c.Servers[i] = nil
	}
}

// Restart starts node i again on its store and ports, routed to the others.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	c.start(i)
}

// freePorts finds n loopback ports no one listens on now.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// WaitMetaLeader waits until the running nodes agree on a meta leader, are
// current with it, and the leader counts every running node as an online
// peer: before that, creating an R3 stream can fail with "no suitable
// peers for placement".
func (c *Cluster) WaitMetaLeader() {
	c.t.Helper()
	poll.True(c.t, 30*time.Second, "a JetStream meta leader that sees every running node", func() bool {
		running := 0
		var leader *server.Server
		for _, s := range c.Servers {
			if s == nil {
				continue
			}
			running++
			if !s.JetStreamIsCurrent() {
				return false
			}
			if s.JetStreamIsLeader() {
				if leader != nil {
					return false
				}
				leader = s
			}
		}
		return leader != nil && len(leader.JetStreamClusterPeers()) == running
	})
}

// StreamLeader returns the index of the node leading stream (in the
// global account), waiting for one to be elected.
func (c *Cluster) StreamLeader(stream string) int {
	c.t.Helper()
	leader := -1
	poll.True(c.t, 30*time.Second, "a leader of stream "+stream, func() bool {
		for i, s := range c.Servers {
			if s != nil && s.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
				leader = i
				return true
			}
		}
		return false
	})
	return leader
}

// WaitStreamCurrent waits until every running node has caught up with
// the stream's leader.
func (c *Cluster) WaitStreamCurrent(stream string) {
	c.t.Helper()
	poll.True(c.t, 30*time.Second, "every replica of "+stream+" current", func() bool {
		for _, s := range c.Servers {
			if s != nil && !s.JetStreamIsStreamCurrent(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
				return false
			}
		}
		return true
	})
}
