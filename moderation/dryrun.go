package moderation

import "github.com/newsroom/commentd/events"

// The dry run itself reads the log and folds each comment's history:
// commands.DryRun. These are its report's types.

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
