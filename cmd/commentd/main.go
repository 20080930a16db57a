// Command commentd runs the comment system: the HTTP API and pages, the
// moderation worker and the projector, on an embedded NATS JetStream server
// by default or on an external cluster.
package main

import (
	"fmt"
	"os"
)

func main() {
	ctx, stop := signalContext()
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "commentd:", err)
		os.Exit(1)
	}
}
