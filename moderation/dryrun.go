package moderation

import (
	"context"
	"fmt"

	"github.com/newsroom/commentd/events"
)

// DryRunChange is one comment a rule set would decide differently from the
// rules that did.
type DryRunChange struct {
	Comment  string            `json:"comment"`
	Article  string            `json:"article"`
	Was      string            `json:"was"` // pending, approve, hold or reject
	Now      string            `json:"now"`
	Rules    []string          `json:"rules,omitempty"`
	Evidence []events.Evidence `json:"evidence,omitempty"`
	// Human is a moderator's decision on the comment, if any: it stands
	// whatever the rules say.
	Human string `json:"human,omitempty"`
}

// DryRunReport is what a rule set would have done to the comments in the
// log.
type DryRunReport struct {
	Version  string         `json:"version"`
	Comments int            `json:"comments"`
	Counts   map[string]int `json:"counts"` // "was->now": comments
	Changes  []DryRunChange `json:"changes"`
}

// maxDryRunChanges bounds the changes a report lists (Counts has them all).
const maxDryRunChanges = 10_000

var actionOf = map[events.Type]string{events.CommentApproved: "approve", events.CommentHeld: "hold", events.CommentRejected: "reject"}

// DryRun evaluates rs on every submission in the log (of one article, if
// article is set) and reports the comments it would decide differently
// from the automatic decision they got. It writes nothing. Author, article
// and flood checks see no history here: they evaluate as for a first
// comment.
func DryRun(ctx context.Context, log *events.Log, rs *Ruleset, article string) (DryRunReport, error) {
	filter := "comments.>"
	if article != "" {
		if !events.ValidArticleID(article) {
			return DryRunReport{}, fmt.Errorf("%w: %q is not an article id", events.ErrInvalid, article)
		}
		filter = "comments." + article + ".>"
	}
	type past struct {
		sub        events.Envelope
		p          events.Submitted
		was, human string
	}
	comments := map[string]*past{}
	var order []string
	err := log.Replay(ctx, 1, []string{filter}, func(e events.Envelope) error {
		switch {
		case e.Type == events.CommentSubmitted:
			c := &past{sub: e, was: "pending"}
			if e.Payload(&c.p) == nil {
				comments[e.Comment] = c
				order = append(order, e.Comment)
			}
		case e.Type.IsDecision():
			if c, ok := comments[e.Comment]; ok {
				if events.IsHuman(e.Actor) {
					c.human = actionOf[e.Type]
				} else {
					c.was = actionOf[e.Type]
				}
			}
		}
		return nil
	})
	if err != nil {
		return DryRunReport{}, err
	}
	r := DryRunReport{Version: rs.Version, Comments: len(order), Counts: map[string]int{}, Changes: []DryRunChange{}}
	for _, id := range order {
		c := comments[id]
		v := rs.Evaluate(Input{Text: c.p.Text, IsReply: c.p.ParentID != "", Now: c.sub.OccurredAt})
		now := v.Action.String()
		r.Counts[c.was+"->"+now]++
		if now != c.was && len(r.Changes) < maxDryRunChanges {
			r.Changes = append(r.Changes, DryRunChange{Comment: id, Article: c.sub.Article, Was: c.was, Now: now, Rules: v.Rules, Evidence: v.Evidence, Human: c.human})
		}
	}
	return r, nil
}
