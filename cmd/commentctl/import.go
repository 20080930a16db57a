package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/newsroom/commentd/imports"
)

func init() {
	commands["import"] = command{
		summary: "--format disqus|remark42|wxr [--dry-run] FILE: comments from Disqus, remark42 or WordPress, as events;\n" +
			"the same file again stores nothing twice (--nats-url URL or --data-dir DIR)",
		run: runImport,
	}
}

func runImport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var conn connection
	conn.flags(fs)
	format := fs.String("format", "", "the file's format: "+strings.Join(imports.Formats, ", "))
	dryRun := fs.Bool("dry-run", false, "check the file and say what it holds; store nothing")
	asJSON := fs.Bool("json", false, "write the summary as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: commentctl import --format disqus|remark42|wxr [--dry-run] [--nats-url URL | --data-dir DIR] FILE")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, 1); err != nil {
		return err
	}
	if !slices.Contains(imports.Formats, *format) {
		fmt.Fprintf(stderr, "commentctl import: --format is one of %s\n", strings.Join(imports.Formats, ", "))
		return errUsage
	}
	r, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer r.Close()
	// The whole file is checked before anything is stored: a file with a
	// mistake imports nothing.
	file, err := imports.Parse(*format, r)
	if err != nil {
		return fmt.Errorf("%s: nothing imported:\n%w", fs.Arg(0), err)
	}
	summary := imports.Summarize(file)
	if !*dryRun {
		log, closeAll, err := conn.attachLog(ctx)
		if err != nil {
			return err
		}
		defer closeAll()
		total, began, last := len(file.Comments), time.Now(), time.Time{}
		summary, err = imports.Publish(ctx, log, file, func(done int) {
			if now := time.Now(); now.Sub(last) >= time.Second || done == total {
				last = now
				fmt.Fprintf(stderr, "\r%s %d/%d comments (%.0f/s)", bar(done, total), done, total, float64(done)/max(now.Sub(began).Seconds(), 1e-3))
			}
		})
		if total > 0 {
			fmt.Fprintln(stderr)
		}
		if err != nil {
			fmt.Fprintf(stderr, "stored now: %d; already there: %d; completed: %d; NOT stored: %d\n", summary.Imported, summary.Present, summary.Completed, summary.Failed)
			for _, why := range summary.RefusedReasons() {
				fmt.Fprintf(stderr, "  %6d %s\n", summary.Refused[why], why)
			}
			return fmt.Errorf("import stopped after %d new comments (run it again to go on: nothing is stored twice): %w", summary.Imported+summary.Completed, err)
		}
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(summary)
	}
	verb := "imported"
	if *dryRun {
		verb = "would import (dry run)"
	}
	fmt.Fprintf(stdout, "%s %s: %d comments (%d replies) on %d articles\n", fs.Arg(0), verb, summary.Comments, summary.Replies, summary.Articles)
	for _, k := range slices.Sorted(maps.Keys(summary.States)) {
		fmt.Fprintf(stdout, "  %-10s %d\n", k, summary.States[k])
	}
	for _, k := range slices.Sorted(maps.Keys(summary.Skipped)) {
		fmt.Fprintf(stdout, "  skipped %s: %d\n", k, summary.Skipped[k])
	}
	if !*dryRun {
		fmt.Fprintf(stdout, "stored now: %d; already there from an earlier run: %d; completed: %d\n", summary.Imported, summary.Present, summary.Completed)
	}
	return nil
}

// bar is a progress bar of 30 cells.
func bar(done, total int) string {
	n := 30
	if total > 0 {
		n = 30 * done / total
	}
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", 30-n) + "]"
}
