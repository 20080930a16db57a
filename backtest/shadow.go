package backtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/newsroom/commentd/events"
)

// ShadowReport is what the rules in shadow mode (mode: shadow in the rule
// file) would have done on live traffic: each rules decision records the
// shadow rules that would have fired (events.Decision.Shadow), and the
// moderators' later decisions on the same comments are the labels. A
// shadow rule counts as flagging the comment, so it is right where a
// moderator rejected.
type ShadowReport struct {
	Since   time.Time `json:"since,omitzero"`
	Article string    `json:"article,omitempty"`
	// Decisions: the rules' decisions in scope; Labeled: those of them a
	// moderator decided too; Rejected: of those, the ones rejected.
	Decisions int          `json:"decisions"`
	Labeled   int          `json:"labeled"`
	Rejected  int          `json:"rejected"`
	Rules     []ShadowRule `json:"rules"`
}

// ShadowRule is one shadow rule on live traffic.
type ShadowRule struct {
	Rule         string   `json:"rule"`
	Fired        int      `json:"fired"`
	Examples     []string `json:"examples"`
	LabeledFired int      `json:"labeled_fired"`
	Right        int      `json:"right"`
	Precision    *float64 `json:"precision"`
	Recall       *float64 `json:"recall"`
}

// Shadow reads the rules' decisions of the log (those stored since
// cfg.Since, on cfg.Article when set) and reports their shadow rules.
// Rules is not needed.
func Shadow(ctx context.Context, cfg Config) (ShadowReport, error) {
	if cfg.Log == nil {
		return ShadowReport{}, fmt.Errorf("%w: a shadow report needs a log", events.ErrInvalid)
	}
	if cfg.Article != "" && !events.ValidArticleID(cfg.Article) {
		return ShadowReport{}, fmt.Errorf("%w: %q is not an article id", events.ErrInvalid, cfg.Article)
	}
	if cfg.Examples <= 0 {
		cfg.Examples = DefaultExamples
	}
	filter := "comments.>"
	if cfg.Article != "" {
		filter = "comments." + cfg.Article + ".>"
	}
	type seen struct {
		shadow []string
		human  string
	}
	decided := map[string]*seen{}
	var order []string
	err := cfg.Log.Replay(ctx, 1, []string{filter}, func(e events.Envelope) error {
		if !e.Type.IsDecision() {
			return nil
		}
		if events.IsHuman(e.Actor) {
			if s := decided[e.Comment]; s != nil {
				s.human = actionOf[e.Type]
			}
			return nil
		}
		if !strings.HasPrefix(e.Actor, events.RulesActor("")) || decided[e.Comment] != nil || !cfg.inScope(e) {
			return nil
		}
		var d events.Decision
		if e.Payload(&d) != nil {
			return nil
		}
		decided[e.Comment] = &seen{shadow: d.Shadow}
		order = append(order, e.Comment)
		return nil
	})
	if err != nil {
		return ShadowReport{}, fmt.Errorf("backtest: shadow: %w", err)
	}
	r := ShadowReport{Since: cfg.Since, Article: cfg.Article, Decisions: len(order), Rules: []ShadowRule{}}
	rules := map[string]*ShadowRule{}
	var names []string
	for _, id := range order {
		s := decided[id]
		labeled := s.human == "approve" || s.human == "reject"
		if labeled {
			r.Labeled++
			if s.human == "reject" {
				r.Rejected++
			}
		}
		for _, name := range s.shadow {
			sr := rules[name]
			if sr == nil {
				sr = &ShadowRule{Rule: name, Examples: []string{}}
				rules[name] = sr
				names = append(names, name)
			}
			sr.Fired++
			if len(sr.Examples) < cfg.Examples {
				sr.Examples = append(sr.Examples, id)
			}
			if labeled {
				sr.LabeledFired++
				if s.human == "reject" {
					sr.Right++
				}
			}
		}
	}
	slices.Sort(names)
	for _, name := range names {
		sr := rules[name]
		if sr.LabeledFired > 0 {
			p := float64(sr.Right) / float64(sr.LabeledFired)
			sr.Precision = &p
		}
		if r.Rejected > 0 {
			rc := float64(sr.Right) / float64(r.Rejected)
			sr.Recall = &rc
		}
		r.Rules = append(r.Rules, *sr)
	}
	return r, nil
}
