package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/poll"
)

// recordingView is a view that stores, per comment, the status it last
// saw and the transitions it was told of.
type recordingView struct {
	kv jetstream.KeyValue
	// big, while > 0, makes the next write too large for the bucket: the
	// server refuses it.
	big    int
	mu     sync.Mutex
	seen   []Update
	resets int
}

func (v *recordingView) Bucket() jetstream.KeyValue { return v.kv }
func (v *recordingView) Reset() {
	v.mu.Lock()
	v.resets++
	v.mu.Unlock()
}

func (v *recordingView) Apply(_ context.Context, u *Update, b *Batch) error {
	v.mu.Lock()
	v.seen = append(v.seen, *u)
	big := v.big > 0
	if big {
		v.big--
	}
	v.mu.Unlock()
	if !u.Touched() {
		return nil
	}
	val := []byte(fmt.Sprintf("%s %s>%s %d", u.Latest.Status, u.Change.Before.Status, u.Change.After.Status, u.Event.Seq))
	if big {
		val = []byte(strings.Repeat("x", 4096))
	}
	b.Put("c."+u.Change.After.ID, val)
	return nil
}

func (v *recordingView) updates() []Update {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]Update(nil), v.seen...)
}

func newRecordingView(t *testing.T, f *viewFixture) *recordingView {
	t.Helper()
	kv, err := f.js.CreateKeyValue(context.Background(), jetstream.KeyValueConfig{Bucket: "VIEW_TEST", MaxValueSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	return &recordingView{kv: kv}
}

// runViews runs a projector with the extra views until every view has
// checkpointed the stream's last sequence.
func (f *viewFixture) runViews(views ...ViewWriter) {
	f.t.Helper()
	ctx := context.Background()
	p := &Projector{Log: f.log, Status: f.view, Views: views}
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var runErr error
	wg.Go(func() { runErr = p.Run(rctx) })
	last, err := f.log.LastSeq(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	poll.Until(f.t, 10*time.Second, func() error {
		for _, v := range append([]ViewWriter{commentWriter{f.view}}, views...) {
			cp, err := readCheckpoint(ctx, v.Bucket())
			if err != nil || cp != last {
				return fmt.Errorf("%s checkpoint %d (%v), want %d", v.Bucket().Bucket(), cp, err, last)
			}
		}
		return nil
	})
	cancel()
	wg.Wait()
	if runErr != nil {
		f.t.Fatal(runErr)
	}
}

func (f *viewFixture) reply(id, parent string) events.Envelope {
	f.t.Helper()
	e, _ := events.New(uuid.NewString(), events.CommentSubmitted, "a1", id, events.ActorReader, "", time.Now(), events.Submitted{Author: "A", Text: "re", ParentID: parent})
	seq, err := f.log.Append(context.Background(), e)
	if err != nil {
		f.t.Fatal(err)
	}
	e.Seq = seq
	return e
}

// TestCommentViewHoldsState: the comment view keeps each comment's whole
// state, with its depth and ancestors, while GET's entry shows only the
// status.
func TestCommentViewHoldsState(t *testing.T) {
	f := newViewFixture(t)
	root, mid, leaf := uuid.NewString(), uuid.NewString(), uuid.NewString()
	s := f.submit(root)
	f.decide(s, events.CommentApproved, "clean")
	f.reply(mid, root)
	f.reply(leaf, mid)
	f.run(NewReference())
	c, err := f.view.Comment(context.Background(), leaf)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != leaf || c.Text != "re" || c.ParentID != mid || c.Depth != 2 || len(c.Ancestors) != 2 || c.Ancestors[0] != mid || c.Ancestors[1] != root {
		t.Fatalf("leaf = %+v", c)
	}
	r, err := f.view.Comment(context.Background(), root)
	if err != nil || r.Status != Approved || r.Depth != 0 || r.Reason != "clean" || r.SubmittedSeq == 0 {
		t.Fatalf("root = %+v, %v", r, err)
	}
	f.want(root, Approved, "clean")
}

// TestPipelineReplaysAfterCrash: the views' writes after the last
// checkpoint landed but the checkpoint did not (a crash). On restart the
// comment view is ahead of those events: the views are told what each
// event changed, from the comment's history, and Latest is the newest
// state, so nothing goes back in time.
func TestPipelineReplaysAfterCrash(t *testing.T) {
	f := newViewFixture(t)
	rec := newRecordingView(t, f)
	c1 := uuid.NewString()
	s1 := f.submit(c1)
	f.runViews(rec)
	held := f.decide(s1, events.CommentHeld, "links")
	e, _ := events.New(uuid.NewString(), events.CommentApproved, "a1", c1, "moderator:alice", "", time.Now(), events.Decision{Reason: "ok"})
	approved, err := f.log.AppendAfter(context.Background(), e, held)
	if err != nil {
		t.Fatal(err)
	}
	f.runViews(rec)
	// The crash: every checkpoint back before the decisions.
	for _, kv := range []jetstream.KeyValue{f.view.kv, rec.kv} {
		if _, err := kv.Put(context.Background(), checkpointKey, []byte(strconv.FormatUint(s1.Seq, 10))); err != nil {
			t.Fatal(err)
		}
	}
	rec.mu.Lock()
	rec.seen = nil
	rec.mu.Unlock()
	f.runViews(rec)
	got := rec.updates()
	if len(got) != 2 {
		t.Fatalf("updates after the restart: %d, want the two decisions", len(got))
	}
	if u := got[0]; u.Event.Seq != held || u.Change.Before.Status != Pending || u.Change.After.Status != Held || u.Latest.Status != Approved || !u.Change.Changed {
		t.Fatalf("held again: before %s after %s latest %s", u.Change.Before.Status, u.Change.After.Status, u.Latest.Status)
	}
	if u := got[1]; u.Event.Seq != approved || u.Change.Before.Status != Held || u.Change.After.Status != Approved || u.Latest.Status != Approved {
		t.Fatalf("approved again: before %s after %s latest %s", u.Change.Before.Status, u.Change.After.Status, u.Latest.Status)
	}
	c, err := f.view.Comment(context.Background(), c1)
	if err != nil || c.Status != Approved || c.Seq != approved {
		t.Fatalf("comment view after the restart = %+v, %v", c, err)
	}
}

// TestPipelineResumesAfterRefusedWrite: the server refuses a view write;
// the projector drops its caches, resumes from the checkpoints and writes
// everything, the comment view included.
func TestPipelineResumesAfterRefusedWrite(t *testing.T) {
	f := newViewFixture(t)
	rec := newRecordingView(t, f)
	rec.big = 1
	ids := []string{uuid.NewString(), uuid.NewString(), uuid.NewString()}
	for _, id := range ids {
		f.submit(id)
	}
	f.runViews(rec)
	rec.mu.Lock()
	resets := rec.resets
	rec.mu.Unlock()
	if resets < 2 {
		t.Fatalf("resets = %d: the refused write did not restart the pipeline", resets)
	}
	for _, id := range ids {
		f.want(id, Pending, "")
		e, err := rec.kv.Get(context.Background(), "c."+id)
		if err != nil {
			t.Fatalf("view key of %s: %v", id, err)
		}
		if !strings.HasPrefix(string(e.Value()), "pending") {
			t.Fatalf("view key of %s = %q", id, e.Value())
		}
	}
	var c CommentState
	e, _ := f.view.kv.Get(context.Background(), statusPrefix+ids[0])
	if err := json.Unmarshal(e.Value(), &c); err != nil || c.ID != ids[0] {
		t.Fatalf("comment view entry %s: %v", e.Value(), err)
	}
}
