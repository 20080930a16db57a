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

	"github.com/newsroom/commentd/deadletter"
	"github.com/newsroom/commentd/events"
)

func init() {
	commands["dlq"] = command{
		summary: "list [--json]: the events consumers gave up on (dead letters)\n" +
			"replay SEQ: deliver dead letter SEQ's event again, then remove the letter\n" +
			"delete SEQ: remove a dead letter without delivering it again\n" +
			"(--nats-url URL or --data-dir DIR)",
		run: runDLQ,
	}
}

const dlqUsage = "usage: commentctl dlq list [--json] | replay SEQ | delete SEQ  [--nats-url URL | --data-dir DIR]"

func runDLQ(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, dlqUsage)
		return errUsage
	}
	sub := args[0]
	fs := flag.NewFlagSet("dlq "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, dlqUsage) }
	var conn connection
	conn.flags(fs)
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

	ctx, cancel := withTimeout(ctx)
	defer cancel()
	js, closeAll, err := conn.open(false)
	if err != nil {
		return err
	}
	defer closeAll()
	// Attach, not Open: the streams' configuration is commentd's.
	q, err := deadletter.Attach(ctx, js)
	if err != nil {
		return err
	}

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
