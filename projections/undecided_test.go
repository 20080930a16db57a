package projections

import (
	"testing"

	"github.com/newsroom/commentd/events"
)

func TestOldestUndecided(t *testing.T) {
	h := &history{t: t}
	rules := events.RulesActor("v1")
	s := NewReference()
	if _, ok := s.OldestUndecided(); ok {
		t.Fatal("an empty store has an undecided comment")
	}
	s.Apply(h.submit("c1")) // at 1s
	s.Apply(h.submit("c2")) // at 2s
	s.Apply(h.submit("c3")) // at 3s
	check := func(want int64, wantOK bool) {
		t.Helper()
		at, ok := s.OldestUndecided()
		if ok != wantOK || (ok && at.Unix() != want) {
			t.Fatalf("OldestUndecided = %v, %v; want %ds, %v", at.Unix(), ok, want, wantOK)
		}
	}
	check(1, true)
	s.Apply(h.decide(events.CommentApproved, "c1", rules))
	check(2, true)
	// Held waits for a person, not for the rules: decided.
	s.Apply(h.decide(events.CommentHeld, "c2", rules))
	check(3, true)

	s.Apply(h.decide(events.CommentRejected, "c3", rules))
	check(0, false)
}
