package commands

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/projections"
)

// The worker decides between the moderator's read of the comment and the
// moderator's append: the stream refuses the append, and the moderator
// gets a conflict with the worker's decision, read again from the log.
func TestDecisionLosingAtTheStreamShowsTheWinner(t *testing.T) {
	_, js := natstest.Connect(t, natstest.Server(t))
	ctx := context.Background()
	l, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	views := NewFoldViews()
	s := New(Config{Log: l, Views: views})
	res, err := s.Submit(ctx, Submission{Article: "a1", Author: "Anna", AuthorID: events.AnonymousAuthorID("Anna"), Text: "Hi"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.stateOf(ctx, "a1", res.ID)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := events.New(uuid.NewString(), events.CommentApproved, "a1", res.ID, events.RulesActor("v1"), "", time.Now(), events.Decision{Rules: []string{"default"}})
	if _, err := l.AppendAfter(ctx, w, st.Comment.Seq); err != nil {
		t.Fatal(err)
	}
	_, err = s.decide(ctx, "moderator:mia", events.CommentRejected, Decision{Comment: res.ID, Action: "reject", Reason: "spam"}, st, "")
	ce, ok := errors.AsType[*Error](err)
	if !ok || !errors.Is(err, events.ErrConflict) || ce.Current == nil || ce.Current.Status != projections.Approved || ce.Current.DecidedBy != events.RulesActor("v1") {
		t.Fatalf("got %v (%+v), want a conflict showing the worker's approval", err, ce)
	}
	if hist, _ := l.History(ctx, "a1", res.ID); len(hist) != 2 {
		t.Fatalf("%d events; the losing decision was stored", len(hist))
	}
}
