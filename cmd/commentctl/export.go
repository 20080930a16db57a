package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/imports"
)

func init() {
	commands["export"] = command{
		summary: "[--article ID] [--from SEQ]: every event, one JSON line each, in log order;\n" +
			"--format disqus [--base-url URL]: the approved comments as a Disqus XML export\n" +
			"(--nats-url URL or --data-dir DIR)",
		run: runExport,
	}
}

// exported is one line of the export: the event's envelope with where the
// log stores it. An event that can never be decoded is still a line, with
// Error set and only Seq and Subject, so an export never hides one.
type exported struct {
	Seq     uint64 `json:"seq"`
	Subject string `json:"subject"`
	Error   string `json:"error,omitempty"`
	*events.Envelope
}

func runExport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var conn connection
	conn.flags(fs)
	article := fs.String("article", "", "only this article's events: its comments, their reports, its settings")
	from := fs.Uint64("from", 1, "first stream sequence")
	format := fs.String("format", "jsonl", "jsonl: every event; disqus: the approved comments as a Disqus XML export")
	baseURL := fs.String("base-url", "", "with --format disqus: each thread's link is this followed by the article id")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: commentctl export [--format jsonl|disqus] [--article ID] [--from SEQ] [--base-url URL] [--nats-url URL | --data-dir DIR]")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	switch *format {
	case "jsonl":
	case "disqus":
		return exportDisqus(ctx, conn, *article, *baseURL, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "commentctl export: --format is jsonl or disqus, not %q\n", *format)
		return errUsage
	}
	var filters []string
	if *article != "" {
		if !events.ValidArticleID(*article) {
			fmt.Fprintf(stderr, "commentctl export: %q is not an article id (1 to %d of A-Z, a-z, 0-9, '-', '_')\n", *article, events.MaxArticleIDLen)
			return errUsage
		}
		filters = []string{"comments." + *article + ".>", "reports." + *article + ".>", "articles." + *article + ".>"}
	}

	// No overall timeout: a whole log takes as long as it takes; ^C stops.
	log, closeAll, err := conn.attachLog(ctx)
	if err != nil {
		return err
	}
	defer closeAll()

	out := bufio.NewWriter(stdout)
	n, bad, err := export(ctx, log, *from, filters, out)
	if ferr := out.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("write: %w", ferr)
	}
	if err != nil {
		return fmt.Errorf("export after %d events: %w", n, err)
	}
	fmt.Fprintf(stderr, "exported %d events", n)
	if bad > 0 {
		fmt.Fprintf(stderr, ", %d of them undecodable (lines with \"error\")", bad)
	}
	fmt.Fprintln(stderr)
	return nil
}

// export writes the events that match filters (all when none), from
// sequence from up to the newest stored when it starts. It follows the
// log rather than replaying it because Replay skips undecodable events,
// and an export must show them.
func export(ctx context.Context, log *events.Log, from uint64, filters []string, w io.Writer) (n, bad int, err error) {
	end, err := newestOf(ctx, log, filters)
	if err != nil || end < max(from, 1) {
		return 0, 0, err // nothing matches: following would wait forever
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // comment text stays readable
	errEnd := errors.New("end")
	err = log.Follow(ctx, events.FollowConfig{From: from, Filters: filters}, func(e events.Envelope, _ uint64, derr error) error {
		line := exported{Seq: e.Seq, Subject: e.Subject, Envelope: &e}
		if derr != nil {
			line.Envelope, line.Error = nil, derr.Error()
			bad++
		}
		if err := enc.Encode(line); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		n++
		if e.Seq >= end {
			return errEnd
		}
		return nil
	})
	if errors.Is(err, errEnd) {
		err = nil
	}
	return n, bad, err
}

// newestOf is the sequence of the newest event that matches one of
// filters (any event when none), 0 when none does.
func newestOf(ctx context.Context, log *events.Log, filters []string) (uint64, error) {
	if len(filters) == 0 {
		return log.LastSeq(ctx)
	}
	var end uint64
	for _, f := range filters {
		msg, err := log.Stream().GetLastMsgForSubject(ctx, f)
		switch {
		case err == nil:
			end = max(end, msg.Sequence)
		case !errors.Is(err, jetstream.ErrMsgNotFound):
			return 0, fmt.Errorf("newest event on %s: %w", f, err)
		}
	}
	return end, nil
}

// exportDisqus writes the approved comments as a Disqus XML export.
func exportDisqus(ctx context.Context, conn connection, article, baseURL string, stdout, stderr io.Writer) error {
	log, closeAll, err := conn.attachLog(ctx)
	if err != nil {
		return err
	}
	defer closeAll()
	out := bufio.NewWriter(stdout)
	n, err := imports.WriteDisqus(ctx, out, imports.ExportConfig{Log: log, Article: article, BaseURL: baseURL})
	if ferr := out.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("write: %w", ferr)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "exported %d approved comments as Disqus XML\n", n)
	return nil
}
