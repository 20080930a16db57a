package commands_test

import (
	"errors"
	"testing"

	"github.com/newsroom/commentd/commands"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/moderation"
)

// The dry run compares a rule set with the automatic decision each comment
// got, as the one fold reads it, and names a person's decision beside it.
func TestDryRunFoldsEachComment(t *testing.T) {
	f := newFixture(t, commands.Config{})
	held := f.submit("a1", "Anna", "A thoughtful comment about the talks.")
	f.rules(events.CommentHeld, "a1", held, events.Decision{Reason: "links"})
	f.catchUp()
	if _, err := f.cmd.Decide(f.ctx, mia, commands.Decision{Comment: held, Action: "approve"}); err != nil {
		t.Fatal(err)
	}
	approved := f.submit("a1", "Bo", "Another thoughtful comment about the talks.")
	f.rules(events.CommentApproved, "a1", approved, events.Decision{})
	pending := f.submit("a2", "Cy", "A third thoughtful comment, not decided yet.")

	rs := moderation.DefaultRuleset()
	r, err := commands.DryRun(f.ctx, f.log, rs, "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Comments != 3 || r.Counts["hold->approve"] != 1 || r.Counts["approve->approve"] != 1 || r.Counts["pending->approve"] != 1 || len(r.Changes) != 2 {
		t.Fatalf("report %+v", r)
	}
	if c := r.Changes[0]; c.Comment != held || c.Was != "hold" || c.Now != "approve" || c.Human != "approve" || c.Article != "a1" {
		t.Fatalf("the held comment: %+v", c)
	}
	if c := r.Changes[1]; c.Comment != pending || c.Human != "" {
		t.Fatalf("the pending comment: %+v", c)
	}
	if r, err := commands.DryRun(f.ctx, f.log, rs, "a2"); err != nil || r.Comments != 1 {
		t.Fatalf("one article: %+v %v", r, err)
	}
	if _, err := commands.DryRun(f.ctx, f.log, rs, "a.b"); !errors.Is(err, events.ErrInvalid) {
		t.Fatalf("a bad article id: %v", err)
	}
}
