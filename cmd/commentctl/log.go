package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
)

// natsURLFlag adds --nats-url to fs. commentd's embedded server takes
// outside clients only with --nats-listen (e.g. 127.0.0.1:4222).
func natsURLFlag(fs *flag.FlagSet) *string {
	def := os.Getenv("COMMENTD_NATS_URL")
	if def == "" {
		def = nats.DefaultURL
	}
	return fs.String("nats-url", def, "NATS servers of the commentd deployment (env COMMENTD_NATS_URL); an embedded server needs commentd --nats-listen")
}

// attach connects to NATS and opens the existing log; close releases it.
func attach(ctx context.Context, url string) (log *events.Log, close func(), err error) {
	nc, err := nats.Connect(url, nats.Name("commentctl"))
	if err != nil {
		return nil, nil, fmt.Errorf("connect to %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err == nil {
		log, err = events.Attach(ctx, js)
	}
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return log, nc.Close, nil
}
