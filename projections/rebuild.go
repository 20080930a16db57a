package projections

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
)

// Rebuildable is a view that can be rebuilt: Into makes a fresh writer of
// the same view into another bucket (its spare), with nothing cached, and
// a cache (if it keeps one) of at least keys values: a rebuild's writes
// are acknowledged steps later, and a value not acknowledged yet must not
// be read back from the bucket. A request to rebuild a view that is not
// Rebuildable fails.
type Rebuildable interface {
	ViewWriter
	Into(kv jetstream.KeyValue, keys int) ViewWriter
}

// maxSwapGap is how far the live pipeline may be ahead of a rebuild that
// caught up with the stream for the switch to replay the difference while
// the live pipeline waits: a few milliseconds of events.
const maxSwapGap = 2048

// rebuildCheckpointEvery is a rebuild's checkpoint step: the writes of a
// step are coalesced (the last value of each key), published when it
// ends and acknowledged while the next steps are folded; a rebuild that
// restarts redoes at most rebuildOverlap+1 steps.
var rebuildCheckpointEvery = 8192

// rebuildOverlap is how many ended steps of a rebuild may wait for their
// acknowledgements while the next one is folded.
const rebuildOverlap = 1

// rebuildMaxPending bounds a rebuild's writes in flight: more than the
// steps it overlaps write.
const rebuildMaxPending = 2 * pipelineWindow

// rebuildCacheKeys is how many values of one kind (comments, authors,
// reports) a rebuild's caches keep: every one an event touches in the
// steps not acknowledged yet, two per event (a reply and its parent).
func rebuildCacheKeys() int { return 2 * (rebuildOverlap + 2) * rebuildCheckpointEvery }

// serveRebuilds performs the operator's rebuild requests, one at a time,
// until ctx ends. A request already answered (switched or failed) is not
// performed again; one that was under way when the projector stopped
// resumes from the new buckets' checkpoints.
func (p *Projector) serveRebuilds(ctx context.Context) {
	w, err := p.Catalog.kv.Watch(ctx, rebuildKey)
	if err != nil {
		p.Logger.Error("rebuild requests not watched", "err", err)
		return
	}
	defer w.Stop()
	var superseded uint64 // the revision of a request the startup rebuild replaces
	if p.Rebuild {
		if e, err := p.Catalog.kv.Get(ctx, rebuildKey); err == nil {
			superseded = e.Revision()
		}
		// --rebuild-projections: every view, before any request.
		req, err := p.rebuildEveryView(ctx)
		if err == nil {
			p.Logger.Info("rebuilding every view from sequence 1 (--rebuild-projections)", "request", req.ID, "into", req.Into)
			p.perform(ctx, req)
		} else if ctx.Err() == nil {
			p.Logger.Error("views not rebuilt (--rebuild-projections); the current buckets keep serving", "err", err)
			_ = p.Catalog.setProgress(ctx, RebuildProgress{ID: req.ID, State: RebuildFailed, Error: err.Error()})
		}
		if ctx.Err() != nil {
			return
		}
	}
	for {
		var e jetstream.KeyValueEntry
		select {
		case <-ctx.Done():
			return
		case e = <-w.Updates():
		}
		if e == nil || e.Operation() != jetstream.KeyValuePut || e.Revision() <= superseded {
			continue
		}
		var req RebuildRequest
		if err := json.Unmarshal(e.Value(), &req); err != nil || req.ID == "" || len(req.Into) == 0 {
			p.Logger.Error("rebuild request not understood", "err", err)
			continue
		}
		if prog, err := p.Catalog.Progress(ctx); err == nil && prog.ID == req.ID && prog.State != RebuildBuilding {
			continue
		}
		p.Logger.Info("rebuilding views", "request", req.ID, "into", req.Into)
		p.perform(ctx, req)
		if ctx.Err() != nil {
			return // resumed at the next start
		}
	}
}

// perform rebuilds what req asks and records the outcome in the catalog.
func (p *Projector) perform(ctx context.Context, req RebuildRequest) {
	prog, err := p.rebuild(ctx, req)
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		p.Logger.Error("rebuild failed; the old buckets keep serving", "request", req.ID, "err", err)
		prog.State, prog.Error = RebuildFailed, err.Error()
	}
	if err := p.Catalog.setProgress(ctx, prog); err != nil {
		p.Logger.Error("rebuild progress not saved", "err", err)
	}
}

// rebuildEveryView empties the spare of every view this projector writes
// (each view's bucket that does not serve it now; provisioning makes
// them) and asks for all of them to be rebuilt there: what
// --rebuild-projections means.
func (p *Projector) rebuildEveryView(ctx context.Context) (RebuildRequest, error) {
	req := RebuildRequest{ID: "rebuild-projections-" + time.Now().UTC().Format("20060102T150405.000Z"), Into: map[string]string{}, RequestedAt: time.Now().UTC()}
	views := []string{StatusBucket}
	p.pipe.applyMu.Lock()
	for _, v := range p.pipe.views[1:] {
		views = append(views, ViewOf(v.w.Bucket().Bucket()))
	}
	p.pipe.applyMu.Unlock()
	js := p.Status.js
	for _, view := range views {
		cur, err := p.Catalog.Current(ctx, view)
		if err != nil {
			return req, err
		}
		spare := SpareOf(cur)
		s, err := js.Stream(ctx, "KV_"+spare)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return req, fmt.Errorf("projections: the spare bucket %s of %s does not exist: provisioning makes it (commentd --roles setup, or the all-in-one at start), or run commentctl rebuild --all", spare, view)
		}
		if err == nil {
			err = s.Purge(ctx)
		}
		if err != nil {
			return req, fmt.Errorf("projections: empty the spare %s of %s: %w", spare, view, err)
		}
		req.Into[view] = spare
	}
	return req, nil
}

// rebuild fills req's buckets from sequence 1 with a pipeline of its own,
// then switches the live pipeline to them and points the catalog there.
func (p *Projector) rebuild(ctx context.Context, req RebuildRequest) (RebuildProgress, error) {
	prog := RebuildProgress{ID: req.ID, State: RebuildBuilding, Old: map[string]string{}}
	began := time.Now()
	live := p.pipe

	// The new writers: the comment view's (into its new bucket, or into
	// scratch), and a fresh copy of each other view asked for.
	statusBucket := req.Into[StatusBucket]
	if statusBucket == "" {
		statusBucket = req.Scratch
	}
	if statusBucket == "" {
		return prog, errors.New("projections: rebuild: no bucket for comment states (the comment view's spare)")
	}
	open := func(name string) (jetstream.KeyValue, error) {
		kv, err := p.Status.js.KeyValue(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("projections: rebuild: bucket %s (commentctl rebuild makes it): %w", name, err)
		}
		return kv, nil
	}
	skv, err := open(statusBucket)
	if err != nil {
		return prog, err
	}
	status := &StatusView{js: p.Status.js, kv: skv}
	var fresh []ViewWriter
	live.applyMu.Lock()
	current := map[string]ViewWriter{}
	for _, v := range live.views[1:] {
		current[ViewOf(v.w.Bucket().Bucket())] = v.w
	}
	live.applyMu.Unlock()
	for view, into := range req.Into {
		if view == StatusBucket {
			continue
		}
		w, ok := current[view].(Rebuildable)
		if !ok {
			return prog, fmt.Errorf("projections: rebuild: this projector writes no view %s that can be rebuilt", view)
		}
		kv, err := open(into)
		if err != nil {
			return prog, err
		}
		fresh = append(fresh, w.Into(kv, rebuildCacheKeys()))
	}
	rp, err := newPipeline(p.Log, status, fresh, max(cmp.Or(p.CommentCache, DefaultCommentCache), rebuildCacheKeys()), p.Logger.With("rebuild", req.ID))
	if err != nil {
		return prog, err
	}
	from, err := rp.start(ctx)
	if err != nil {
		return prog, err
	}
	// From sequence 1 into empty buckets, a submission's comment is new:
	// no KV get asks. Resumed after a restart, the buckets hold what was
	// written before it, so every miss asks.
	rp.assumeNew = from == 1
	if err := rp.bulk(); err != nil {
		return prog, err
	}

	// Follow the log until caught up with the live pipeline, then switch
	// while it waits.
	fctx, stop := context.WithCancel(ctx)
	defer stop()
	errSwitched := errors.New("switched")
	lastReport := time.Now()
	err = p.Log.Follow(fctx, events.FollowConfig{From: from}, func(e events.Envelope, pending uint64, derr error) error {
		if err := rp.apply(fctx, e, derr, false, pending == 0); err != nil {
			return err
		}
		prog.Events++
		prog.Applied = rp.applied
		if time.Since(lastReport) > time.Second {
			lastReport = time.Now()
			prog.Seconds = time.Since(began).Seconds()
			_ = p.Catalog.setProgress(fctx, prog)
		}
		if pending > maxSwapGap {
			return nil
		}
		switched, replayed, err := p.trySwitch(fctx, rp, req, status, prog.Old)
		prog.Events += replayed
		if err != nil {
			return err
		}
		if switched {
			return errSwitched
		}
		return nil
	})
	prog.Seconds = time.Since(began).Seconds()
	prog.Applied = rp.applied
	if !errors.Is(err, errSwitched) {
		if err == nil {
			err = ctx.Err()
		}
		return prog, err
	}
	prog.State = RebuildSwitched
	p.Logger.Info("views rebuilt and switched", "request", req.ID, "events", prog.Events, "seconds", prog.Seconds)
	return prog, nil
}

// bulk makes p write as a rebuild does: in steps of
// rebuildCheckpointEvery events, each key's last value of a step only,
// the next step folded while the last one's writes are acknowledged.
// Without a timer for every write (nats.go's async publish timeout halves
// the rate of KV puts here): each step's wait for its acknowledgements
// bounds them. Its writers must cache rebuildCacheKeys values (Into).
func (p *pipeline) bulk() error {
	p.every = rebuildCheckpointEvery
	p.coalesce, p.overlap = true, rebuildOverlap
	js, err := jetstream.New(p.js.Conn(),
		jetstream.WithPublishAsyncMaxPending(rebuildMaxPending),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, m *nats.Msg, err error) {
			p.fail(fmt.Errorf("projections: write %s: %w", m.Subject, err))
		}))
	if err != nil {
		return err
	}
	p.js = js
	return nil
}

// trySwitch moves the live pipeline onto the rebuilt buckets if it is not
// further ahead than maxSwapGap events: it waits (holding the live
// pipeline between two events) while the rebuild applies the difference
// from the log, checkpoints it, swaps the writers and points the catalog
// at the new buckets.
func (p *Projector) trySwitch(ctx context.Context, rp *pipeline, req RebuildRequest, status *StatusView, old map[string]string) (switched bool, replayed uint64, err error) {
	live := p.pipe
	live.applyMu.Lock()
	defer live.applyMu.Unlock()
	if live.applied > rp.applied+maxSwapGap {
		return false, 0, nil
	}
	if live.applied > rp.applied {
		// The events the live pipeline has and the rebuild not yet.
		err := p.Log.Replay(ctx, rp.applied+1, nil, func(e events.Envelope) error {
			if e.Seq > live.applied {
				return errStopReplay
			}
			replayed++
			return rp.apply(ctx, e, nil, false, false)
		})
		if err != nil && !errors.Is(err, errStopReplay) {
			return false, replayed, err
		}
		rp.applied = max(rp.applied, live.applied)
	}
	if err := rp.checkpoint(ctx); err != nil {
		return false, replayed, err
	}
	if err := live.wait(ctx); err != nil {
		return false, replayed, err
	}
	// Swap: the live pipeline writes the new buckets from here on.
	byBucket := map[string]*pipelineView{}
	for _, v := range rp.views {
		byBucket[ViewOf(v.w.Bucket().Bucket())] = v
	}
	for i, v := range live.views {
		view := ViewOf(v.w.Bucket().Bucket())
		if _, ok := req.Into[view]; !ok {
			continue
		}
		nv := byBucket[view]
		old[view] = v.w.Bucket().Bucket()
		live.views[i] = &pipelineView{w: nv.w, batch: &Batch{p: live, prefix: nv.batch.prefix}, saved: nv.saved}
		if i == 0 {
			live.comments = status
			live.cache.clear()
		}
	}
	for view, into := range req.Into {
		if err := p.Catalog.setCurrent(ctx, view, into); err != nil {
			return false, replayed, err
		}
	}
	return true, replayed, nil
}

var errStopReplay = errors.New("stop")
