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
