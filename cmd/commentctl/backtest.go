package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/newsroom/commentd/backtest"
	"github.com/newsroom/commentd/moderation"
)

// rulesBacktest replays past submissions through a rule file with the
// author facts and article settings of their time and reports what it
// would have decided differently, publishing nothing.
func rulesBacktest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rules backtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var conn connection
	conn.flags(fs)
	file := fs.String("rules", "", "the rule file to try (required)")
	since := fs.Duration("since", 0, "only submissions stored in this last while (720h: a month); 0: all")
	article := fs.String("article", "", "only this article's comments")
	asJSON := fs.Bool("json", false, "write the whole report as JSON")
	examples := fs.Int("examples", backtest.DefaultExamples, "comment ids listed per rule and per kind of change")
	raw := fs.Bool("raw", false, "also time a raw ordered replay of the same events, for comparison")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: commentctl rules backtest [--nats-url URL | --data-dir DIR] --rules FILE [--since DURATION] [--article ID] [--json] [--raw]")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	if *file == "" || *since < 0 || *examples < 1 {
		fs.Usage()
		return errUsage
	}
	rs, err := moderation.LoadRulesetFile(*file)
	if err != nil {
		return err
	}
	log, closeAll, err := conn.attachLog(ctx)
	if err != nil {
		return err
	}
	defer closeAll()
	cfg := backtest.Config{Log: log, Rules: rs, Article: *article, Examples: *examples}
	if *since > 0 {
		cfg.Since = time.Now().Add(-*since)
	}
	var ref *backtest.Raw
	if *raw {
		r, err := backtest.RawReplay(ctx, cfg)
		if err != nil {
			return err
		}
		ref = &r
	}
	report, err := backtest.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			backtest.Report
			Raw *backtest.Raw `json:"raw_replay,omitempty"`
		}{report, ref})
	}
	return writeBacktest(stdout, report, ref)
}

// writeBacktest prints a report for a person.
func writeBacktest(w io.Writer, r backtest.Report, ref *backtest.Raw) error {
	ids := func(list []string) string {
		if len(list) == 0 {
			return ""
		}
		return " (" + strings.Join(list, " ") + ")"
	}
	fmt.Fprintf(w, "rule set %s (%s) on %d comments, %d events replayed in %s: %.0f comments/s\n",
		r.Ruleset, r.Name, r.Comments, r.Events, r.Elapsed.Round(time.Millisecond), r.Rate)
	if ref != nil {
		ratio := 0.0
		if ref.Rate > 0 {
			ratio = r.Rate / ref.Rate
		}
		fmt.Fprintf(w, "raw replay of the same events: %s, %.0f comments/s (backtest at %.2fx)\n", ref.Elapsed.Round(time.Millisecond), ref.Rate, ratio)
	}
	fmt.Fprintf(w, "decisions that would change: %d (comments the rules never decided: %d)\n", r.Changed, r.Undecided)
	for _, k := range slices.Sorted(maps.Keys(r.Transitions)) {
		fmt.Fprintf(w, "  %-18s %d\n", k, r.Transitions[k])
	}
	fmt.Fprintf(w, "to the queue: %d%s\nsaved from the queue: %d%s\n", r.ToQueue, ids(r.ToQueueIDs), r.SavedFromQueue, ids(r.SavedIDs))
	fmt.Fprintf(w, "moderators' decisions: %d; approvals it would reject: %d%s; rejections it would approve: %d%s\n",
		r.Labeled, r.ApprovalsRejected, ids(r.ApprovalsRejectedIDs), r.RejectionsApproved, ids(r.RejectionsApprovedIDs))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "rule\taction\tmode\tfired\tbefore\tchanged\tprecision\trecall\texamples")
	pct := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprintf("%.2f", *p)
	}
	for _, rr := range r.Rules {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\n", rr.Rule, rr.Action, rr.Mode, rr.Fired, rr.Before, rr.Changed,
			pct(rr.Precision), pct(rr.Recall), strings.Join(rr.Examples, " "))
	}
	return tw.Flush()
}

// rulesShadow reports the rules in shadow mode on live traffic: what the
// decisions in the log say they would have done, against moderators'
// decisions.
func rulesShadow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rules shadow", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var conn connection
	conn.flags(fs)
	since := fs.Duration("since", 0, "only decisions stored in this last while; 0: all")
	article := fs.String("article", "", "only this article's comments")
	asJSON := fs.Bool("json", false, "write the report as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: commentctl rules shadow [--nats-url URL | --data-dir DIR] [--since DURATION] [--article ID] [--json]")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	if *since < 0 {
		fs.Usage()
		return errUsage
	}
	log, closeAll, err := conn.attachLog(ctx)
	if err != nil {
		return err
	}
	defer closeAll()
	cfg := backtest.Config{Log: log, Article: *article}
	if *since > 0 {
		cfg.Since = time.Now().Add(-*since)
	}
	r, err := backtest.Shadow(ctx, cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprintf(stdout, "%d decisions by the rules; %d decided by a moderator too, %d of them rejected\n", r.Decisions, r.Labeled, r.Rejected)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "shadow rule\twould fire\tlabeled\tright\tprecision\trecall\texamples")
	pct := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprintf("%.2f", *p)
	}
	for _, sr := range r.Rules {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\n", sr.Rule, sr.Fired, sr.LabeledFired, sr.Right, pct(sr.Precision), pct(sr.Recall), strings.Join(sr.Examples, " "))
	}
	return tw.Flush()
}
