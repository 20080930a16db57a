package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/deadletter"
	"github.com/newsroom/commentd/events"
)

func init() {
	commands["dlq"] = command{
		summary: "list [--json]: the events consumers gave up on (dead letters)\n" +
			"replay SEQ: deliver dead letter SEQ's event again, then remove the letter\n" +
			"delete SEQ: remove a dead letter without delivering it again\n" +
			"(--nats-url, or COMMENTD_NATS_URL; default nats://127.0.0.1:4222)",
		run: runDLQ,
	}
}

const dlqUsage = "usage: commentctl dlq list [--json] | replay SEQ | delete SEQ  [--nats-url URL]"

func runDLQ(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, dlqUsage)
		return errUsage
	}
	sub := args[0]
	fs := flag.NewFlagSet("dlq "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, dlqUsage) }
	url := natsURLFlag(fs)
	asJSON := fs.Bool("json", false, "list: one JSON object per line")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	var seq uint64
	switch sub {
	case "list":
		if fs.NArg() != 0 {
			fs.Usage()
			return errUsage
		}
	case "replay", "delete":
		var err error
		if fs.NArg() != 1 {
			fs.Usage()
			return errUsage
		}
		if seq, err = strconv.ParseUint(fs.Arg(0), 10, 64); err != nil || seq == 0 {
			fmt.Fprintf(stderr, "commentctl dlq %s: %q is not a dead-letter sequence\n", sub, fs.Arg(0))
			return errUsage
		}
	default:
		fmt.Fprintf(stderr, "commentctl dlq: unknown subcommand %q\n", sub)
		return errUsage
	}

	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	q, closeConn, err := openDLQ(ctx, *url)
	if err != nil {
		return err
	}
	defer closeConn()

	switch sub {
	case "list":
		letters, err := q.List(ctx)
		if err != nil {
			return err
		}
		return printLetters(stdout, letters, *asJSON)
	case "replay":
		newSeq, err := q.Replay(ctx, seq)
		if errors.Is(err, events.ErrConflict) {
			return fmt.Errorf("%w\nthe comment was decided or replayed since; nothing to deliver (remove the letter with: commentctl dlq delete %d)", err, seq)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "dead letter %d: event delivered again at %s sequence %d\n", seq, events.StreamName, newSeq)
		return nil
	default: // delete
		if err := q.Delete(ctx, seq); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "dead letter %d deleted\n", seq)
		return nil
	}
}

// openDLQ connects to the cluster and opens the log and its dead letters
// without changing either stream's configuration: commentd owns that.
func openDLQ(ctx context.Context, url string) (*deadletter.Queue, func(), error) {
	nc, err := nats.Connect(url, nats.Name("commentctl"))
	if err != nil {
		return nil, nil, fmt.Errorf("connect to %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	q, err := deadletter.Attach(ctx, js)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return q, nc.Close, nil
}

func printLetters(w io.Writer, letters []deadletter.Letter, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		for _, l := range letters {
			if err := enc.Encode(l); err != nil {
				return err
			}
		}
		return nil
	}
	if len(letters) == 0 {
		fmt.Fprintln(w, "no dead letters")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tAT\tKIND\tCONSUMER\tSTREAM SEQ\tDELIVERIES\tREASON\tSUBJECT")
	for _, l := range letters {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", l.Seq, l.At.UTC().Format(time.RFC3339), l.Kind, l.Consumer,
			l.StreamSeq, l.Deliveries, orDash(l.Reason), orDash(l.Subject))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
