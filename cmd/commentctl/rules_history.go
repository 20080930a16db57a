package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/moderation"
)

// rulesPublish makes a rule file the one every worker applies.
func rulesPublish(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rules publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := natsURLFlag(fs)
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: commentctl rules publish [--nats-url URL] FILE")
		return errUsage
	}
	source, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	log, closeLog, err := attach(ctx, *url)
	if err != nil {
		return err
	}
	defer closeLog()
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

// dryRunChange is one comment the rule file would decide differently.
type dryRunChange struct {
	Comment  string            `json:"comment"`
	Article  string            `json:"article"`
	Was      string            `json:"was"`
	Now      string            `json:"now"`
	Rules    []string          `json:"rules,omitempty"`
	Evidence []events.Evidence `json:"evidence,omitempty"`
	Human    string            `json:"human,omitempty"`
}

// rulesDryRun evaluates a rule file on every submission in the log and
// reports the comments it would decide differently from the rules that
// did, without writing anything.
func rulesDryRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rules dryrun", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := natsURLFlag(fs)
	article := fs.String("article", "", "only this article's comments")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: commentctl rules dryrun [--nats-url URL] [--article ID] FILE")
		return errUsage
	}
	rs, err := moderation.LoadRulesetFile(fs.Arg(0))
	if err != nil {
		return err
	}
	log, closeLog, err := attach(ctx, *url)
	if err != nil {
		return err
	}
	defer closeLog()

	type past struct {
		article, text, human string
		isReply              bool
		at                   events.Envelope
		was                  string
	}
	comments := map[string]*past{}
	var order []string
	filter := "comments.>"
	if *article != "" {
		if !events.ValidArticleID(*article) {
			return fmt.Errorf("--article: %q is not an article id", *article)
		}
		filter = "comments." + *article + ".>"
	}
	err = log.Replay(ctx, 1, []string{filter}, func(e events.Envelope) error {
		switch {
		case e.Type == events.CommentSubmitted:
			var p events.Submitted
			if e.Payload(&p) == nil {
				comments[e.Comment] = &past{article: e.Article, text: p.Text, isReply: p.ParentID != "", at: e, was: "pending"}
				order = append(order, e.Comment)
			}
		case e.Type.IsDecision():
			if c, ok := comments[e.Comment]; ok {
				action := map[events.Type]string{events.CommentApproved: "approve", events.CommentHeld: "hold", events.CommentRejected: "reject"}[e.Type]
				if events.IsHuman(e.Actor) {
					c.human = action
				} else {
					c.was = action
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	matrix := map[[2]string]int{}
	for _, id := range order {
		c := comments[id]
		v := rs.Evaluate(moderation.Input{Text: c.text, IsReply: c.isReply, Now: c.at.OccurredAt})
		now := v.Action.String()
		matrix[[2]string{c.was, now}]++
		if now != c.was {
			if err := enc.Encode(dryRunChange{Comment: id, Article: c.article, Was: c.was, Now: now, Rules: v.Rules, Evidence: v.Evidence, Human: c.human}); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(stderr, "rule set %s on %d comments (author, article and flood checks see no history here):\n", rs.Version, len(order))
	for _, was := range []string{"pending", "approve", "hold", "reject"} {
		for _, now := range []string{"approve", "hold", "reject"} {
			if n := matrix[[2]string{was, now}]; n > 0 {
				fmt.Fprintf(stderr, "  %-8s -> %-8s %d\n", was, now, n)
			}
		}
	}
	return nil
}
