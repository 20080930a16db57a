package projections

import (
	"bytes"
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

// A snapshot that decodes and names the log's last sequence but lost its
// comments is not trusted: the projector rebuilds from the log and serves
// every comment. A true snapshot of the same log is restored.
func TestSnapshotThatDoesNotMatchTheLogIsRebuilt(t *testing.T) {
	_, js := natstest.Connect(t, natstest.Server(t))
	ctx := context.Background()
	l, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	snaps, err := OpenSnapshots(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 5 {
		id := uuid.NewString()
		e, _ := events.New(uuid.NewString(), events.CommentSubmitted, "a1", id, events.ActorReader, "", time.Now(), events.Submitted{Author: "A", Text: "x"})
		if _, err := l.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	last, err := l.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}

	restore := func(snapshot *Store) (*Projector, *Store) {
		t.Helper()
		var buf bytes.Buffer
		if err := snapshot.WriteSnapshot(&buf); err != nil {
			t.Fatal(err)
		}
		if _, err := snaps.PutBytes(ctx, snapshotObject, buf.Bytes()); err != nil {
			t.Fatal(err)
		}
		p := &Projector{Log: l, Store: NewStore(), Snapshots: snaps}
		rctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Go(func() { p.Run(rctx) })
		t.Cleanup(func() { cancel(); wg.Wait() })
		poll.True(t, 10*time.Second, "caught up", func() bool { return p.Ready(last) })
		return p, p.Store
	}

	// Forged: the sequence kept, the comments gone.
	forged := NewStore()
	forged.Apply(events.Envelope{Seq: last, Type: events.ArticleSettingsChanged})
	p, store := restore(forged)
	if p.savedSeq.Load() != 0 {
		t.Fatalf("the forged snapshot was restored (at %d)", p.savedSeq.Load())
	}
	for _, id := range ids {
		if _, ok := store.Comment(id); !ok {
			t.Fatalf("comment %s missing after the forged snapshot was refused", id)
		}
	}

	// True: the store the log builds.
	p, _ = restore(store)
	if p.savedSeq.Load() != last {
		t.Fatalf("a true snapshot at %d was not restored (saved seq %d)", last, p.savedSeq.Load())
	}
}

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
	p := &Projector{Log: f.log, Store: NewStore(), Status: f.view, Views: []ViewWriter{rec}}
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
