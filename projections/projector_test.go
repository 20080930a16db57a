package projections

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/internal/poll"
)

// An undecodable event at the end of the stream is skipped, but it must
// not leave the projector short of caught up, or /readyz would say "not
// ready" until the next good event.
func TestUndecodableLastEventStillCatchesUp(t *testing.T) {
	_, js := natstest.Connect(t, natstest.Server(t))
	ctx := context.Background()
	l, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e, _ := events.New(uuid.NewString(), events.CommentSubmitted, "a1", uuid.NewString(), events.ActorReader, "", time.Now(), events.Submitted{Author: "A", Text: "x"})
	if _, err := l.Append(ctx, e); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "comments.a1."+uuid.NewString()+".submitted", []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	if err := OpenStatusView(ctx, js, 1); err != nil {
		t.Fatal(err)
	}
	sv, err := AttachStatusView(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	p := &Projector{Log: l, Status: sv}
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { p.Run(rctx) })
	defer func() { cancel(); wg.Wait() }()
	poll.Until(t, 10*time.Second, func() error {
		if !p.Ready(0) {
			return fmt.Errorf("not ready; applied %d", p.applied.Load())
		}
		return nil
	})
	// Ready judges by the stream's newest sequence, not by the lag seen
	// with the last delivery, which stays put when deliveries stop.
	if applied := p.applied.Load(); p.Ready(applied+p.MaxLag+1) || !p.Ready(applied+p.MaxLag) {
		t.Fatalf("Ready around MaxLag %d past applied %d is wrong", p.MaxLag, applied)
	}
}
