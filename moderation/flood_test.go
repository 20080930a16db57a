package moderation

import (
	"fmt"
	"testing"
	"time"
)

func TestFloodTracker(t *testing.T) {
	f := NewFloodTracker()
	t0 := time.Unix(1000, 0)
	w := time.Minute
	steps := []struct {
		event, author, text string
		at                  time.Duration
		want                FloodStats
	}{
		{"e1", "a", "Buy now!", 0, FloodStats{1, 1}},
		{"e2", "b", "b u y   N.O.W!!", time.Second, FloodStats{2, 1}}, // the same text, disguised
		{"e3", "a", "something else", 2 * time.Second, FloodStats{1, 2}},
		{"e2", "b", "b u y   N.O.W!!", 3 * time.Second, FloodStats{2, 1}}, // redelivered: counted once
		{"e4", "c", "Buy now!", 61 * time.Second, FloodStats{2, 1}},       // e1 left the window
		{"e5", "a", "x", 200 * time.Second, FloodStats{1, 1}},             // everything before left
	}
	for _, s := range steps {
		if got := f.Observe(s.event, s.author, s.text, t0.Add(s.at), w); got != s.want {
			t.Fatalf("Observe(%s) = %+v, want %+v", s.event, got, s.want)
		}
	}
}

func TestFloodTrackerIsBounded(t *testing.T) {
	f := NewFloodTracker()
	t0 := time.Unix(1000, 0)
	for i := range maxFloodObservations + 10 {
		f.Observe(fmt.Sprint(i), "a", "t", t0, time.Hour)
	}
	if n := len(f.obs) - f.head; n > maxFloodObservations || len(f.seen) > maxFloodObservations {
		t.Fatalf("%d observations kept", n)
	}
	if got := f.Observe("last", "a", "t", t0, time.Hour); got.AuthorRecentCount > maxFloodObservations {
		t.Fatalf("counts not bounded: %+v", got)
	}
}
