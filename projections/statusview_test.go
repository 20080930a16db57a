package projections

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/internal/poll"
)

type viewFixture struct {
	t    *testing.T
	js   jetstream.JetStream
	log  *events.Log
	view *StatusView
}

func newViewFixture(t *testing.T) *viewFixture {
	t.Helper()
	_, js := natstest.Connect(t, natstest.Server(t))
	ctx := context.Background()
	l, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := OpenStatusView(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	v, err := AttachStatusView(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	return &viewFixture{t: t, js: js, log: l, view: v}
}

func (f *viewFixture) submit(id string) events.Envelope {
	f.t.Helper()
	e, _ := events.New(uuid.NewString(), events.CommentSubmitted, "a1", id, events.ActorReader, "", time.Now(), events.Submitted{Author: "A", Text: "x"})
	seq, err := f.log.Append(context.Background(), e)
	if err != nil {
		f.t.Fatal(err)
	}
	e.Seq = seq
	return e
}

func (f *viewFixture) decide(sub events.Envelope, t events.Type, reason string) uint64 {
	f.t.Helper()
	e, _ := events.New(uuid.NewString(), t, "a1", sub.Comment, events.RulesActor("v1"), sub.ID, time.Now(), events.Decision{Reason: reason, Message: "m:" + reason})
	seq, err := f.log.AppendAfter(context.Background(), e, sub.Seq)
	if err != nil {
		f.t.Fatal(err)
	}
	return seq
}

// run runs a projector writing the view until it has checkpointed the
// stream's last sequence, then stops it.
func (f *viewFixture) run(store *Reference) {
	f.t.Helper()
	ctx := context.Background()
	p := &Projector{Log: f.log, Status: f.view}
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var runErr error
	wg.Go(func() { runErr = p.Run(rctx) })
	last, err := f.log.LastSeq(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	poll.Until(f.t, 10*time.Second, func() error {
		cp, err := f.view.Checkpoint(ctx)
		if err != nil || cp != last {
			return fmt.Errorf("checkpoint %d (%v), want %d", cp, err, last)
		}
		return nil
	})
	cancel()
	wg.Wait()
	if runErr != nil {
		f.t.Fatal(runErr)
	}
}

func (f *viewFixture) want(id string, status Status, reason string) {
	f.t.Helper()
	st, err := f.view.Status(context.Background(), id)
	if err != nil {
		f.t.Fatalf("status of %s: %v", id, err)
	}
	if st.Status != status || st.Reason != reason || st.Article != "a1" {
		f.t.Fatalf("status of %s = %+v, want %s %q", id, st, status, reason)
	}
}

func (f *viewFixture) revision(id string) uint64 {
	f.t.Helper()
	e, err := f.view.kv.Get(context.Background(), statusPrefix+id)
	if err != nil {
		f.t.Fatal(err)
	}
	return e.Revision()
}

// TestStatusViewResumesFromCheckpoint: a restarted projector (here with an
// empty store, so it replays the whole log for its own models) writes
// nothing for events at or below the view's checkpoint, and goes on from
// there with the new ones.
func TestStatusViewResumesFromCheckpoint(t *testing.T) {
	f := newViewFixture(t)
	c1, c2, c3 := uuid.NewString(), uuid.NewString(), uuid.NewString()
	s1 := f.submit(c1)
	f.decide(s1, events.CommentApproved, "clean")
	s2 := f.submit(c2)
	f.run(NewReference())
	f.want(c1, Approved, "clean")
	f.want(c2, Pending, "")
	rev1, rev2 := f.revision(c1), f.revision(c2)

	f.decide(s2, events.CommentRejected, "spam")
	f.submit(c3)
	f.run(NewReference())
	f.want(c1, Approved, "clean")
	f.want(c2, Rejected, "spam")
	f.want(c3, Pending, "")
	if got := f.revision(c1); got != rev1 {
		t.Fatalf("status.%s rewritten on restart (revision %d -> %d): events below the checkpoint were applied again", c1, rev1, got)
	}
	if got := f.revision(c2); got == rev2 {
		t.Fatal("the rejection after the checkpoint was not written")
	}
	if st, _ := f.view.Status(context.Background(), c2); st.Message != "m:spam" {
		t.Fatalf("message = %q", st.Message)
	}
}

// TestStatusViewRedeliveryChangesNothing: a projector fed the same events
// again (restart from an old position, a redelivered submission from the
// dead letters) leaves every entry as it was.
func TestStatusViewRedeliveryChangesNothing(t *testing.T) {
	f := newViewFixture(t)
	c1 := uuid.NewString()
	s1 := f.submit(c1)
	f.decide(s1, events.CommentRejected, "spam")
	f.run(NewReference())
	before, _ := f.view.Status(context.Background(), c1)

	// The same submission again (as the dead letters redeliver it): a new
	// sequence, the same comment, whose rejection must stand.
	f.submit(c1)
	f.run(NewReference())
	after, err := f.view.Status(context.Background(), c1)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != before.Status || after.Reason != before.Reason || after.Message != before.Message {
		t.Fatalf("redelivery changed the entry: %+v -> %+v", before, after)
	}
}

// TestStatusViewBehindSnapshot: the store comes back from a snapshot newer
// than the view's checkpoint (a view added to a running deployment); the
// projector follows from the older and fills the view without applying
// anything twice to the store.
func TestStatusViewBehindSnapshot(t *testing.T) {
	f := newViewFixture(t)
	c1 := uuid.NewString()
	s1 := f.submit(c1)
	f.decide(s1, events.CommentHeld, "links")
	store := NewReference()
	if err := f.log.Replay(context.Background(), 1, nil, func(e events.Envelope) error {
		store.Apply(e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	f.run(store)
	f.want(c1, Held, "links")
}

func TestStatusViewUnknownAndInvalid(t *testing.T) {
	f := newViewFixture(t)
	for _, id := range []string{uuid.NewString(), "not.an.id", "", "a*b"} {
		if _, err := f.view.Status(context.Background(), id); !errors.Is(err, events.ErrNotFound) {
			t.Fatalf("Status(%q) = %v, want not found", id, err)
		}
	}
}
