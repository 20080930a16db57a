package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

func init() {
	commands["rebuild"] = command{
		summary: "rebuild the read models from sequence 1 and save their snapshot, which\n" +
			"commentd restores on its next start (--nats-url URL or --data-dir DIR)",
		run: runRebuild,
	}
}

// rebuilt is what a rebuild found.
type rebuilt struct {
	seq      uint64 // the last sequence applied
	events   int
	comments map[projections.Status]int
	queues   map[projections.Queue]int
}

func runRebuild(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rebuild", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var conn connection
	conn.flags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: commentctl rebuild [--nats-url URL | --data-dir DIR]")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	js, closeAll, err := conn.open(false)
	if err != nil {
		return err
	}
	defer closeAll()
	log, err := events.Attach(ctx, js)
	if err != nil {
		return err
	}
	last, err := log.LastSeq(ctx)
	if err != nil {
		return err
	}
	if last == 0 {
		fmt.Fprintln(stdout, "the log is empty: nothing to rebuild")
		return nil
	}
	snapshots, err := snapshotBucket(ctx, js, log)
	if err != nil {
		return err
	}
	before, err := readSnapshots(ctx, js)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	start := time.Now()
	r, err := rebuild(ctx, log, snapshots, logger)
	if err != nil {
		return err
	}
	took := time.Since(start)

	// The projector only logs a failed save; reading the snapshot back is
	// how we know it is there: one saved since we started (every save has
	// a new NUID), loadable, at our sequence or later.
	old := map[string]bool{}
	for _, s := range before {
		old[s.nuid] = true
	}
	saved, err := readSnapshots(ctx, js)
	if err != nil {
		return err
	}
	ok := false
	for _, s := range saved {
		ok = ok || !old[s.nuid] && s.Error == "" && s.Seq >= r.seq
	}
	if !ok {
		return fmt.Errorf("rebuilt to sequence %d, but no snapshot of it is in %s (see the log above)", r.seq, projections.SnapshotBucket)
	}

	c := r.comments
	fmt.Fprintf(stdout, "rebuilt the read models from sequence 1 to %d: %d events in %s\n", r.seq, r.events, took.Round(time.Millisecond))
	fmt.Fprintf(stdout, "comments: %d (approved %d, held %d, rejected %d, pending %d)\n",
		c[projections.Approved]+c[projections.Held]+c[projections.Rejected]+c[projections.Pending],
		c[projections.Approved], c[projections.Held], c[projections.Rejected], c[projections.Pending])
	fmt.Fprintf(stdout, "moderation queues: held %d, reported %d\n", r.queues[projections.QueueHeld], r.queues[projections.QueueReported])
	fmt.Fprintf(stdout, "snapshot saved to %s; commentd restores it on its next start\n", projections.SnapshotBucket)
	return nil
}

// snapshotBucket opens the PROJECTIONS bucket without changing it, or
// creates it (with the log's replicas) when a log was restored without
// it.
func snapshotBucket(ctx context.Context, js jetstream.JetStream, log *events.Log) (jetstream.ObjectStore, error) {
	obj, err := js.ObjectStore(ctx, projections.SnapshotBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return projections.OpenSnapshots(ctx, js, log.Stream().CachedInfo().Config.Replicas)
	}
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", projections.SnapshotBucket, err)
	}
	return obj, nil
}

// rebuild runs commentd's own projector on fresh read models, ignoring
// any snapshot, until it has caught up with the log; stopping it saves
// the snapshot, exactly as a commentd shutdown does.
func rebuild(ctx context.Context, log *events.Log, snapshots jetstream.ObjectStore, logger *slog.Logger) (rebuilt, error) {
	r := rebuilt{comments: map[projections.Status]int{}}
	views := projections.NewStore()
	p := &projections.Projector{
		Log: log, Store: views, Snapshots: snapshots, Rebuild: true, Logger: logger,
		// Only the save on stop is wanted; a periodic one would write a
		// half-built snapshot.
		SaveEvery: 24 * time.Hour,
		OnChange: func(ch projections.Change) {
			r.events++
			if !ch.Changed || ch.Comment.ID == "" {
				return
			}
			if ch.Before != "" { // "" is a new comment
				r.comments[ch.Before]--
			}
			r.comments[ch.Comment.Status]++
		},
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	select {
	case <-p.CaughtUp():
	case err := <-done:
		if err == nil {
			err = ctx.Err() // Run returns nil when cancelled
		}
		return r, fmt.Errorf("rebuild: %w", err)
	}
	stop()
	if err := <-done; err != nil {
		return r, fmt.Errorf("rebuild: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return r, err
	}
	r.seq, r.queues = views.Applied(), views.QueueCounts("")
	return r, nil
}
