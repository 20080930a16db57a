package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/internal/embedded"
)

// connection is how a subcommand reaches the installation's JetStream:
// an external NATS, or the data dir of a stopped commentd with embedded
// NATS.
type connection struct {
	natsURL string
	dataDir string
}

// flags adds --nats-url and --data-dir, defaulting to commentd's
// environment variables, to fs.
func (c *connection) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.natsURL, "nats-url", os.Getenv("COMMENTD_NATS_URL"), "NATS servers of a running installation")
	def := os.Getenv("COMMENTD_DATA_DIR")
	if def == "" {
		def = "./data"
	}
	fs.StringVar(&c.dataDir, "data-dir", def, "data dir of a stopped installation with embedded NATS (when --nats-url is empty)")
}

// open connects, and returns a function that closes everything.
func (c *connection) open() (jetstream.JetStream, func(), error) {
	var ns *server.Server
	opts := []nats.Option{nats.Name("commentctl")}
	if c.natsURL == "" {
		var err error
		ns, err = embedded.Start(embedded.Options{StoreDir: c.dataDir, Name: "commentd"})
		if err != nil {
			return nil, nil, err
		}
		opts = append(opts, nats.InProcessServer(ns))
	}
	nc, err := nats.Connect(c.natsURL, opts...)
	if err != nil {
		if ns != nil {
			ns.Shutdown()
			ns.WaitForShutdown()
		}
		return nil, nil, fmt.Errorf("connect to NATS: %w", err)
	}
	closeAll := func() {
		nc.Drain()
		if ns != nil {
			ns.Shutdown()
			ns.WaitForShutdown()
		}
	}
	js, err := jetstream.New(nc)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	return js, closeAll, nil
}

// withTimeout bounds a subcommand's I/O.
func withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, 30*time.Second)
}
