package projections

import (
	"testing"
	"time"

	"github.com/newsroom/commentd/events"
)

func foldEvent(t *testing.T, typ events.Type, comment, actor string, seq uint64, payload any) events.Envelope {
	t.Helper()
	e, err := events.New("e", typ, "a1", comment, actor, "", time.Unix(1000, 0), payload)
	if err != nil {
		t.Fatal(err)
	}
	e.Seq = seq
	return e
}

func TestFold(t *testing.T) {
	sub := foldEvent(t, events.CommentSubmitted, "c1", events.ActorReader, 1, events.Submitted{Author: "A", AuthorID: "name:a", Text: "t", ParentID: "p"})
	ch := Fold(Comment{}, sub)
	if !ch.Changed || ch.Before.ID != "" || ch.After.ID != "c1" || ch.After.Status != Pending || ch.After.SubmittedSeq != 1 || ch.After.Seq != 1 || ch.After.ParentID != "p" {
		t.Fatalf("submit: %+v", ch)
	}
	c := ch.After

	// A duplicate submission moves only Seq.
	dup := sub
	dup.Seq = 5
	if ch := Fold(c, dup); ch.Changed || ch.After.Seq != 5 || ch.After.SubmittedSeq != 1 || ch.After.Status != Pending {
		t.Fatalf("duplicate: %+v", ch)
	}

	// A decision of a comment never submitted changes nothing.
	rej := foldEvent(t, events.CommentRejected, "c9", events.RulesActor("v1"), 6, events.Decision{Reason: "spam"})
	if ch := Fold(Comment{}, rej); ch.Changed || ch.Known() {
		t.Fatalf("unknown decided: %+v", ch)
	}

	// A person approves; the rules may not override, but Seq moves.
	ok := foldEvent(t, events.CommentApproved, "c1", "mod:alice", 7, events.Decision{Reason: "fine", Message: "m"})
	ch = Fold(c, ok)
	if !ch.Changed || ch.Before.Status != Pending || ch.After.Status != Approved || ch.After.DecidedBy != "mod:alice" || ch.After.Reason != "fine" || ch.After.Seq != 7 {
		t.Fatalf("approve: %+v", ch)
	}
	c = ch.After
	rules := foldEvent(t, events.CommentRejected, "c1", events.RulesActor("v1"), 8, events.Decision{Reason: "spam"})
	if ch := Fold(c, rules); ch.Changed || ch.After.Status != Approved || ch.After.Seq != 8 {
		t.Fatalf("rules over a person: %+v", ch)
	}

	// An event of another comment, or one that is not the comment's own
	// (a report), leaves the state alone.
	other := foldEvent(t, events.CommentRejected, "c2", "mod:alice", 9, events.Decision{})
	if ch := Fold(c, other); ch.Changed || ch.After.Seq != 7 {
		t.Fatalf("other comment: %+v", ch)
	}
	rep := foldEvent(t, events.CommentReported, "c1", events.ActorReader, 10, events.Reported{ReporterID: "r", Reason: "x"})
	if ch := Fold(c, rep); ch.Changed || ch.After.Seq != 7 {
		t.Fatalf("report: %+v", ch)
	}
}

func TestFoldEdits(t *testing.T) {
	ev := func(id string, typ events.Type, actor string, seq uint64, payload any) events.Envelope {
		e := foldEvent(t, typ, "c1", actor, seq, payload)
		e.ID = id
		return e
	}
	fold := func(c Comment, es ...events.Envelope) Comment {
		for _, e := range es {
			c = Fold(c, e).After
		}
		return c
	}
	sub := ev("s", events.CommentSubmitted, events.ActorReader, 1, events.Submitted{Author: "A", AuthorID: "name:a", Text: "v1"})
	rules := events.RulesActor("r1")
	approved := fold(Comment{}, sub, ev("d1", events.CommentApproved, rules, 2, events.Decision{}))

	// A published comment's edit waits; readers keep the text.
	edited := fold(approved, ev("e1", events.CommentEdited, events.ActorReader, 3, events.Edited{Text: "v2"}))
	if edited.Status != Approved || edited.Text != "v1" || edited.Edit == nil || edited.Edit.Status != Pending || edited.Edit.Text != "v2" || edited.Seq != 3 {
		t.Fatalf("edit waiting: %+v", edited)
	}
	// Approved: the new text shows.
	c := fold(edited, ev("d2", events.CommentApproved, rules, 4, events.Decision{Edit: "e1"}))
	if c.Text != "v2" || c.Edit != nil || c.EditedAt.IsZero() || c.Status != Approved {
		t.Fatalf("edit approved: %+v", c)
	}
	// Held, then a person rejects it: the published text stays.
	c = fold(edited, ev("d2", events.CommentHeld, rules, 4, events.Decision{Reason: "links", Edit: "e1"}))
	if c.Text != "v1" || c.Status != Approved || c.Edit.Status != Held || !c.AwaitsModerator() {
		t.Fatalf("edit held: %+v", c)
	}
	c = fold(c, ev("d3", events.CommentRejected, "moderator:m", 5, events.Decision{Reason: "spam", Edit: "e1"}))
	if c.Text != "v1" || c.Status != Approved || c.Edit.Status != Rejected || c.AwaitsModerator() {
		t.Fatalf("edit rejected by a person: %+v", c)
	}
	// The rules never override a person's decision on an edit.
	if c2 := fold(c, ev("d4", events.CommentApproved, rules, 6, events.Decision{Edit: "e1"})); c2.Text != "v1" || c2.Edit.Status != Rejected {
		t.Fatalf("rules over a person's decision on an edit: %+v", c2)
	}
	// A decision on an edit a newer one replaced decides nothing.
	two := fold(edited, ev("e2", events.CommentEdited, events.ActorReader, 4, events.Edited{Text: "v3"}))
	if c := fold(two, ev("d2", events.CommentApproved, rules, 5, events.Decision{Edit: "e1"})); c.Text != "v1" || c.Edit.ID != "e2" {
		t.Fatalf("stale decision: %+v", c)
	}
	// A comment not yet published takes the new text at once and waits
	// for the rules again; their decision on the edit is the comment's.
	held := fold(Comment{}, sub, ev("d1", events.CommentHeld, rules, 2, events.Decision{Reason: "links"}))
	c = fold(held, ev("e1", events.CommentEdited, events.ActorReader, 3, events.Edited{Text: "v2"}))
	if c.Text != "v2" || c.Status != Pending || c.Edit != nil || c.Reason != "" {
		t.Fatalf("held, edited: %+v", c)
	}
	c = fold(c, ev("d2", events.CommentApproved, rules, 4, events.Decision{Edit: "e1"}))
	if c.Text != "v2" || c.Status != Approved {
		t.Fatalf("held, edited, approved: %+v", c)
	}
	// A moderator's decision on the comment itself drops a waiting edit.
	c = fold(edited, ev("d2", events.CommentRejected, "moderator:m", 4, events.Decision{Reason: "spam"}))
	if c.Status != Rejected || c.Edit != nil {
		t.Fatalf("comment removed while its edit waited: %+v", c)
	}
	// An erasure takes the edit with the text.
	c = fold(edited, ev("x", events.AuthorErased, "operator:o", 9, events.Erasure{}))
	if c.Edit != nil || c.Text != events.Removed {
		t.Fatalf("erased: %+v", c)
	}
}
