// Package moderation decides comments: text normalization, the rules
// engine (pure functions: text and context in, verdict with evidence out)
// and the worker that consumes submissions and publishes decisions.
package moderation

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"

	"github.com/newsroom/commentd/events"
)

// Action is what a verdict does with a comment. Larger is stricter.
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

// Input is everything a rule may look at. The worker fills it; rules never
// do I/O.
type Input struct {
	Text    string
	IsReply bool
}

// Verdict is the outcome of a rule set on one comment.
type Verdict struct {
	Action   Action
	Reason   string // reason code, e.g. "profanity"; empty when approved
	Message  string // shown to the author
	Rules    []string
	Evidence []events.Evidence
}

// Ruleset is a versioned set of rules.
type Ruleset struct {
	Version string
	words   map[string]bool
}

// NewWordlist builds the minimal rule set: reject a comment containing any
// of the words (case-insensitive, whole words).
func NewWordlist(words []string) *Ruleset {
	rs := &Ruleset{words: make(map[string]bool, len(words))}
	h := sha256.New()
	for _, w := range words {
		rs.words[strings.ToLower(w)] = true
		h.Write([]byte(w + "\n"))
	}
	rs.Version = hex.EncodeToString(h.Sum(nil))[:12]
	return rs
}

// Evaluate applies the rule set to one comment.
func (rs *Ruleset) Evaluate(in Input) Verdict {
	var v Verdict
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		if w := in.Text[start:end]; rs.words[strings.ToLower(w)] {
			v.Evidence = append(v.Evidence, events.Evidence{Rule: "wordlist", Start: start, End: end, Match: w})
		}
		start = -1
	}
	for i, r := range in.Text {
		if unicode.IsLetter(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
	}
	flush(len(in.Text))
	if len(v.Evidence) > 0 {
		v.Action, v.Reason, v.Rules = Reject, "profanity", []string{"wordlist"}
		v.Message = "Your comment contains language we do not publish."
	}
	return v
}
