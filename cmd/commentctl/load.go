package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/newsroom/commentd/internal/loadgen"
)

func init() {
	commands["load"] = command{
		summary: "fill the log with a synthetic history for benchmarks: N comments over M\n" +
			"articles, a few very hot, 20% replies, some held and rejected by the rules\n" +
			"(--data-dir DIR of a stopped install, or --nats-url URL)",
		run: runLoad,
	}
}

func runLoad(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var conn connection
	conn.flags(fs)
	var cfg loadgen.Config
	var days float64
	fs.IntVar(&cfg.Comments, "comments", 100_000, "comments to write")
	fs.IntVar(&cfg.Articles, "articles", 10_000, "articles they are spread over")
	fs.Float64Var(&cfg.Skew, "skew", 1.1, "Zipf exponent of the articles' shares (above 1; larger: hotter hot articles)")
	fs.Float64Var(&cfg.Replies, "replies", 0.2, "share of comments that reply to an approved one")
	fs.Float64Var(&cfg.Held, "held", 0.04, "share written to be held by the rules (a link)")
	fs.Float64Var(&cfg.Rejected, "rejected", 0.03, "share written to be rejected by the rules (obscene words)")
	fs.IntVar(&cfg.TextBytes, "text-bytes", 300, "typical text length in bytes (each varies by a third)")
	fs.IntVar(&cfg.Authors, "authors", 0, "distinct authors (default comments/20)")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed: the same seed writes the same ids and texts, so a retry within the duplicate window stores nothing twice")
	fs.Float64Var(&days, "days", 90, "days of history the comments are spread over, ending now")
	window := fs.Int("window", 4096, "publishes waiting for their ack at once")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: commentctl load [--comments N] [--articles M] [flags] [--data-dir DIR | --nats-url URL]\n\n"+
			"Writes each comment's submission and the newest rule set's decision on its text\n"+
			"(as the worker writes it) straight into the stream with the operator's credential.\n"+
			"For benchmarks and scale tests: these readers do not exist. With --data-dir (a\n"+
			"stopped install) it also acks the loaded submissions on the workers' consumer;\n"+
			"through --nats-url a running worker finds each one decided and acks it.")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	cfg.Span = time.Duration(days * float64(24*time.Hour))
	if days <= 0 {
		fmt.Fprintln(stderr, "commentctl load: --days is above 0")
		return errUsage
	}
	t, err := conn.target()
	if err != nil {
		return err
	}
	js, closeAll, err := conn.open(false)
	if err != nil {
		return err
	}
	defer closeAll()
	began := time.Now()
	r, err := loadgen.Load(ctx, js, cfg, loadgen.Options{
		Window:      *window,
		DrainWorker: t.url == "", // in-process: nothing else writes now
		Progress: func(r loadgen.Result) {
			if r.Comments%100_000 == 0 {
				fmt.Fprintf(stderr, "%d comments (%.0f events/s)\n", r.Comments, float64(r.Events)/time.Since(began).Seconds())
			}
		},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "loaded %d comments (%d events, sequences %d to %d) in %s: %.0f events/s\n",
		r.Comments, r.Events, r.FirstSeq, r.LastSeq, r.Took.Round(time.Millisecond), float64(r.Events)/r.Took.Seconds())
	fmt.Fprintf(stdout, "approved %d, held %d, rejected %d; replies %d\n", r.Approved, r.Held, r.Rejected, r.Replies)
	fmt.Fprintf(stdout, "%d articles have comments; the hottest, %s, has %d\n", r.ArticlesWithComments, r.Hottest, r.HottestComments)
	switch {
	case t.url != "":
		fmt.Fprintln(stdout, "a running worker acks the loaded submissions as it finds them decided")
	case r.DrainStopped:
		fmt.Fprintf(stdout, "acked %d loaded submissions on the workers' consumer, then met one the loader did not write: the worker decides the rest\n", r.Drained)
	default:
		fmt.Fprintf(stdout, "acked %d loaded submissions on the workers' consumer in %s\n", r.Drained, r.DrainTook.Round(time.Millisecond))
	}
	return nil
}
