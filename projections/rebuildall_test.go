package projections

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/poll"
)

// allViews is a projector writing the four real views, as the projector
// role does, with the catalog for rebuilds.
type allViews struct {
	*viewFixture
	catalog *Catalog
	stop    func()
	// cancel stops the projector without waiting for it; wrap, when set,
	// wraps each view writer the next projector starts with.
	cancel func()
	wrap   func(ViewWriter) ViewWriter
	// logger, when set, is the next projector's.
	logger *slog.Logger

	mu       sync.Mutex
	held     []string // comments held, in the order submitted
	approved []string
}

func newAllViews(t *testing.T) *allViews {
	t.Helper()
	f := &allViews{viewFixture: newViewFixture(t)}
	ctx := context.Background()
	for _, open := range []func(context.Context, jetstream.JetStream, int) error{OpenCatalog, OpenArticleView, OpenQueuesView, OpenFactsView} {
		if err := open(ctx, f.js, 1); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	if f.catalog, err = AttachCatalog(ctx, f.js); err != nil {
		t.Fatal(err)
	}
	for i := range 150 {
		f.add(i%3 == 0)
	}
	f.start(t)
	return f
}

// start runs a projector on the views the catalog names.
func (f *allViews) start(t *testing.T) {
	t.Helper()
	f.startWith(t, false)
	f.caughtUp(t)
}

// startWith runs a projector, with Rebuild (--rebuild-projections) or not.
func (f *allViews) startWith(t *testing.T, rebuild bool) {
	t.Helper()
	ctx := context.Background()
	status, err := AttachCurrentStatusView(ctx, f.catalog)
	if err != nil {
		t.Fatal(err)
	}
	var views []ViewWriter
	for view, w := range map[string]func(jetstream.KeyValue) ViewWriter{
		ArticlesBucket: func(kv jetstream.KeyValue) ViewWriter { return NewArticleWriter(kv) },
		QueuesBucket:   func(kv jetstream.KeyValue) ViewWriter { return NewQueuesWriter(kv) },
		FactsBucket:    func(kv jetstream.KeyValue) ViewWriter { return NewFactsWriter(kv) },
	} {
		kv, err := f.catalog.Bucket(ctx, view)
		if err != nil {
			t.Fatal(err)
		}
		vw := w(kv)
		if f.wrap != nil {
			vw = f.wrap(vw)
		}
		views = append(views, vw)
	}
	p := &Projector{Log: f.log, Status: status, Views: views, Catalog: f.catalog, Rebuild: rebuild, Logger: f.logger}
	rctx, cancel := context.WithCancel(ctx)
	f.cancel = cancel
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := p.Run(rctx); err != nil {
			t.Error(err)
		}
	})
	f.stop = func() { cancel(); wg.Wait() }
	t.Cleanup(f.stop)
}

// add submits a comment and holds or approves it.
func (f *allViews) add(held bool) string {
	f.t.Helper()
	id, err := f.tryAdd(held)
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

// tryAdd is add for another goroutine than the test's.
func (f *allViews) tryAdd(held bool) (string, error) {
	ctx := context.Background()
	id := uuid.NewString()
	sub, _ := events.New(uuid.NewString(), events.CommentSubmitted, "a1", id, events.ActorReader, "", time.Now(), events.Submitted{Author: "A", AuthorID: "name:A", Text: "x"})
	seq, err := f.log.Append(ctx, sub)
	if err != nil {
		return "", err
	}
	sub.Seq = seq
	typ, reason := events.CommentApproved, ""
	if held {
		typ, reason = events.CommentHeld, "link"
	}
	d, _ := events.New(uuid.NewString(), typ, "a1", id, events.RulesActor("v1"), sub.ID, time.Now(), events.Decision{Reason: reason})
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.log.AppendAfter(ctx, d, sub.Seq); err != nil {
		// Submitted but not decided: pending, in neither list.
		return "", err
	}
	if held {
		f.held = append(f.held, id)
	} else {
		f.approved = append(f.approved, id)
	}
	return id, nil
}

// caughtUp waits until every view the catalog names checkpointed the
// stream's last sequence.
func (f *allViews) caughtUp(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	last, err := f.log.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 30*time.Second, func() error {
		for _, view := range RebuildableViews {
			kv, err := f.catalog.Bucket(ctx, view)
			if err != nil {
				return err
			}
			if cp, err := readCheckpoint(ctx, kv); err != nil || cp < last {
				return fmt.Errorf("%s checkpoint %d (%v), want %d", kv.Bucket(), cp, err, last)
			}
		}
		return nil
	})
}

// spares makes each view's spare, empty, as commentctl rebuild does.
func (f *allViews) request(t *testing.T, id string, views ...string) RebuildRequest {
	t.Helper()
	ctx := context.Background()
	req := RebuildRequest{ID: id, Into: map[string]string{}}
	spare := func(view string) string {
		cur, err := f.catalog.Current(ctx, view)
		if err != nil {
			t.Fatal(err)
		}
		name := SpareOf(cur)
		_ = f.js.DeleteKeyValue(ctx, name)
		cfg := jetstream.KeyValueConfig{Bucket: name, History: 1}
		if view == QueuesBucket {
			cfg.LimitMarkerTTL = markerTTL
		}
		if _, err := f.js.CreateKeyValue(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		return name
	}
	for _, v := range views {
		req.Into[v] = spare(v)
	}
	if _, ok := req.Into[StatusBucket]; !ok {
		req.Scratch = spare(StatusBucket)
	}
	if err := f.catalog.Request(ctx, req); err != nil {
		t.Fatal(err)
	}
	return req
}

func (f *allViews) await(t *testing.T, id string) RebuildProgress {
	t.Helper()
	var p RebuildProgress
	poll.Until(t, 60*time.Second, func() error {
		var err error
		if p, err = f.catalog.Progress(context.Background()); err != nil {
			return err
		}
		if p.ID != id || p.State == RebuildBuilding {
			return fmt.Errorf("progress %+v", p)
		}
		return nil
	})
	return p
}

// contents are a bucket's keys and values, the checkpoint left out.
func contents(t *testing.T, kv jetstream.KeyValue) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	out := map[string][]byte{}
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for k := range keys.Keys() {
		if k == checkpointKey {
			continue
		}
		e, err := kv.Get(ctx, k)
		if err != nil {
			t.Fatalf("%s %s: %v", kv.Bucket(), k, err)
		}
		out[k] = e.Value()
	}
	return out
}

// TestRebuildEveryViewWhileServed: all four views are rebuilt into their
// spares while comments keep arriving and readers of each keep reading;
// no reader ever sees less than what was there before (no empty page, no
// lost queue item, no forgotten author), every reader moves to the new
// buckets, and the rebuilt buckets hold exactly what a projector that
// wrote them from the start holds.
func TestRebuildEveryViewWhileServed(t *testing.T) {
	f := newAllViews(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	status, err := f.catalog.FollowStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cache := NewArticleCache(nil, 0, nil, nil)
	if err := f.catalog.Follow(ctx, ArticlesBucket, cache.SetBucket); err != nil {
		t.Fatal(err)
	}
	queues, err := f.catalog.FollowQueues(ctx)
	if err != nil {
		t.Fatal(err)
	}
	facts, err := f.catalog.FollowFacts(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{cache.Run, queues.Run, facts.Run} {
		wg.Go(func() {
			if err := run(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	for _, ready := range []<-chan struct{}{cache.Ready(), queues.Ready(), facts.Ready()} {
		<-ready
	}
	f.mu.Lock()
	held, approved := len(f.held), len(f.approved)
	oldHeld, oldApproved := f.held[0], f.approved[0]
	f.mu.Unlock()
	st, err := status.Comment(ctx, oldHeld)
	if err != nil {
		t.Fatal(err)
	}
	author := st.AuthorID
	poll.Until(t, 10*time.Second, func() error {
		if n := queues.QueueCounts("")[QueueHeld]; n != held {
			return fmt.Errorf("%d held, want %d", n, held)
		}
		if a := facts.Author(author); a.ApprovedCount != approved {
			return fmt.Errorf("author %+v, want %d approved", a, approved)
		}
		return nil
	})

	// Readers: nothing there before the rebuild ever goes missing.
	var reads atomic.Int64
	rctx, stopReading := context.WithCancel(ctx)
	check := func(what string, ok func() (bool, error)) {
		wg.Go(func() {
			for rctx.Err() == nil {
				good, err := ok()
				if rctx.Err() != nil {
					return
				}
				reads.Add(1)
				if err != nil || !good {
					t.Errorf("%s during the rebuild: %v", what, err)
					return
				}
			}
		})
	}
	check("a queue item lost", func() (bool, error) {
		p := queues.Queue(QueueHeld, "", 0, 10)
		return p.Total >= held && len(p.Items) == 10 && queues.QueueCounts("")[QueueHeld] >= held, nil
	})
	check("an author forgotten", func() (bool, error) {
		a := facts.Author(author)
		return a.ApprovedCount >= approved && a.RejectedCount == 0, nil
	})
	check("an empty page", func() (bool, error) {
		p, err := cache.Approved(rctx, "a1", 0, 20, false)
		return p.Total >= approved && len(p.Comments) == 20, err
	})
	check("a comment's status missing", func() (bool, error) {
		st, err := status.Status(rctx, oldApproved)
		return st.Status == Approved, err
	})
	check("a comment's reports missing", func() (bool, error) {
		_, err := queues.Reports(rctx, oldHeld)
		return true, err
	})
	wctx, stopWriting := context.WithCancel(ctx)
	wg.Go(func() {
		// Bounded: a loaded machine slows the rebuild, not the writers.
		for i := 0; wctx.Err() == nil && i < 400; i++ {
			if _, err := f.tryAdd(i%2 == 0); err != nil {
				t.Errorf("a comment during the rebuild: %v", err)
				return
			}
		}
	})

	f.request(t, "all", RebuildableViews...)
	p := f.await(t, "all")
	if p.State != RebuildSwitched {
		t.Fatalf("progress %+v", p)
	}
	for _, v := range RebuildableViews {
		if p.Old[v] != v {
			t.Errorf("%s was served by %q before the rebuild, want %s", v, p.Old[v], v)
		}
	}
	poll.Until(t, 10*time.Second, func() error {
		for name, b := range map[string]jetstream.KeyValue{"status": status.cur.Load().kv, "articles": cache.bucket(), "queues": queues.bucket(), "facts": facts.bucket()} {
			if b.Bucket() != SpareOf(ViewOf(b.Bucket())) || ViewOf(b.Bucket()) == b.Bucket() {
				return fmt.Errorf("the %s reader is on %s", name, b.Bucket())
			}
		}
		return nil
	})
	stopWriting()
	time.Sleep(50 * time.Millisecond) // the readers read the new copies for a while
	stopReading()
	last := f.add(true) // written by the live projector into the new buckets
	f.caughtUp(t)
	poll.Until(t, 10*time.Second, func() error {
		f.mu.Lock()
		defer f.mu.Unlock()
		if n := queues.QueueCounts("")[QueueHeld]; n != len(f.held) {
			return fmt.Errorf("%d held after the rebuild, want %d", n, len(f.held))
		}
		if a := facts.Author(author); a.ApprovedCount != len(f.approved) {
			return fmt.Errorf("author %+v after the rebuild, want %d approved", a, len(f.approved))
		}
		return nil
	})
	if _, err := status.Comment(ctx, last); err != nil {
		t.Errorf("the comment after the switch: %v", err)
	}
	cancel()
	wg.Wait()
	if reads.Load() == 0 {
		t.Error("no reads during the rebuild")
	}

	// The rebuilt buckets, written during live writes and then kept by the
	// live projector, hold what a projector that wrote every event into
	// fresh buckets from the start holds.
	f.stop()
	rebuilt := map[string]jetstream.KeyValue{}
	for _, v := range RebuildableViews {
		kv, err := f.catalog.Bucket(context.Background(), v)
		if err != nil {
			t.Fatal(err)
		}
		rebuilt[v] = kv
	}
	reference := referenceViews(t, f.viewFixture)
	for _, v := range RebuildableViews {
		want, got := contents(t, reference[v]), contents(t, rebuilt[v])
		if len(want) == 0 {
			t.Errorf("%s: the reference is empty", v)
		}
		for k, w := range want {
			if g, ok := got[k]; !ok || !bytes.Equal(g, w) {
				t.Errorf("%s %s: rebuilt %s, want %s", v, k, g, w)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(got)) {
			if _, ok := want[k]; !ok {
				t.Errorf("%s %s: rebuilt holds a key the reference does not", v, k)
			}
		}
	}
}

// referenceViews writes the four views into fresh buckets of their own
// with a projector that reads the log from sequence 1 once.
func referenceViews(t *testing.T, f *viewFixture) map[string]jetstream.KeyValue {
	t.Helper()
	ctx := context.Background()
	out := map[string]jetstream.KeyValue{}
	for _, v := range RebuildableViews {
		cfg := jetstream.KeyValueConfig{Bucket: "REF_" + v, History: 1}
		if v == QueuesBucket {
			cfg.LimitMarkerTTL = markerTTL
		}
		kv, err := f.js.CreateKeyValue(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		out[v] = kv
	}
	status := &StatusView{js: f.js, kv: out[StatusBucket]}
	p := &Projector{Log: f.log, Status: status,
		Views: []ViewWriter{NewArticleWriter(out[ArticlesBucket]), NewQueuesWriter(out[QueuesBucket]), NewFactsWriter(out[FactsBucket])}}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(rctx) }()
	last, err := f.log.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 30*time.Second, func() error {
		for _, kv := range out {
			if cp, err := readCheckpoint(ctx, kv); err != nil || cp < last {
				return fmt.Errorf("%s checkpoint %d (%v), want %d", kv.Bucket(), cp, err, last)
			}
		}
		return nil
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return out
}

// compareWithReference checks that every view the catalog names holds
// exactly what a projector writing fresh buckets from sequence 1 holds.
func (f *allViews) compareWithReference(t *testing.T) {
	t.Helper()
	reference := referenceViews(t, f.viewFixture)
	for _, v := range RebuildableViews {
		kv, err := f.catalog.Bucket(context.Background(), v)
		if err != nil {
			t.Fatal(err)
		}
		want, got := contents(t, reference[v]), contents(t, kv)
		if len(want) == 0 {
			t.Errorf("%s: the reference is empty", v)
		}
		for k, w := range want {
			if g, ok := got[k]; !ok || !bytes.Equal(g, w) {
				t.Errorf("%s %s: rebuilt %s, want %s", kv.Bucket(), k, g, w)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("%s %s: rebuilt holds a key the reference does not", kv.Bucket(), k)
			}
		}
	}
}

// TestRebuildProjectionsAtStart: a projector started with Rebuild
// (--rebuild-projections) empties every view's spare (provisioned, here
// with leftovers in it), rebuilds all four there from sequence 1 and
// switches; an old answered request is not performed again.
func TestRebuildProjectionsAtStart(t *testing.T) {
	f := newAllViews(t)
	ctx := context.Background()
	if err := ProvisionSpares(ctx, f.js); err != nil {
		t.Fatal(err)
	}
	spare, err := f.js.KeyValue(ctx, QueuesBucket+"_B")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := spare.Put(ctx, "held.left-over", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if st, err := spare.Status(ctx); err != nil || st.(*jetstream.KeyValueBucketStatus).LimitMarkerTTL() != markerTTL {
		t.Errorf("provisioned queues spare: %v, %v; want the queues bucket's marker TTL", st, err)
	}
	f.stop()
	for range 20 {
		f.add(true)
	}
	f.rebuildOnStart(t)
	p, err := f.catalog.Progress(ctx)
	if err != nil || p.State != RebuildSwitched || len(p.Old) != len(RebuildableViews) {
		t.Fatalf("progress %+v, %v", p, err)
	}
	for _, v := range RebuildableViews {
		if cur, _ := f.catalog.Current(ctx, v); cur != v+"_B" {
			t.Errorf("%s served by %s after --rebuild-projections", v, cur)
		}
	}
	f.add(false)
	f.caughtUp(t)
	f.stop()
	f.compareWithReference(t)
}

// rebuildOnStart starts a projector with Rebuild and waits for its
// rebuild's answer.
func (f *allViews) rebuildOnStart(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	before, _ := f.catalog.Progress(ctx)
	f.startWith(t, true)
	poll.Until(t, 60*time.Second, func() error {
		p, err := f.catalog.Progress(ctx)
		if err != nil || p.ID == before.ID || p.State == RebuildBuilding {
			return fmt.Errorf("progress %+v (%v)", p, err)
		}
		return nil
	})
}

// TestRebuildInterruptedAndStartedAgain: a projector stopped in the middle
// of a rebuild resumes it at its next start from the new buckets'
// checkpoints (no longer assuming them empty), and the views it switches
// to hold what a rebuild in one go holds.
func TestRebuildInterruptedAndStartedAgain(t *testing.T) {
	defer func(n int) { rebuildCheckpointEvery = n }(rebuildCheckpointEvery)
	rebuildCheckpointEvery = 64
	f := newAllViews(t)
	for i := range 300 {
		f.add(i%4 == 0)
	}
	f.caughtUp(t)
	ctx := context.Background()
	req := f.request(t, "interrupted", RebuildableViews...)
	// Stopped once the rebuild checkpointed part of the way.
	into, err := f.js.KeyValue(ctx, req.Into[QueuesBucket])
	if err != nil {
		t.Fatal(err)
	}
	last, _ := f.log.LastSeq(ctx)
	var at uint64
	poll.Until(t, 30*time.Second, func() error {
		if at, _ = readCheckpoint(ctx, into); at == 0 {
			return errors.New("no checkpoint in the new bucket yet")
		}
		return nil
	})
	f.stop()
	if p, _ := f.catalog.Progress(ctx); p.State == RebuildSwitched {
		t.Skipf("the rebuild finished before it could be stopped (checkpoint %d of %d)", at, last)
	}
	t.Logf("stopped at checkpoint %d of %d", at, last)
	for range 10 {
		f.add(true) // written while no projector runs
	}
	f.startWith(t, false)
	if p := f.await(t, "interrupted"); p.State != RebuildSwitched {
		t.Fatalf("progress %+v", p)
	}
	f.caughtUp(t)
	f.stop()
	f.compareWithReference(t)
}

// crashingAt is a view whose rebuild stops the projector at the event at
// (a crash: the step under way is never published).
type crashingAt struct {
	Rebuildable
	at    uint64
	crash func()
}

func (c crashingAt) Into(kv jetstream.KeyValue, keys int) ViewWriter {
	return &crashingWriter{ViewWriter: c.Rebuildable.Into(kv, keys), at: c.at, crash: c.crash}
}

type crashingWriter struct {
	ViewWriter
	at    uint64
	crash func()
}

func (w *crashingWriter) Apply(ctx context.Context, u *Update, b *Batch) error {
	if u.Event.Seq >= w.at {
		w.crash()
		return context.Canceled
	}
	return w.ViewWriter.Apply(ctx, u, b)
}

// TestRebuildCrashMidStep: a projector that dies in the middle of a
// rebuild's step, with earlier steps' writes in flight, leaves checkpoints
// in the new buckets that no lost write is behind: every comment's state
// up to the comment view's checkpoint is there. Started again, it resumes
// there and switches to views that hold what a rebuild in one go holds.
func TestRebuildCrashMidStep(t *testing.T) {
	defer func(n int) { rebuildCheckpointEvery = n }(rebuildCheckpointEvery)
	rebuildCheckpointEvery = 64
	f := newAllViews(t)
	for i := range 300 {
		f.add(i%4 == 0)
	}
	f.caughtUp(t)
	f.stop()
	ctx := context.Background()
	last, err := f.log.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Well past a few steps, in the middle of one.
	at := uint64(5*rebuildCheckpointEvery + rebuildCheckpointEvery/2)
	if last < at+uint64(rebuildCheckpointEvery) {
		t.Fatalf("only %d events", last)
	}
	var crashed atomic.Bool
	f.wrap = func(w ViewWriter) ViewWriter {
		if r, ok := w.(*FactsWriter); ok {
			return crashingAt{Rebuildable: r, at: at, crash: func() {
				crashed.Store(true)
				f.cancel()
			}}
		}
		return w
	}
	f.start(t)
	req := f.request(t, "crashed", RebuildableViews...)
	poll.Until(t, 30*time.Second, func() error {
		if !crashed.Load() {
			return errors.New("the rebuild has not reached the crash")
		}
		return nil
	})
	f.stop()
	if p, _ := f.catalog.Progress(ctx); p.ID == "crashed" && p.State != RebuildBuilding {
		t.Fatalf("progress after the crash %+v", p)
	}

	into, err := f.js.KeyValue(ctx, req.Into[StatusBucket])
	if err != nil {
		t.Fatal(err)
	}
	cp, err := readCheckpoint(ctx, into)
	if err != nil {
		t.Fatal(err)
	}
	if cp == 0 || cp >= at {
		t.Fatalf("the new comment view's checkpoint is %d, want one in (0, %d)", cp, at)
	}
	t.Logf("crashed at %d, the new comment view's checkpoint %d", at, cp)
	// Each comment's last event up to the checkpoint.
	newest := map[string]uint64{}
	err = f.log.Replay(ctx, 1, nil, func(e events.Envelope) error {
		if e.Seq > cp {
			return errStopReplay
		}
		if e.Comment != "" {
			newest[e.Comment] = e.Seq
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStopReplay) {
		t.Fatal(err)
	}
	sv := &StatusView{js: f.js, kv: into}
	for id, seq := range newest {
		c, err := sv.Comment(ctx, id)
		if err != nil || c.Seq < seq {
			t.Errorf("comment %s after the crash: seq %d (%v), want its event %d at or below the checkpoint %d", id, c.Seq, err, seq, cp)
		}
	}

	f.wrap = nil
	f.startWith(t, false)
	if p := f.await(t, "crashed"); p.State != RebuildSwitched {
		t.Fatalf("progress %+v", p)
	}
	f.caughtUp(t)
	f.stop()
	f.compareWithReference(t)
}
