package commands_test

import (
	"slices"
	"testing"

	"github.com/newsroom/commentd/commands"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// An undo is a compensating decision: the comment returns to the state
// before the moderator's decision, evidence included, the log keeps both
// decisions, and the undo names the undone one as its cause. It takes back
// only what the moderator saw.
func TestUndo(t *testing.T) {
	f := newFixture(t, commands.Config{})
	id := f.submit("a1", "Anna", "See https://example.org")
	ev := []events.Evidence{{Rule: "links", Start: 4, End: 23, Match: "https://example.org"}}
	held := f.rules(events.CommentHeld, "a1", id, events.Decision{Reason: "links", Rules: []string{"links"}, Evidence: ev})
	f.catchUp()

	// Nothing a person decided yet: nothing to undo.
	_, err := f.cmd.Decide(f.ctx, mia, commands.Decision{Comment: id, Action: "undo", ExpectedSeq: &held})
	refusal(t, err, events.ErrInvalid, "nothing_to_undo", "action")
	_, err = f.cmd.Decide(f.ctx, mia, commands.Decision{Comment: id, Action: "undo"})
	refusal(t, err, events.ErrInvalid, "missing_field", "expected_seq")

	approved, err := f.cmd.Decide(f.ctx, mia, commands.Decision{Comment: id, Action: "approve", ExpectedSeq: &held})
	if err != nil || approved.Status != projections.Approved {
		t.Fatalf("approve: %+v %v", approved, err)
	}
	stale := held
	_, err = f.cmd.Decide(f.ctx, mia, commands.Decision{Comment: id, Action: "undo", ExpectedSeq: &stale})
	refusal(t, err, events.ErrConflict, "conflict", "")

	back, err := f.cmd.Decide(f.ctx, mia, commands.Decision{Comment: id, Action: "undo", ExpectedSeq: &approved.Seq})
	if err != nil || back.Status != projections.Held || back.Reason != "links" || !slices.Equal(back.Rules, []string{"links"}) ||
		len(back.Evidence) != 1 || back.Evidence[0] != ev[0] || back.DecidedBy != mia {
		t.Fatalf("after the undo: %+v %v", back, err)
	}
	st, err := f.cmd.State(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var types []events.Type
	for _, e := range st.History {
		types = append(types, e.Type)
	}
	if want := []events.Type{events.CommentSubmitted, events.CommentHeld, events.CommentApproved, events.CommentHeld}; !slices.Equal(types, want) {
		t.Fatalf("history %v, want %v", types, want)
	}
	if h := st.History; h[3].CausationID != h[2].ID || h[3].Actor != mia {
		t.Fatalf("the undo's cause is %q by %s, want the approval %q", h[3].CausationID, h[3].Actor, h[2].ID)
	}
	// A person's hold stands against the rules.
	f.rules(events.CommentApproved, "a1", id, events.Decision{})
	if st, _ := f.cmd.State(f.ctx, id); st.Comment.Status != projections.Held {
		t.Fatalf("the rules overrode the undo: %+v", st.Comment)
	}

	// Undo of a removal: a published comment removed and put back.
	pub := f.submit("a1", "Bo", "Fine")
	seq := f.rules(events.CommentApproved, "a1", pub, events.Decision{})
	f.catchUp()
	removed, err := f.cmd.Decide(f.ctx, mia, commands.Decision{Comment: pub, Action: "reject", Reason: "abusive", ExpectedSeq: &seq})
	if err != nil {
		t.Fatal(err)
	}
	restored, err := f.cmd.Decide(f.ctx, mia, commands.Decision{Comment: pub, Action: "undo", ExpectedSeq: &removed.Seq})
	if err != nil || restored.Status != projections.Approved || restored.Reason != "" {
		t.Fatalf("after undoing the removal: %+v %v", restored, err)
	}
}
