package commands

import (
	"context"
	"fmt"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/moderation"
	"github.com/newsroom/commentd/projections"
)

// maxDryRunChanges bounds the changes a report lists (Counts has them all).
const maxDryRunChanges = 10_000

// actionOf names a comment's status as a rule set's action.
var actionOf = map[projections.Status]string{
	projections.Pending: "pending", projections.Approved: "approve", projections.Held: "hold", projections.Rejected: "reject",
}

// DryRun evaluates rs on every submission in the log (of one article, if
// article is set) and reports the comments it would decide differently
// from the automatic decision they got. It writes nothing. Each comment's
// history is folded with the one fold (Fold): the automatic decision is
// the last one the fold applied, and a person's decision, which stands
// whatever the rules say, is reported beside it. Author, article and
// flood checks see no history here: they evaluate as for a first comment.
func DryRun(ctx context.Context, log *events.Log, rs *moderation.Ruleset, article string) (moderation.DryRunReport, error) {
	filter := "comments.>"
	if article != "" {
		if !events.ValidArticleID(article) {
			return moderation.DryRunReport{}, fmt.Errorf("%w: %q is not an article id", events.ErrInvalid, article)
		}
		filter = "comments." + article + ".>"
	}
	type past struct {
		c          projections.Comment
		replyTo    bool
		was, human string
	}
	comments := map[string]*past{}
	var order []string
	err := log.Replay(ctx, 1, []string{filter}, func(e events.Envelope) error {
		c, ok := comments[e.Comment]
		if !ok {
			c = &past{}
		}
		ch := projections.Fold(c.c, e)
		c.c = ch.After
		switch {
		case !ch.Changed:
		case e.Type == events.CommentSubmitted:
			c.was = actionOf[projections.Pending]
			comments[e.Comment] = c
			order = append(order, e.Comment)
		case events.IsHuman(e.Actor):
			c.human = actionOf[ch.After.Status]
		default:
			c.was = actionOf[ch.After.Status]
		}
		return nil
	})
	if err != nil {
		return moderation.DryRunReport{}, err
	}
	r := moderation.DryRunReport{Version: rs.Version, Comments: len(order), Counts: map[string]int{}, Changes: []moderation.DryRunChange{}}
	for _, id := range order {
		p := comments[id]
		c := p.c
		v := rs.Evaluate(moderation.Input{Text: c.Text, IsReply: c.ParentID != "", Now: c.CreatedAt})
		now := v.Action.String()
		r.Counts[p.was+"->"+now]++
		if now != p.was && len(r.Changes) < maxDryRunChanges {
			r.Changes = append(r.Changes, moderation.DryRunChange{Comment: id, Article: c.Article, Was: p.was, Now: now, Rules: v.Rules, Evidence: v.Evidence, Human: p.human})
		}
	}
	return r, nil
}
