package projections

import (
	"testing"
	"time"

	"github.com/newsroom/commentd/events"
)

// TestRedeliveredSubmissionMovesSeq: a submission delivered again from the
// dead letters changes nothing a reader sees, but the comment's next
// decision is expected after the copy, so Seq must follow it.
func TestRedeliveredSubmissionMovesSeq(t *testing.T) {
	s := NewReference()
	sub, err := events.New("e1", events.CommentSubmitted, "a1", "c1", events.ActorReader, "", time.Now(), events.Submitted{Author: "A", Text: "t"})
	if err != nil {
		t.Fatal(err)
	}
	sub.Seq = 1
	s.Apply(sub)
	sub.Seq = 7
	if ch := s.Apply(sub); ch.Changed {
		t.Fatalf("the copy changed the views: %+v", ch)
	}
	c, _ := s.Comment("c1")
	if c.Seq != 7 || c.SubmittedSeq != 1 || c.Status != Pending {
		t.Fatalf("comment after the copy = seq %d, submitted %d, %s; want 7, 1, pending", c.Seq, c.SubmittedSeq, c.Status)
	}
}
