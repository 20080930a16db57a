package projections

import (
	"bytes"
	"testing"
	"time"

	"github.com/newsroom/commentd/events"
)

func ev(t *testing.T, seq uint64, typ events.Type, comment, actor string, payload any) events.Envelope {
	t.Helper()
	e, err := events.New("e"+comment+string(typ)+actor, typ, "a1", comment, actor, "", time.Now(), payload)
	if err != nil {
		t.Fatal(err)
	}
	e.Seq = seq
	return e
}

// TestCountsFollowEveryChange checks the per-status counts behind the queue
// depth gauges, across decisions, a redelivered submission and a snapshot.
func TestCountsFollowEveryChange(t *testing.T) {
	s := NewStore()
	sub := events.Submitted{Author: "A", Text: "t"}
	s.Apply(ev(t, 1, events.CommentSubmitted, "c1", events.ActorReader, sub))
	s.Apply(ev(t, 2, events.CommentSubmitted, "c2", events.ActorReader, sub))
	s.Apply(ev(t, 3, events.CommentHeld, "c1", events.RulesActor("v1"), events.Decision{Reason: "link", Rules: []string{"links"}}))
	ch := s.Apply(ev(t, 4, events.CommentRejected, "c1", events.ModeratorActor+"m", events.Decision{Reason: "spam"}))
	if ch.Before != Held || ch.BeforeActor != events.RulesActor("v1") || len(ch.BeforeRules) != 1 || ch.BeforeRules[0] != "links" {
		t.Fatalf("change = %+v, want the replaced rules decision", ch)
	}
	// c2 delivered again from the dead letters: still one pending comment,
	// decided after the copy.
	s.Apply(ev(t, 5, events.CommentSubmitted, "c2", events.ActorReader, sub))
	if c, _ := s.Comment("c2"); c.Seq != 5 {
		t.Fatalf("c2 Seq = %d after its redelivery at 5", c.Seq)
	}
	want := map[Status]int{Pending: 1, Held: 0, Rejected: 1, Approved: 0}
	check := func(s *Store) {
		t.Helper()
		for st, n := range want {
			if got := s.Count(st); got != n {
				t.Errorf("Count(%s) = %d, want %d", st, got, n)
			}
		}
	}
	check(s)
	var buf bytes.Buffer
	if err := s.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	restored := NewStore()
	if err := restored.LoadSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	check(restored)
}
