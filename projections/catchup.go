package projections

import (
	"context"
	"errors"

	"github.com/newsroom/commentd/events"
)

// catchUpFrom is how far behind the stream the views must be at start for
// the projector to catch up in bulk (catchUp) before it follows event by
// event; a variable so that tests can take it small.
var catchUpFrom uint64 = 4 * 8192

// catchUp brings the views from start to within rebuildCheckpointEvery
// events of the stream as a rebuild writes (pipeline.bulk), into the
// buckets that serve, and returns where the live pipeline resumes: a
// projector started on a log it never saw (an import, a loaded history)
// writes each comment's keys once, not once per event and checkpoint.
// Nothing serves from the views meanwhile (readers wait for their
// checkpoints to come within --max-projection-lag), so readers see only
// each step's last values. It runs before the projector takes rebuild
// requests, which swap the live pipeline's writers.
func (p *Projector) catchUp(ctx context.Context, start, last uint64) (uint64, error) {
	if last < start || last-start < catchUpFrom {
		return start, nil
	}
	var fresh []ViewWriter
	for _, v := range p.pipe.views[1:] {
		w, ok := v.w.(Rebuildable)
		if !ok {
			return start, nil
		}
		fresh = append(fresh, w.Into(v.w.Bucket(), rebuildCacheKeys()))
	}
	cp, err := newPipeline(p.Log, p.Status, fresh, max(p.pipe.cache.max, rebuildCacheKeys()), p.Logger)
	if err != nil {
		return start, err
	}
	from, err := cp.start(ctx)
	if err != nil {
		return start, err
	}
	if err := cp.bulk(); err != nil {
		return start, err
	}
	p.Logger.Info("views far behind the stream: catching up in bulk", "from_seq", from, "stream_last_seq", last)
	err = p.Log.Follow(ctx, events.FollowConfig{From: from}, func(e events.Envelope, pending uint64, derr error) error {
		if derr != nil {
			p.Logger.Warn("undecodable event skipped", "seq", e.Seq, "subject", e.Subject, "err", derr)
			p.Metrics.undecodable()
		} else {
			p.Metrics.consumed(e.Type)
		}
		near := pending < uint64(rebuildCheckpointEvery)
		if err := cp.apply(ctx, e, derr, false, near); err != nil {
			return err
		}
		p.applied.Store(e.Seq)
		p.Metrics.setLag(pending)
		if near {
			return errStopCatchUp
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStopCatchUp) {
		return start, err
	}
	// apply checkpointed every view at the last event (caughtUp); the
	// live pipeline reads those checkpoints again, with empty caches.
	p.Logger.Info("views caught up in bulk; following event by event", "seq", cp.applied)
	return p.pipe.start(ctx)
}

var errStopCatchUp = errors.New("projections: near the stream's end")
