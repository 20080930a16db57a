// Package embedded runs a NATS server with JetStream inside the process, the
// default so that one command runs the whole system, and in tests.
package embedded

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Options configure an embedded server.
type Options struct {
	// StoreDir holds the JetStream files.
	StoreDir string
	// Listen is host:port for outside clients such as the nats CLI; empty
	// keeps the server private to this process.
	Listen string
	// Name is the server's name, stable across restarts of one data dir.
	Name string
}

// Start runs a server and waits until it accepts connections.
func Start(o Options) (*server.Server, error) {
	opts := &server.Options{
		ServerName:         o.Name,
		JetStream:          true,
		StoreDir:           filepath.Clean(o.StoreDir),
		NoSigs:             true,
		NoLog:              true,
		DontListen:         o.Listen == "",
		Host:               "127.0.0.1",
		Port:               server.RANDOM_PORT,
		MaxPayload:         1 << 20,
		JetStreamMaxMemory: 256 << 20,
	}
	if o.Listen != "" {
		host, port, err := splitHostPort(o.Listen)
		if err != nil {
			return nil, err
		}
		opts.Host, opts.Port = host, port
	}
	release, err := lockDir(opts.StoreDir)
	if err != nil {
		return nil, err
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		release()
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	ns.Start()
	go func() { // the store is free again once the server is down
		ns.WaitForShutdown()
		release()
	}()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("embedded nats: not ready after 30s")
	}
	return ns, nil
}

func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("embedded nats: listen address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("embedded nats: listen address %q: bad port", addr)
	}
	if host == "" {
		host = "0.0.0.0"
	}
	if port == 0 {
		port = server.RANDOM_PORT // nats-server reads 0 as its default, 4222
	}
	return host, port, nil
}
