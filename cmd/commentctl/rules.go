package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/moderation"
)

func init() {
	commands["rules"] = command{
		summary: "validate FILE: check a rule file and report every problem\n" +
			"check [--rules FILE]: evaluate one comment per line of stdin, one JSON verdict per line\n" +
			"publish FILE: make FILE the rule set every worker applies, now\n" +
			"dryrun [--article ID] FILE: the comments in the log FILE would decide differently\n" +
			"backtest --rules FILE [--since DURATION] [--article ID] [--json]: replay past submissions through FILE\n" +
			"  with the facts of their time; what would change, rule by rule, against moderators' decisions\n" +
			"shadow [--since DURATION] [--article ID] [--json]: the shadow rules on live traffic, against moderators' decisions\n" +
			"(publish, dryrun, backtest, shadow: --nats-url URL or --data-dir DIR)",
		run: runRules,
	}
}

func runRules(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: commentctl rules validate FILE | check [--rules FILE] | publish FILE | dryrun FILE | backtest --rules FILE")
		return errUsage
	}
	switch args[0] {
	case "validate":
		return rulesValidate(args[1:], stdout, stderr)
	case "check":
		return rulesCheck(ctx, args[1:], stdin, stdout, stderr)
	case "publish":
		return rulesPublish(ctx, args[1:], stdout, stderr)
	case "dryrun":
		return rulesDryRun(ctx, args[1:], stdout, stderr)
	case "backtest":
		return rulesBacktest(ctx, args[1:], stdout, stderr)
	case "shadow":
		return rulesShadow(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "commentctl rules: unknown subcommand %q\n", args[0])
	return errUsage
}

func rulesValidate(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rules validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, "usage: commentctl rules validate FILE") }
	if err := parseArgs(fs, args, 1); err != nil {
		return err
	}
	rs, err := moderation.LoadRulesetFile(fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: valid, version %s\n", fs.Arg(0), rs.Version)
	return nil
}

// checked is the line written for each comment.
type checked struct {
	Action   string            `json:"action"`
	Reason   string            `json:"reason,omitempty"`
	Rules    []string          `json:"rules"`
	Shadow   []string          `json:"shadow,omitempty"`
	Evidence []events.Evidence `json:"evidence"`
	// Languages detected in the comment, most letters first.
	Languages []string `json:"languages"`
}

// maxLine bounds one comment read from stdin.
const maxLine = 1 << 20

func rulesCheck(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rules check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("rules", "", "rule file (default: the built-in rule set)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: commentctl rules check [--rules FILE] < comments.txt")
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	rs := moderation.DefaultRuleset()
	if *file != "" {
		var err error
		if rs, err = moderation.LoadRulesetFile(*file); err != nil {
			return err
		}
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	for sc.Scan() {
		if err := ctx.Err(); err != nil {
			return err
		}
		v := rs.Evaluate(moderation.Input{Text: sc.Text()})
		c := checked{Action: v.Action.String(), Reason: v.Reason, Rules: v.Rules, Shadow: v.Shadow, Evidence: v.Evidence, Languages: v.Languages}
		if c.Rules == nil {
			c.Rules = []string{}
		}
		if c.Languages == nil {
			c.Languages = []string{}
		}
		if c.Evidence == nil {
			c.Evidence = []events.Evidence{}
		}
		if err := enc.Encode(c); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read comments: %w", err)
	}
	return out.Flush()
}
