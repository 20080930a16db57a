package projections

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/poll"
)

// statusCopy is a rebuildable view: s.<comment> → its status.
type statusCopy struct{ kv jetstream.KeyValue }

func (v statusCopy) Bucket() jetstream.KeyValue                   { return v.kv }
func (v statusCopy) Reset()                                       {}
func (v statusCopy) Into(kv jetstream.KeyValue, _ int) ViewWriter { return statusCopy{kv} }
func (v statusCopy) Apply(_ context.Context, u *Update, b *Batch) error {
	if u.Touched() {
		b.Put("s."+u.Change.After.ID, []byte(u.Latest.Status))
	}
	return nil
}

// plainView cannot be rebuilt on its own.
type plainView struct{ statusCopy }

func (plainView) Into() {}

type rebuildFixture struct {
	*viewFixture
	catalog  *Catalog
	copyKV   jetstream.KeyValue
	stop     func()
	comments []string
	mu       sync.Mutex
}

func newRebuildFixture(t *testing.T, view func(jetstream.KeyValue) ViewWriter) *rebuildFixture {
	t.Helper()
	f := &rebuildFixture{viewFixture: newViewFixture(t)}
	ctx := context.Background()
	if err := OpenCatalog(ctx, f.js, 1); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.catalog, err = AttachCatalog(ctx, f.js); err != nil {
		t.Fatal(err)
	}
	if f.copyKV, err = f.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "VIEW_COPY"}); err != nil {
		t.Fatal(err)
	}
	for range 300 {
		f.comment()
	}
	p := &Projector{Log: f.log, Status: f.view, Views: []ViewWriter{view(f.copyKV)}, Catalog: f.catalog}
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := p.Run(rctx); err != nil {
			t.Error(err)
		}
	})
	f.stop = func() { cancel(); wg.Wait() }
	t.Cleanup(f.stop)
	f.waitCheckpoints(f.view.kv, f.copyKV)
	return f
}

// comment submits and approves one comment.
func (f *rebuildFixture) comment() string {
	id := uuid.NewString()
	f.decide(f.submit(id), events.CommentApproved, "")
	f.mu.Lock()
	f.comments = append(f.comments, id)
	f.mu.Unlock()
	return id
}

func (f *rebuildFixture) waitCheckpoints(kvs ...jetstream.KeyValue) {
	f.t.Helper()
	ctx := context.Background()
	last, err := f.log.LastSeq(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	poll.Until(f.t, 20*time.Second, func() error {
		for _, kv := range kvs {
			if cp, err := readCheckpoint(ctx, kv); err != nil || cp < last {
				return fmt.Errorf("%s checkpoint %d (%v), want %d", kv.Bucket(), cp, err, last)
			}
		}
		return nil
	})
}

func (f *rebuildFixture) spare(name string) jetstream.KeyValue {
	f.t.Helper()
	kv, err := f.js.CreateKeyValue(context.Background(), jetstream.KeyValueConfig{Bucket: name})
	if err != nil {
		f.t.Fatal(err)
	}
	return kv
}

func (f *rebuildFixture) awaitRebuild(id string) RebuildProgress {
	f.t.Helper()
	var p RebuildProgress
	poll.Until(f.t, 60*time.Second, func() error {
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

// TestRebuildSwitchesWhileReadersRead: the comment view and another view
// are rebuilt into their spares while comments keep arriving and a reader
// keeps asking; the reader never misses a comment, moves to the new
// bucket, and the live projector writes there afterwards.
func TestRebuildSwitchesWhileReadersRead(t *testing.T) {
	f := newRebuildFixture(t, func(kv jetstream.KeyValue) ViewWriter { return statusCopy{kv} })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reader, err := f.catalog.FollowStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if reader.Bucket() != StatusBucket {
		t.Fatalf("reading %s, want %s", reader.Bucket(), StatusBucket)
	}

	// A reader asks for comments stored before the rebuild, all the time.
	var reads, misses atomic.Int64
	var wg sync.WaitGroup
	old := append([]string(nil), f.comments...)
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			st, err := reader.Status(ctx, old[i%len(old)])
			if ctx.Err() != nil {
				return
			}
			reads.Add(1)
			if err != nil || st.Status != Approved {
				misses.Add(1)
				t.Errorf("read of %s during the rebuild: %+v, %v", old[i%len(old)], st, err)
			}
		}
	})
	// Writers keep commenting.
	wctx, stopWriting := context.WithCancel(ctx)
	wg.Go(func() {
		for wctx.Err() == nil {
			f.comment()
		}
	})

	newStatus, newCopy := f.spare(StatusBucket+"_B"), f.spare("VIEW_COPY_B")
	req := RebuildRequest{ID: "r1", Into: map[string]string{StatusBucket: newStatus.Bucket(), "VIEW_COPY": newCopy.Bucket()}}
	if err := f.catalog.Request(ctx, req); err != nil {
		t.Fatal(err)
	}
	p := f.awaitRebuild("r1")
	if p.State != RebuildSwitched || p.Old[StatusBucket] != StatusBucket || p.Old["VIEW_COPY"] != "VIEW_COPY" || p.Events == 0 {
		t.Fatalf("progress %+v, want switched from the old buckets", p)
	}
	poll.Until(t, 10*time.Second, func() error {
		if b := reader.Bucket(); b != newStatus.Bucket() {
			return fmt.Errorf("reader on %s", b)
		}
		return nil
	})
	stopWriting()
	after := f.comment() // written by the live projector into the new buckets
	f.waitCheckpoints(newStatus, newCopy)
	cancel()
	wg.Wait()
	if reads.Load() == 0 || misses.Load() != 0 {
		t.Errorf("%d reads, %d missed", reads.Load(), misses.Load())
	}
	for _, c := range []string{StatusBucket, "VIEW_COPY"} {
		if cur, err := f.catalog.Current(context.Background(), c); err != nil || cur != c+"_B" {
			t.Errorf("catalog names %q (%v) for %s, want its spare", cur, err, c)
		}
	}
	// Every comment, those written during the rebuild and after it too,
	// is in both new buckets.
	nv := &StatusView{js: f.js, kv: newStatus}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range f.comments {
		if st, err := nv.Status(context.Background(), id); err != nil || st.Status != Approved {
			t.Errorf("comment %s in the rebuilt comment view: %+v, %v", id, st, err)
		}
		if e, err := newCopy.Get(context.Background(), "s."+id); err != nil || string(e.Value()) != string(Approved) {
			t.Errorf("comment %s in the rebuilt copy: %v", id, err)
		}
	}
	if _, err := newCopy.Get(context.Background(), "s."+after); err != nil {
		t.Errorf("the comment after the switch is not in the new bucket: %v", err)
	}
}

// TestRebuildOneViewKeepsTheCommentView: rebuilding a view alone keeps
// comment states in scratch, and the comment view is untouched.
func TestRebuildOneViewKeepsTheCommentView(t *testing.T) {
	f := newRebuildFixture(t, func(kv jetstream.KeyValue) ViewWriter { return statusCopy{kv} })
	ctx := context.Background()
	scratch, newCopy := f.spare(StatusBucket+"_B"), f.spare("VIEW_COPY_B")
	if err := f.catalog.Request(ctx, RebuildRequest{ID: "r2", Into: map[string]string{"VIEW_COPY": newCopy.Bucket()}, Scratch: scratch.Bucket()}); err != nil {
		t.Fatal(err)
	}
	if p := f.awaitRebuild("r2"); p.State != RebuildSwitched {
		t.Fatalf("progress %+v", p)
	}
	if cur, _ := f.catalog.Current(ctx, StatusBucket); cur != StatusBucket {
		t.Errorf("comment view moved to %s; only VIEW_COPY was rebuilt", cur)
	}
	id := f.comment()
	f.waitCheckpoints(f.view.kv, newCopy)
	if _, err := newCopy.Get(ctx, "s."+id); err != nil {
		t.Errorf("new comment not in the rebuilt view: %v", err)
	}
	if _, err := f.view.Status(ctx, id); err != nil {
		t.Errorf("new comment not in the comment view: %v", err)
	}
	// Answered requests are not performed again after a restart.
	f.stop()
	if p, _ := f.catalog.Progress(ctx); p.ID != "r2" || p.State != RebuildSwitched {
		t.Errorf("progress after the stop: %+v", p)
	}
}

// TestRebuildRefusesWhatItCannotBuild: a view that cannot be rebuilt on
// its own, or a spare that does not exist, fail the request and change
// nothing.
func TestRebuildRefusesWhatItCannotBuild(t *testing.T) {
	f := newRebuildFixture(t, func(kv jetstream.KeyValue) ViewWriter { return plainView{statusCopy{kv}} })
	ctx := context.Background()
	scratch := f.spare(StatusBucket + "_B")
	for i, req := range []RebuildRequest{
		{ID: "no-into", Into: map[string]string{"VIEW_COPY": "VIEW_COPY_B"}, Scratch: scratch.Bucket()},
		{ID: "no-spare", Into: map[string]string{StatusBucket: "VIEW_STATUS_MISSING"}},
	} {
		if i == 0 {
			f.spare("VIEW_COPY_B")
		}
		if err := f.catalog.Request(ctx, req); err != nil {
			t.Fatal(err)
		}
		if p := f.awaitRebuild(req.ID); p.State != RebuildFailed || p.Error == "" {
			t.Errorf("request %s: %+v, want failed with a reason", req.ID, p)
		}
	}
	for _, v := range []string{StatusBucket, "VIEW_COPY"} {
		if cur, err := f.catalog.Current(ctx, v); err != nil || cur != v {
			t.Errorf("%s now in %s (%v), want unchanged", v, cur, err)
		}
	}
	if _, err := f.catalog.Progress(ctx); errors.Is(err, events.ErrNotFound) {
		t.Error("no progress")
	}
}
