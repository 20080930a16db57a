// Package backtest replays past submissions through a rule set, with the
// author facts and article settings as they were when each was submitted,
// and reports what the set would have decided differently, rule by rule,
// measured against the moderators' own decisions. It publishes nothing.
package backtest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/moderation"
)

// DefaultExamples is how many comment ids a report lists per rule and per
// kind of change.
const DefaultExamples = 10

// Config says what to backtest.
type Config struct {
	Log   *events.Log
	Rules *moderation.Ruleset
	// Since, when set, limits the report to submissions stored at or after
	// it. The facts are still folded from the start of the log.
	Since time.Time
	// Article, when set, limits the report to one article.
	Article string
	// Examples bounds each list of comment ids (DefaultExamples when 0).
	Examples int
}

func (c *Config) validate() error {
	if c.Log == nil || c.Rules == nil {
		return fmt.Errorf("%w: backtest needs a log and a rule set", events.ErrInvalid)
	}
	if c.Article != "" && !events.ValidArticleID(c.Article) {
		return fmt.Errorf("%w: %q is not an article id", events.ErrInvalid, c.Article)
	}
	if c.Examples <= 0 {
		c.Examples = DefaultExamples
	}
	return nil
}

// Report is what a rule set would have done to the comments in scope.
//
// Was is the decision the rules of the time made (approve, hold, reject);
// Now the new set's. A moderator's own decision (the last one a person
// made) is the label: "reject" means the comment should not be shown,
// "approve" that it should.
type Report struct {
	Ruleset string    `json:"ruleset"` // the new set's version
	Name    string    `json:"name,omitempty"`
	Since   time.Time `json:"since,omitzero"`
	Article string    `json:"article,omitempty"`

	// Comments is how many submissions were evaluated; Undecided those of
	// them the rules of the time never decided (left out of the changes).
	Comments  int `json:"comments"`
	Undecided int `json:"undecided"`
	// Changed is how many decisions would change; Transitions counts
	// every "was->now" pair, unchanged ones included.
	Changed     int            `json:"changed"`
	Transitions map[string]int `json:"transitions"`
	// ToQueue: comments the new set would hold for a moderator that were
	// not held; SavedFromQueue: held ones it would not hold.
	ToQueue        int      `json:"to_queue"`
	SavedFromQueue int      `json:"saved_from_queue"`
	ToQueueIDs     []string `json:"to_queue_examples"`
	SavedIDs       []string `json:"saved_from_queue_examples"`
	// Labeled is how many comments a moderator decided. ApprovalsRejected:
	// comments a moderator approved that the new set would reject;
	// RejectionsApproved: comments a moderator rejected it would approve.
	Labeled               int      `json:"labeled"`
	ApprovalsRejected     int      `json:"approvals_rejected"`
	ApprovalsRejectedIDs  []string `json:"approvals_rejected_examples"`
	RejectionsApproved    int      `json:"rejections_approved"`
	RejectionsApprovedIDs []string `json:"rejections_approved_examples"`

	Rules []RuleReport `json:"rules"`
	// Changes lists changed decisions, up to Examples per transition.
	Changes []Change `json:"changes"`

	// Events is how many events were replayed to fold the facts; Elapsed
	// and Rate (comments evaluated a second) say how fast.
	Events  int           `json:"events"`
	Elapsed time.Duration `json:"elapsed_ns"`
	Rate    float64       `json:"comments_per_second"`
}

// RuleReport is one rule of the new set (or of the decisions of the time)
// on the comments in scope.
type RuleReport struct {
	Rule   string `json:"rule"`
	Action string `json:"action,omitempty"` // in the new set; empty for a rule it no longer has
	Mode   string `json:"mode,omitempty"`   // enforce, shadow, off
	// Fired: comments it fires on in the new set (shadow rules: would
	// fire). Before: comments the decisions of the time say it fired on.
	Fired  int `json:"fired"`
	Before int `json:"fired_before"`
	// Changed: changed decisions on which it fires now or fired before,
	// but not both: the changes it takes part in.
	Changed  int      `json:"changed"`
	Examples []string `json:"examples"`
	// Against the moderators' decisions, among labeled comments. A hold
	// or reject rule is right where a moderator rejected; an approve rule
	// where one approved. Precision: right among those it fired on;
	// recall: share it fired on among those it should have. Nil with no
	// labeled comment to compute it from.
	LabeledFired int      `json:"labeled_fired"`
	Right        int      `json:"right"`
	Precision    *float64 `json:"precision"`
	Recall       *float64 `json:"recall"`
}

// Change is one comment the new set would decide differently.
type Change struct {
	Comment string   `json:"comment"`
	Article string   `json:"article"`
	Was     string   `json:"was"`
	Now     string   `json:"now"`
	Rules   []string `json:"rules,omitempty"`  // fired in the new set
	Before  []string `json:"before,omitempty"` // fired in the decision of the time
	Human   string   `json:"human,omitempty"`  // a moderator's decision, which stands
}

// outcome is one evaluated submission, completed by the decisions that
// follow it in the log. The evaluator writes now, rules and shadow; the
// replay the rest.
type outcome struct {
	id, article string
	now         moderation.Action
	rules       []string // enforced rules that fired now
	shadow      []string
	was         string // the rules' decision then; "" none
	before      []string
	human       string
}

var actionOf = map[events.Type]string{events.CommentApproved: "approve", events.CommentHeld: "hold", events.CommentRejected: "reject"}

// filters are the subjects a backtest reads: all of them. It needs the
// comments, authors and articles, but an ordered consumer with those three
// filters is 25 times slower than one that takes everything
// (nats-server 2.15: 38 s against 1.6 s for 42,000 events), so reports and
// rule sets are read and skipped.
var filters []string

// Run replays the log in order: each event folds the facts, and each
// submission in scope is evaluated with the new set on the facts as they
// stood just before it (the flood counts too, in a window of the new
// set's). Nothing is published.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if err := cfg.validate(); err != nil {
		return Report{}, err
	}
	began := time.Now()
	rs := cfg.Rules
	f := newFacts()
	flood := moderation.NewFloodTracker()
	byID := make(map[string]*outcome)
	var order []*outcome
	nEvents := 0
	// The rules run beside the replay: the fold is sequential, evaluating
	// a submission on the facts captured for it is not.
	eval := newEvaluator(ctx, rs)
	err := cfg.Log.Replay(ctx, 1, filters, func(e events.Envelope) error {
		nEvents++
		if e.Type != events.CommentSubmitted && !e.Type.IsDecision() {
			f.apply(e)
			return nil
		}
		known, ch := f.fold(e)
		switch {
		case e.Type == events.CommentSubmitted && !known && ch.Known() && !ch.After.Erased:
			// An erased author's comment reads "[removed]": nothing to
			// try a rule on, and no author to count it for.
			c := ch.After
			// Flood counts include every submission, in scope or not.
			fl := flood.Observe(e.ID, c.AuthorID, c.Text, e.OccurredAt, rs.FloodWindow)
			if cfg.inScope(e) {
				o := &outcome{id: e.Comment, article: e.Article}
				byID[e.Comment] = o
				order = append(order, o)
				if err := eval.submit(o, moderation.Input{
					Text: c.Text, IsReply: c.ParentID != "", Now: e.OccurredAt,
					Author: f.stats(c.AuthorID), Article: f.articles[e.Article], Flood: fl,
				}); err != nil {
					return err
				}
			}
		case e.Type.IsDecision():
			if o := byID[e.Comment]; o != nil {
				switch {
				case events.IsHuman(e.Actor):
					o.human = actionOf[e.Type]
				case strings.HasPrefix(e.Actor, events.RulesActor("")) && o.was == "":
					o.was = actionOf[e.Type]
					if ch.Changed {
						o.before = ch.After.Rules
					} else { // after a person's decision: the fold kept it
						var d events.Decision
						if e.Payload(&d) == nil {
							o.before = d.Rules
						}
					}
				}
			}
		}
		f.commit(e, ch)
		return nil
	})
	if werr := eval.wait(); err == nil {
		err = werr
	}
	if err != nil {
		return Report{}, fmt.Errorf("backtest: %w", err)
	}
	r := cfg.report(order)
	r.Events = nEvents
	r.Elapsed = time.Since(began)
	if s := r.Elapsed.Seconds(); s > 0 {
		r.Rate = float64(r.Comments) / s
	}
	return r, nil
}

func (cfg *Config) inScope(e events.Envelope) bool {
	return (cfg.Article == "" || e.Article == cfg.Article) && (cfg.Since.IsZero() || !e.Stored.Before(cfg.Since))
}

// report sums the outcomes up.
func (cfg *Config) report(order []*outcome) Report {
	rs := cfg.Rules
	r := Report{
		Ruleset: rs.Version, Name: rs.Name, Since: cfg.Since, Article: cfg.Article, Comments: len(order),
		Transitions: map[string]int{}, ToQueueIDs: []string{}, SavedIDs: []string{},
		ApprovalsRejectedIDs: []string{}, RejectionsApprovedIDs: []string{}, Changes: []Change{},
	}
	rules := map[string]*RuleReport{}
	var ruleOrder []string
	rule := func(id string) *RuleReport {
		rr := rules[id]
		if rr == nil {
			rr = &RuleReport{Rule: id, Examples: []string{}}
			rules[id] = rr
			ruleOrder = append(ruleOrder, id)
		}
		return rr
	}
	for _, info := range rs.Rules() {
		rr := rule(info.ID)
		rr.Action, rr.Mode = info.Action.String(), info.Mode
	}
	add := func(list *[]string, id string) {
		if len(*list) < cfg.Examples {
			*list = append(*list, id)
		}
	}
	perTransition := map[string]int{}
	// How many labeled comments of each kind, for recall.
	labeled := map[string]int{}
	for _, o := range order {
		now := o.now.String()
		if o.human == "approve" || o.human == "reject" {
			r.Labeled++
			labeled[o.human]++
			switch {
			case o.human == "approve" && o.now == moderation.Reject:
				r.ApprovalsRejected++
				add(&r.ApprovalsRejectedIDs, o.id)
			case o.human == "reject" && o.now == moderation.Approve:
				r.RejectionsApproved++
				add(&r.RejectionsApprovedIDs, o.id)
			}
		}
		for _, id := range slices.Concat(o.rules, o.shadow) {
			rr := rule(id)
			rr.Fired++
			if o.human == "approve" || o.human == "reject" {
				rr.LabeledFired++
				if rr.rightFor(o.human) {
					rr.Right++
				}
			}
		}
		for _, id := range o.before {
			rule(id).Before++
		}
		if o.was == "" {
			r.Undecided++
			continue
		}
		tr := o.was + "->" + now
		r.Transitions[tr]++
		if o.was == now {
			continue
		}
		r.Changed++
		switch {
		case o.now == moderation.Hold:
			r.ToQueue++
			add(&r.ToQueueIDs, o.id)
		case o.was == "hold":
			r.SavedFromQueue++
			add(&r.SavedIDs, o.id)
		}
		for _, id := range symmetricDifference(o.rules, o.before) {
			rr := rule(id)
			rr.Changed++
			add(&rr.Examples, o.id)
		}
		if perTransition[tr] < cfg.Examples {
			perTransition[tr]++
			r.Changes = append(r.Changes, Change{Comment: o.id, Article: o.article, Was: o.was, Now: now, Rules: o.rules, Before: o.before, Human: o.human})
		}
	}
	for _, id := range ruleOrder {
		rr := rules[id]
		if rr.LabeledFired > 0 {
			p := float64(rr.Right) / float64(rr.LabeledFired)
			rr.Precision = &p
		}
		if n := labeled[rr.target()]; n > 0 && rr.Action != "" {
			rc := float64(rr.Right) / float64(n)
			rr.Recall = &rc
		}
		r.Rules = append(r.Rules, *rr)
	}
	// Rules that took part in the most changes first; then as the set
	// lists them.
	slices.SortStableFunc(r.Rules, func(a, b RuleReport) int { return cmp.Compare(b.Changed, a.Changed) })
	return r
}

// target is the moderators' decision a rule's action agrees with.
func (rr *RuleReport) target() string {
	if rr.Action == "approve" {
		return "approve"
	}
	return "reject"
}

func (rr *RuleReport) rightFor(human string) bool { return human == rr.target() }

// symmetricDifference is the ids in exactly one of a and b.
func symmetricDifference(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			out = append(out, x)
		}
	}
	return out
}

// Raw is a plain ordered replay of the events a backtest reads, decoding
// each and nothing more: the reference a backtest's rate is measured
// against in the same run.
type Raw struct {
	Events   int           `json:"events"`
	Comments int           `json:"comments"` // submissions in the scope of cfg
	Elapsed  time.Duration `json:"elapsed_ns"`
	Rate     float64       `json:"comments_per_second"`
}

// RawReplay replays what Run with cfg would, without folding or
// evaluating anything.
func RawReplay(ctx context.Context, cfg Config) (Raw, error) {
	if err := cfg.validate(); err != nil {
		return Raw{}, err
	}
	began := time.Now()
	var r Raw
	err := cfg.Log.Replay(ctx, 1, filters, func(e events.Envelope) error {
		r.Events++
		if e.Type == events.CommentSubmitted && cfg.inScope(e) {
			r.Comments++
		}
		return nil
	})
	if err != nil {
		return Raw{}, fmt.Errorf("backtest: raw replay: %w", err)
	}
	r.Elapsed = time.Since(began)
	if s := r.Elapsed.Seconds(); s > 0 {
		r.Rate = float64(r.Comments) / s
	}
	return r, nil
}
