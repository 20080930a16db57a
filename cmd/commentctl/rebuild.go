package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

func init() {
	commands["rebuild"] = command{
		summary: "rebuild views from sequence 1 into fresh buckets while the old ones serve,\n" +
			"then switch readers to them (VIEW... or --all; needs a running projector:\n" +
			"--nats-url URL)",
		run: runRebuild,
	}
}

func runRebuild(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rebuild", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var conn connection
	conn.flags(fs)
	all := fs.Bool("all", false, "rebuild every view that can be rebuilt (projections.RebuildableViews)")
	grace := fs.Duration("grace", 30*time.Second, "how long the old buckets keep their keys after the switch, for reads in flight, before they are emptied")
	compare := fs.Bool("compare", true, "after the switch, replay the stream with a bare ordered consumer and print its events/s beside the rebuild's")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: commentctl rebuild [--all | VIEW...] [--grace 30s] --nats-url URL\n\n"+
			"The projector rebuilds each view into its spare bucket (VIEW_STATUS <-> VIEW_STATUS_B)\n"+
			"from sequence 1 while the old bucket keeps serving, switches to it once caught up,\n"+
			"and points the catalog (bucket VIEWS) there; readers follow. The old bucket is\n"+
			"emptied --grace after the switch and is the view's spare from then on.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *all == (fs.NArg() > 0) {
		fs.Usage()
		return errUsage
	}
	t, err := conn.target()
	if err != nil {
		return err
	}
	if t.url == "" {
		return errors.New("a rebuild is performed by the running projector: start commentd, then run commentctl rebuild with --nats-url (and --data-dir for a single install's operator credential)")
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
	catalog, err := projections.AttachCatalog(ctx, js)
	if err != nil {
		return fmt.Errorf("%w (provision: commentd --roles setup, or start the all-in-one)", err)
	}
	views := fs.Args()
	if *all {
		if views, err = knownViews(ctx, js); err != nil {
			return err
		}
	}
	for _, v := range views {
		if projections.ViewOf(v) != v || !strings.HasPrefix(v, "VIEW_") {
			return fmt.Errorf("%q is not a view (VIEW_STATUS, VIEW_ARTICLES, …)", v)
		}
		if !slices.Contains(projections.RebuildableViews, v) {
			return fmt.Errorf("%s cannot be rebuilt into a spare yet (only %s can)", v, strings.Join(projections.RebuildableViews, ", "))
		}
	}

	// The spares, made empty with the serving buckets' configuration.
	req := projections.RebuildRequest{ID: uuid.NewString(), Into: map[string]string{}, RequestedAt: time.Now().UTC()}
	for _, v := range views {
		cur, err := catalog.Current(ctx, v)
		if err != nil {
			return err
		}
		if req.Into[v], err = freshSpare(ctx, js, cur); err != nil {
			return err
		}
	}
	if _, ok := req.Into[projections.StatusBucket]; !ok {
		// The rebuild folds each comment's state as it goes, and keeps it
		// in the comment view's spare for the time of the rebuild.
		cur, err := catalog.Current(ctx, projections.StatusBucket)
		if err != nil {
			return err
		}
		if req.Scratch, err = freshSpare(ctx, js, cur); err != nil {
			return err
		}
	}
	if err := catalog.Request(ctx, req); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rebuild %s requested: %s\n", req.ID, describe(req.Into))

	prog, err := awaitRebuild(ctx, catalog, req.ID, last, stderr)
	if err != nil {
		return err
	}
	rate := float64(prog.Events) / prog.Seconds
	fmt.Fprintf(stdout, "rebuilt to sequence %d and switched: %d events in %.1fs, %.0f events/s\n", prog.Applied, prog.Events, prog.Seconds, rate)
	if *compare {
		n, took, err := rawReplay(ctx, log, prog.Applied)
		if err != nil {
			return err
		}
		raw := float64(n) / took.Seconds()
		fmt.Fprintf(stdout, "raw ordered-consumer replay of the same stream, now: %d events in %.1fs, %.0f events/s (the rebuild ran at %.2fx)\n", n, took.Seconds(), raw, rate/raw)
	}
	fmt.Fprintf(stdout, "readers follow the catalog; the old buckets are emptied in %s\n", *grace)
	select {
	case <-ctx.Done():
		return fmt.Errorf("interrupted before the old buckets were emptied (%s): purge them (nats stream purge KV_<bucket>) once readers moved", describe(prog.Old))
	case <-time.After(*grace):
	}
	old := make([]string, 0, len(prog.Old)+1)
	for _, b := range prog.Old {
		old = append(old, b)
	}
	if req.Scratch != "" {
		old = append(old, req.Scratch)
	}
	slices.Sort(old)
	// Emptied, not deleted: each stays its view's spare, which the next
	// rebuild (or a projector started with --rebuild-projections) fills.
	for _, b := range old {
		s, err := js.Stream(ctx, "KV_"+b)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			continue
		}
		if err == nil {
			err = s.Purge(ctx)
		}
		if err != nil {
			return fmt.Errorf("empty the old bucket %s: %w", b, err)
		}
	}
	fmt.Fprintf(stdout, "emptied %s (now the spares)\n", strings.Join(old, ", "))
	return nil
}

// knownViews are the views that have a bucket, under either name.
func knownViews(ctx context.Context, js jetstream.JetStream) ([]string, error) {
	seen := map[string]bool{}
	names := js.KeyValueStoreNames(ctx)
	for n := range names.Name() {
		if v := projections.ViewOf(n); slices.Contains(projections.RebuildableViews, v) {
			seen[v] = true
		}
	}
	if err := names.Error(); err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	var out []string
	for v := range seen {
		out = append(out, v)
	}
	slices.Sort(out)
	if len(out) == 0 {
		return nil, errors.New("no view buckets: provision first (commentd --roles setup)")
	}
	return out, nil
}

// freshSpare deletes what is left in the spare of the serving bucket cur
// (it serves nobody) and makes it again, empty, with cur's configuration.
func freshSpare(ctx context.Context, js jetstream.JetStream, cur string) (string, error) {
	spare := projections.SpareOf(cur)
	cfg, err := projections.BucketConfig(ctx, js, cur, spare)
	if err != nil {
		return "", fmt.Errorf("the serving bucket %s: %w", cur, err)
	}
	if err := js.DeleteKeyValue(ctx, spare); err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return "", fmt.Errorf("clear the spare %s: %w", spare, err)
	}
	_, err = js.CreateKeyValue(ctx, cfg)
	if err != nil {
		return "", fmt.Errorf("make the spare %s: %w", spare, err)
	}
	return spare, nil
}

// awaitRebuild follows the projector's progress until it answers req.
func awaitRebuild(ctx context.Context, catalog *projections.Catalog, id string, last uint64, stderr io.Writer) (projections.RebuildProgress, error) {
	asked := time.Now()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var said time.Time
	warned := false
	for {
		select {
		case <-ctx.Done():
			return projections.RebuildProgress{}, fmt.Errorf("interrupted; the projector goes on with rebuild %s (see commentctl status): %w", id, ctx.Err())
		case <-tick.C:
		}
		p, err := catalog.Progress(ctx)
		if err != nil && !errors.Is(err, events.ErrNotFound) {
			return p, err
		}
		if err != nil || p.ID != id {
			if !warned && time.Since(asked) > 15*time.Second {
				fmt.Fprintln(stderr, "no projector has taken the request yet: is one running (commentd --roles projector)? still waiting")
				warned = true
			}
			continue
		}
		switch p.State {
		case projections.RebuildSwitched:
			return p, nil
		case projections.RebuildFailed:
			return p, fmt.Errorf("the projector could not rebuild: %s (the old buckets still serve)", p.Error)
		}
		if time.Since(said) > 5*time.Second {
			said = time.Now()
			fmt.Fprintf(stderr, "rebuilding: sequence %d of %d, %.0f events/s\n", p.Applied, last, float64(p.Events)/max(p.Seconds, 0.001))
		}
	}
}

// rawReplay reads the stream from sequence 1 to upTo with an ordered
// consumer and does nothing with the events: the reference a rebuild is
// compared with.
func rawReplay(ctx context.Context, log *events.Log, upTo uint64) (int, time.Duration, error) {
	cons, err := log.Stream().OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return 0, 0, err
	}
	began := time.Now()
	it, err := cons.Messages(jetstream.PullMaxMessages(4096))
	if err != nil {
		return 0, 0, err
	}
	defer it.Stop()
	n := 0
	for {
		msg, err := it.Next()
		if err != nil {
			return n, time.Since(began), err
		}
		n++
		meta, err := msg.Metadata()
		if err != nil {
			return n, time.Since(began), err
		}
		if meta.Sequence.Stream >= upTo {
			return n, time.Since(began), nil
		}
	}
}

func describe(m map[string]string) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+" into "+v)
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}
