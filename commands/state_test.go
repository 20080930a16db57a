package commands_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/commands"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/internal/poll"
	"github.com/newsroom/commentd/projections"
)

// A decision and the moderators' history find the comment's article in the
// comment status view the projector writes, so views that do not hold the
// comment are no obstacle, and an id nobody stored is a miss in that view:
// nothing is asked of the log (no wildcard query per unknown id).
func TestStateFindsTheCommentInTheStatusView(t *testing.T) {
	ns := natstest.Server(t)
	ctx := context.Background()
	logConn, js := natstest.Connect(t, ns)
	l, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := projections.OpenStatusView(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	viewConn, vjs := natstest.Connect(t, ns)
	view, err := projections.AttachStatusView(ctx, vjs)
	if err != nil {
		t.Fatal(err)
	}
	_, pjs := natstest.Connect(t, ns)
	plog, err := events.Attach(ctx, pjs)
	if err != nil {
		t.Fatal(err)
	}
	pview, err := projections.AttachStatusView(ctx, pjs)
	if err != nil {
		t.Fatal(err)
	}
	pctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		p := &projections.Projector{Log: plog, Status: pview}
		if err := p.Run(pctx); err != nil && !errors.Is(err, context.Canceled) {
			t.Error(err)
		}
	})
	t.Cleanup(func() { stop(); wg.Wait() })

	// These views never see anything: only the status view can say where
	// a comment is.
	cmd := commands.New(commands.Config{Log: l, Views: commands.NewFoldViews(), Status: view})
	res, err := cmd.Submit(ctx, commands.Submission{Article: "a7", Author: "Anna", AuthorID: events.AnonymousAuthorID("Anna"), Text: "Hello"})
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, func() error {
		_, err := view.Status(ctx, res.ID)
		return err
	})
	c, err := cmd.Decide(ctx, "moderator:mia", commands.Decision{Comment: res.ID, Action: "approve"})
	if err != nil || c.Status != projections.Approved || c.Article != "a7" {
		t.Fatalf("decision through the status view: %+v %v", c, err)
	}
	st, err := cmd.State(ctx, res.ID)
	if err != nil || len(st.History) != 2 || st.Comment.Status != projections.Approved {
		t.Fatalf("history: %+v %v", st, err)
	}

	logOut, viewOut := logConn.Stats().OutMsgs, viewConn.Stats().OutMsgs
	for range 20 {
		if _, err := cmd.State(ctx, uuid.NewString()); !errors.Is(err, events.ErrNotFound) {
			t.Fatalf("an unknown comment: %v", err)
		}
		if _, err := cmd.Decide(ctx, "moderator:mia", commands.Decision{Comment: uuid.NewString(), Action: "approve"}); !errors.Is(err, events.ErrNotFound) {
			t.Fatalf("a decision on an unknown comment: %v", err)
		}
	}
	for _, bad := range []string{"", "a.b", "comments.*", ">"} {
		if _, err := cmd.State(ctx, bad); !errors.Is(err, events.ErrNotFound) {
			t.Fatalf("malformed id %q: %v", bad, err)
		}
	}
	if got := logConn.Stats().OutMsgs; got != logOut {
		t.Fatalf("unknown ids sent %d requests on the log's connection; want none", got-logOut)
	}
	if got := viewConn.Stats().OutMsgs; got < viewOut+40 {
		t.Fatalf("the status view was asked %d times for 40 unknown ids", got-viewOut)
	}
}

// Fold is the views' own fold: a history folds to what the views hold.
func TestFoldAgreesWithTheViews(t *testing.T) {
	f := newFixture(t, commands.Config{})
	id := f.submit("a1", "Anna", "Text")
	f.rules(events.CommentHeld, "a1", id, events.Decision{Reason: "links", Rules: []string{"links"}})
	if _, err := f.cmd.Decide(f.ctx, mia, commands.Decision{Comment: id, Action: "approve"}); !errors.Is(err, events.ErrNotFound) {
		t.Fatalf("views that never saw the comment: %v", err)
	}
	f.catchUp()
	if _, err := f.cmd.Decide(f.ctx, mia, commands.Decision{Comment: id, Action: "approve"}); err != nil {
		t.Fatal(err)
	}
	f.rules(events.CommentRejected, "a1", id, events.Decision{Reason: "spam"}) // stands not against a person
	f.catchUp()
	hist, err := f.log.History(f.ctx, "a1", id)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := commands.Fold(hist)
	want, _ := f.views.Comment(f.ctx, id)
	if !ok || got.Status != projections.Approved || got.Seq != want.Seq || got.Status != want.Status || got.DecidedBy != want.DecidedBy {
		t.Fatalf("fold %+v, views %+v", got, want)
	}
	if _, ok := commands.Fold(hist[1:]); ok {
		t.Fatal("a history without its submission folded to a comment")
	}
}
