// Package moderation decides comments: text normalization, the rules
// engine (pure functions: text and context in, verdict with evidence out),
// rule-set loading and validation, and the worker that consumes submissions
// and publishes decisions.
package moderation

import (
	"strings"
	"sync"
	"time"

	"github.com/newsroom/commentd/events"
)

// Action is what a verdict does with a comment. Larger is stricter, so the
// strictest of several firing rules is simply the largest.
type Action int

const (
	Approve Action = iota
	Hold
	Reject
)

func (a Action) String() string {
	switch a {
	case Hold:
		return "hold"
	case Reject:
		return "reject"
	}
	return "approve"
}

// ParseAction is the inverse of String.
func ParseAction(s string) (Action, bool) {
	switch s {
	case "approve":
		return Approve, true
	case "hold":
		return Hold, true
	case "reject":
		return Reject, true
	}
	return Approve, false
}

// Input is everything a rule may look at. The worker fills it from the
// submission and the projections; rules never do I/O or read the clock.
type Input struct {
	Text    string
	IsReply bool
	Author  AuthorStats
	Article ArticleSettings
	Reports int // reader reports so far
	Flood   FloodStats
	Now     time.Time // the decision time, for ages
}

// AuthorStats is what the author-stats projection knows about the author.
// The zero value is a reader never seen before.
type AuthorStats struct {
	ApprovedCount       int
	FirstSeen           time.Time // zero when this is the author's first comment
	RecentRejectionRate float64   // share of the author's recent comments rejected, 0..1
	// Banned: the author's last ban was not lifted. It ends at
	// BannedUntil when that is set; BannedAt says whether it holds.
	Banned      bool
	BannedUntil time.Time
}

// BannedAt reports whether the author's ban holds for a comment made at t:
// banned, and t before the ban's end if it has one. A timed ban needs no
// event when it ends; the rules judge each comment by its own time
// (Input.Now, the submission's time), so a redelivery or a backtest
// decides as the first delivery did.
func (s AuthorStats) BannedAt(t time.Time) bool {
	return s.Banned && (s.BannedUntil.IsZero() || t.Before(s.BannedUntil))
}

// ArticleSettings are the article's moderation settings.
type ArticleSettings struct {
	Closed       bool // no new comments
	Premoderated bool // every comment waits for a moderator
}

// FloodStats counts comments inside the rule set's flood window, this one
// included (see FloodTracker).
type FloodStats struct {
	SameTextCount     int // comments with the same text, from anyone
	AuthorRecentCount int // comments from this author
}

// Verdict is the outcome of a rule set on one comment.
type Verdict struct {
	Action   Action
	Reason   string            // reason code of the deciding rule ("profanity", "slur", "links", …); empty when approved
	Message  string            // shown to the author
	Rules    []string          // ids of every enforced rule that fired, in evaluation order
	Evidence []events.Evidence // spans of the original text, byte offsets
	Shadow   []string          // ids of shadow rules that would have fired
	// Languages the comment is written in, most letters first (see
	// detectLanguages). Shared: the caller must not modify it.
	Languages []string
}

// Ruleset is a parsed, validated and immutable rule file. It is safe for
// concurrent use.
type Ruleset struct {
	Version     string        // content hash of the rule file, short hex
	Name        string        // the file's name, or its "name:" field
	FloodWindow time.Duration // the window FloodStats should be counted in

	rules   []*rule // by priority, highest first, then file order
	words   matcher // Latin (and other scripts' words as they fold)
	cyr     matcher // Cyrillic entries, matched against the Cyrillic stream
	needs   needs
	scratch sync.Pool
}

// mode says whether a rule acts ("mode:" in the rule file).
type mode int

const (
	enforced mode = iota // the rule decides
	shadowed             // the rule is recorded in Verdict.Shadow but decides nothing
	disabled             // the rule is not evaluated
)

type rule struct {
	id       string
	line     int
	priority int
	action   Action
	reason   string
	message  []string // split at {{match}}
	mode     mode
	cond     check
}

// maxEvidence bounds the spans one rule records for one comment.
const maxEvidence = 16

// scratch is the per-evaluation memory, reused through a pool so that an
// approved comment costs no allocation.
type scratch struct {
	s     stream
	hits  []hit
	cs    stream // the Cyrillic words (scanCyrillic)
	chits []hit  // hits of the Cyrillic matcher in cs
	spans []span
	segs  []latinSeg // the Latin language of each sentence (detectLatin)
	links []span
	hosts []string
	ctx   evalCtx
}

type span struct {
	start, end int32
	lang       string // of the list that matched, for evidence; "" for other checks
}

// ReasonRulesError is the reason of a verdict whose evaluation failed (a
// bug): the comment is held for a person, and the worker counts it.
const ReasonRulesError = "rules-error"

// Evaluate applies the rule set to one comment. It is pure and
// deterministic; if a bug makes a rule panic, the comment is held for a
// moderator instead of crashing the worker.
func (rs *Ruleset) Evaluate(in Input) (v Verdict) {
	defer func() {
		if recover() != nil {
			v = Verdict{Action: Hold, Reason: ReasonRulesError, Message: "Your comment is awaiting review."}
		}
	}()
	return rs.evaluate(&in)
}

func (rs *Ruleset) evaluate(in *Input) Verdict {
	sc, _ := rs.scratch.Get().(*scratch)
	if sc == nil {
		sc = new(scratch)
	}
	c := &sc.ctx
	*c = evalCtx{in: *in, sc: sc, rs: rs}
	defer func() {
		c.in = Input{} // the pool must not keep the comment
		rs.scratch.Put(sc)
	}()
	sc.segs = detectLatin(in.Text, sc.segs[:0])
	if rs.needs.words {
		sc.s.scan(in.Text)
		sc.hits = rs.words.find(&sc.s, sc.hits[:0], sc.segs)
		sc.s.text = ""
		sc.chits = sc.chits[:0]
		if rs.cyr.ac != nil && !sc.s.ascii && hasCyrillic(in.Text) {
			sc.cs.scanCyrillic(in.Text)
			sc.chits = rs.cyr.find(&sc.cs, sc.chits, nil)
			sc.cs.text = ""
		}
	}
	var v Verdict
	v.Languages = detectLanguages(in.Text, sc.segs)
	var decider *rule
	var firstMatch string
	for _, r := range rs.rules {
		if r.mode == disabled {
			continue
		}
		sc.spans = sc.spans[:0]
		if !r.cond.eval(c) {
			continue
		}
		if r.mode == shadowed {
			v.Shadow = append(v.Shadow, r.id)
			continue
		}
		v.Rules = append(v.Rules, r.id)
		for i, sp := range sc.spans {
			if i == maxEvidence {
				break
			}
			v.Evidence = append(v.Evidence, events.Evidence{
				Rule: r.id, Start: int(sp.start), End: int(sp.end), Match: in.Text[sp.start:sp.end], Lang: sp.lang,
			})
		}
		if decider == nil || r.action > decider.action {
			decider = r
			firstMatch = ""
			if len(sc.spans) > 0 {
				firstMatch = in.Text[sc.spans[0].start:sc.spans[0].end]
			}
		}
	}
	if decider != nil && decider.action != Approve {
		v.Action, v.Reason = decider.action, decider.reason
		v.Message = strings.Join(decider.message, firstMatch)
	}
	return v
}

// RuleInfo describes one rule of a set, for reports about what it does.
type RuleInfo struct {
	ID     string
	Action Action
	// Mode is "enforce", "shadow" or "off", as in the rule file.
	Mode string
}

// Rules lists the set's rules in evaluation order.
func (rs *Ruleset) Rules() []RuleInfo {
	out := make([]RuleInfo, len(rs.rules))
	for i, r := range rs.rules {
		m := "enforce"
		switch r.mode {
		case shadowed:
			m = "shadow"
		case disabled:
			m = "off"
		}
		out[i] = RuleInfo{ID: r.id, Action: r.action, Mode: m}
	}
	return out
}
