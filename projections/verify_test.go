package projections

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/internal/poll"
)

// The comment view's keys lost but its checkpoint kept (a purge, a
// restore of the wrong backup): the projector notices at start and
// rebuilds the views from sequence 1, so every comment is back.
func TestCommentViewThatDoesNotMatchTheLogIsRebuilt(t *testing.T) {
	f := newViewFixture(t)
	rec := newRecordingView(t, f)
	var ids []string
	for range 3 {
		id := uuid.NewString()
		f.submit(id)
		ids = append(ids, id)
	}
	f.runViews(rec)
	ctx := context.Background()
	for _, id := range ids {
		if err := f.view.kv.Purge(ctx, statusPrefix+id); err != nil {
			t.Fatal(err)
		}
	}
	// The checkpoints already name the last sequence, so wait for the
	// comments rather than for them.
	p := &Projector{Log: f.log, Status: f.view, Views: []ViewWriter{rec}}
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { p.Run(rctx) })
	defer func() { cancel(); wg.Wait() }()
	poll.Until(t, 10*time.Second, func() error {
		for _, id := range ids {
			if _, err := f.view.Comment(ctx, id); err != nil {
				return fmt.Errorf("comment %s after the restart: %v", id, err)
			}
		}
		return nil
	})
}
