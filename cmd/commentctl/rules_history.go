package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"

	writes "github.com/newsroom/commentd/commands" // commentctl's own commands are its subcommands
	"github.com/newsroom/commentd/moderation"
)

// rulesPublish makes a rule file the one every worker applies.
func rulesPublish(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rules publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var conn connection
	conn.flags(fs)
	fs.Usage = func() { fmt.Fprintln(stderr, "usage: commentctl rules publish [--nats-url URL | --data-dir DIR] FILE") }
	if err := parseArgs(fs, args, 1); err != nil {
		return err
	}
	source, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	log, closeAll, err := conn.attachLog(ctx)
	if err != nil {
		return err
	}
	defer closeAll()
	rs, published, err := moderation.PublishRuleset(ctx, log, filepath.Base(fs.Arg(0)), source, "operator")
	if err != nil {
		return err
	}
	if published {
		fmt.Fprintf(stdout, "published rule set %s (%s); workers switch to it now\n", rs.Version, rs.Name)
	} else {
		fmt.Fprintf(stdout, "rule set %s (%s) is already the newest published\n", rs.Version, rs.Name)
	}
	return nil
}

// rulesDryRun evaluates a rule file on every submission in the log and
// reports the comments it would decide differently from the rules that
// did, without writing anything: one JSON line a change on stdout, a
// summary on stderr.
func rulesDryRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rules dryrun", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var conn connection
	conn.flags(fs)
	article := fs.String("article", "", "only this article's comments")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: commentctl rules dryrun [--nats-url URL | --data-dir DIR] [--article ID] FILE")
	}
	if err := parseArgs(fs, args, 1); err != nil {
		return err
	}
	rs, err := moderation.LoadRulesetFile(fs.Arg(0))
	if err != nil {
		return err
	}
	log, closeAll, err := conn.attachLog(ctx)
	if err != nil {
		return err
	}
	defer closeAll()
	report, err := writes.DryRun(ctx, log, rs, *article)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	for _, c := range report.Changes {
		if err := enc.Encode(c); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "rule set %s on %d comments (author, article and flood checks see no history here):\n", rs.Version, report.Comments)
	keys := slices.Sorted(maps.Keys(report.Counts))
	for _, k := range keys {
		fmt.Fprintf(stderr, "  %-20s %d\n", k, report.Counts[k])
	}
	return nil
}
