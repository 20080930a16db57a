package projections

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsroom/commentd/events"
)

// SnapshotBucket is the object store that keeps the read models' snapshot,
// so a restart resumes from it instead of replaying all history.
const SnapshotBucket = "PROJECTIONS"

const snapshotObject = "views"

// OpenSnapshots creates or opens the snapshot bucket.
func OpenSnapshots(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.ObjectStore, error) {
	if replicas == 0 {
		replicas = 1
	}
	os, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      SnapshotBucket,
		Description: "Snapshots of the read models, with the stream sequence they reflect.",
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("projections: snapshot bucket: %w", err)
	}
	return os, nil
}

// Projector feeds a Store from the log: it restores the latest snapshot,
// then follows the stream from the next sequence with an ordered consumer.
// Each process that serves reads runs one; processes with the projector
// role also save snapshots.
type Projector struct {
	Log   *events.Log
	Store *Store
	// Snapshots, when set, is where the projector restores from and, when
	// SaveEvery > 0, saves a snapshot that often (if anything changed).
	Snapshots jetstream.ObjectStore
	SaveEvery time.Duration
	// SnapshotStream, when set beside SaveEvery, is the stream behind
	// Snapshots: the saving projector purges the chunks interrupted saves
	// left there, at start and after each save.
	SnapshotStream jetstream.Stream
	// Rebuild ignores the snapshot and replays from sequence 1.
	Rebuild bool
	// Status, when set, is the comment view this projector writes (the
	// projector role only: the views have one writer), with Views beside
	// it; each resumes from its own checkpoint (pipeline.go).
	Status *StatusView
	Views  []ViewWriter
	// Catalog, when set beside Status, is where the operator asks for
	// rebuilds, which this projector performs (rebuild.go).
	Catalog *Catalog
	// CommentCache is how many comment states the view writer keeps
	// (DefaultCommentCache when 0).
	CommentCache int
	// MaxLag is how many events behind the projector may fall and still
	// be ready (after it caught up once).
	MaxLag uint64
	// Undecided, when set, answers comments_oldest_undecided_seconds
	// (the queues view's pending keys, QueuesView); else Store does.
	Undecided interface {
		OldestUndecided() (time.Time, bool)
	}
	// OnChange is called after each applied event, in stream order.
	OnChange func(Change)
	Logger   *slog.Logger
	Metrics  *Metrics

	caughtUp  atomic.Bool
	once      sync.Once
	caught    chan struct{} // closed when caughtUp first becomes true
	lag       atomic.Uint64
	savedSeq  atomic.Uint64
	lastSaved atomic.Int64 // unix nanos
	pipe      *pipeline
}

// Ready reports whether the views have caught up with the stream since
// start and lag behind it by at most MaxLag events.
//
// lastSeq is the stream's newest sequence, asked of the server by the
// caller: the lag seen with the last delivered event would stay small
// while deliveries stopped.
func (p *Projector) Ready(lastSeq uint64) bool {
	applied := p.Store.Applied()
	return p.caughtUp.Load() && (lastSeq <= applied || lastSeq-applied <= p.MaxLag)
}

// CaughtUp is closed once the views have caught up with the stream as it
// was at start: a worker waits for it so that it never decides on stale
// author stats after a restart.
func (p *Projector) CaughtUp() <-chan struct{} {
	p.once.Do(func() { p.caught = make(chan struct{}) })
	return p.caught
}

func (p *Projector) setCaughtUp() {
	p.caughtUp.Store(true)
	p.CaughtUp()
	select {
	case <-p.caught:
	default:
		close(p.caught)
	}
}

// Run restores and follows until ctx ends; then it saves a last snapshot.
func (p *Projector) Run(ctx context.Context) error {
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Snapshots != nil && !p.Rebuild {
		p.restore(ctx)
	}
	if p.Status != nil {
		var err error
		if p.pipe, err = newPipeline(p.Log, p.Status, p.Views, cmp.Or(p.CommentCache, DefaultCommentCache), p.Logger); err != nil {
			return err
		}
	}
	// A projector that starts during a failover waits for the stream.
	var start, last uint64
	err := events.Retry(ctx, p.Logger, "find where to follow from", func(ctx context.Context) (err error) {
		if start, err = p.from(ctx); err == nil {
			last, err = p.Log.LastSeq(ctx)
		}
		return err
	})
	if err != nil {
		return stopped(ctx, err)
	}
	if last < start {
		p.setCaughtUp()
	}
	p.Logger.Info("projector following the log", "from_seq", start, "stream_last_seq", last)

	var wg sync.WaitGroup
	rctx, stopRebuilds := context.WithCancel(ctx)
	defer stopRebuilds()
	if p.pipe != nil && p.Catalog != nil {
		wg.Go(func() { p.serveRebuilds(rctx) })
	}
	if p.Snapshots != nil && p.SaveEvery > 0 {
		p.cleanOrphans(ctx)
		wg.Go(func() { p.saveLoop(ctx) })
	}
	err = p.follow(ctx, start)
	// A view write that failed: resume from the views' checkpoints, with
	// nothing cached (the writes are idempotent by each key's seq).
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		// A sealed submission whose key could not be read now is
		// retried the same way.
		var werr *WriteError
		if !errors.As(err, &werr) && !errors.Is(err, events.ErrUnavailable) || ctx.Err() != nil {
			break
		}
		p.Logger.Warn("view write failed; resuming from the views' checkpoints", "err", err, "in", wait)
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		if ctx.Err() != nil {
			break
		}
		if start, err = p.from(ctx); err == nil {
			err = p.follow(ctx, start)
		}
	}
	stopRebuilds()
	wg.Wait()
	if p.pipe != nil {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		p.pipe.applyMu.Lock()
		serr := p.pipe.checkpoint(sctx)
		p.pipe.applyMu.Unlock()
		if serr != nil {
			p.Logger.Error("final view checkpoint", "err", serr)
		}
		cancel()
	}
	if p.Snapshots != nil && p.SaveEvery > 0 {
		// The caller's ctx is done; give the last save its own time.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if serr := p.save(sctx); serr != nil {
			p.Logger.Error("final snapshot", "err", serr)
		}
	}
	if errors.Is(err, context.Canceled) || ctx.Err() != nil {
		return nil // stopped: what failed on the way out was the stop
	}
	return err
}

// stopped is nil when err comes of ctx's end: a stop, not a failure.
func stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// from is the sequence to follow from: after the store's applied
// sequence, or the oldest view checkpoint when a view is behind.
func (p *Projector) from(ctx context.Context) (uint64, error) {
	start := p.Store.Applied() + 1
	if p.pipe != nil {
		vs, err := p.pipe.start(ctx)
		if err != nil {
			return 0, err
		}
		start = min(start, vs)
	}
	return start, nil
}

func (p *Projector) follow(ctx context.Context, start uint64) error {
	return p.Log.Follow(ctx, events.FollowConfig{From: start}, func(e events.Envelope, pending uint64, err error) error {
		live := p.caughtUp.Load()
		// Following from the status view's checkpoint, the store may
		// have seen this event already (it came with the snapshot).
		switch {
		case e.Seq <= p.Store.Applied():
		case err != nil:
			// The projections skip what can never be an event; the
			// worker terminates and counts it.
			p.Logger.Warn("undecodable event skipped", "seq", e.Seq, "subject", e.Subject, "err", err)
			p.Metrics.undecodable(pending)
		default:
			ch := p.Store.Apply(e)
			p.Metrics.applied(ch, live, pending)
			if p.OnChange != nil {
				p.OnChange(ch)
			}
		}
		if p.pipe != nil {
			if werr := p.pipe.apply(ctx, e, err, live, pending == 0); werr != nil {
				return werr
			}
		}
		// Seen either way: the lag and readiness move on, or an
		// undecodable last event would leave them stuck.
		p.lag.Store(pending)
		if pending == 0 && !live {
			p.setCaughtUp()
			p.Logger.Info("projections caught up", "seq", e.Seq)
		}
		return nil
	})
}

func (p *Projector) restore(ctx context.Context) {
	data, err := p.Snapshots.GetBytes(ctx, snapshotObject)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return
	}
	// Checked against the log before it replaces anything: a snapshot
	// that decodes may still not be of this log.
	fresh := NewStore()
	if err == nil {
		err = fresh.LoadSnapshot(bytes.NewReader(data))
	}
	if err == nil {
		err = verifyAgainstLog(ctx, p.Log, fresh.Applied(), func(id string) (bool, error) {
			_, ok := fresh.Comment(id)
			return ok, nil
		})
	}
	if err != nil {
		p.Logger.Warn("snapshot not usable; rebuilding from the log", "err", err)
		return
	}
	p.Store.take(fresh)
	p.savedSeq.Store(p.Store.Applied())
	p.lastSaved.Store(time.Now().UnixNano())
	p.Logger.Info("restored snapshot", "seq", p.Store.Applied())
}

func (p *Projector) saveLoop(ctx context.Context) {
	t := time.NewTicker(p.SaveEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := p.save(ctx); err != nil && ctx.Err() == nil {
				p.Logger.Error("snapshot", "err", err)
			}
		}
	}
}

// save writes a snapshot if anything was applied since the last one.
func (p *Projector) save(ctx context.Context) error {
	if p.Store.Applied() == p.savedSeq.Load() {
		p.lastSaved.Store(time.Now().UnixNano())
		return nil
	}
	var buf bytes.Buffer
	if err := p.Store.WriteSnapshot(&buf); err != nil {
		return err
	}
	seq := p.Store.Applied()
	if _, err := p.Snapshots.PutBytes(ctx, snapshotObject, buf.Bytes()); err != nil {
		return fmt.Errorf("projections: save snapshot: %w", err)
	}
	p.savedSeq.Store(seq)
	p.lastSaved.Store(time.Now().UnixNano())
	p.cleanOrphans(ctx)
	return nil
}

// cleanOrphans purges chunks no snapshot names and nothing wrote to for a
// while (another projector's save in progress keeps writing).
func (p *Projector) cleanOrphans(ctx context.Context) {
	if p.SnapshotStream == nil {
		return
	}
	n, err := cleanOrphanChunks(ctx, p.SnapshotStream, p.Snapshots, max(2*p.SaveEvery, time.Minute))
	if err != nil && ctx.Err() == nil {
		p.Logger.Warn("cleaning orphaned snapshot chunks", "err", err)
	}
	if n > 0 {
		p.Logger.Info("purged chunks of interrupted snapshot saves", "objects", n)
	}
}

// Metrics are the projector's Prometheus series.
type Metrics struct {
	consumed      *prometheus.CounterVec
	undecodables  prometheus.Counter
	lag           prometheus.Gauge
	toDecision    *prometheus.HistogramVec
	toVisible     *prometheus.HistogramVec
	checkpointAge prometheus.GaugeFunc
	undecided     prometheus.GaugeFunc
}

// latencyBuckets suit a pipeline whose target is milliseconds (dense up to
// 10 s, where the alert's 250 ms threshold sits), then minutes for a
// stalled worker (a 6-minute wait must not read as 30), then hours for
// comments that wait for a person.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 180, 300, 450, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400}

// NewMetrics registers the projector's series with reg. p may be nil when
// the process saves no snapshots.
func NewMetrics(reg prometheus.Registerer, p *Projector) *Metrics {
	m := &Metrics{
		consumed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "comments_events_consumed_total", Help: "Events consumed, by consumer and event type.",
			ConstLabels: prometheus.Labels{"consumer": "projector"},
		}, []string{"type"}),
		undecodables: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "comments_projection_undecodable_events_total", Help: "Events the projector skipped because they can never be decoded.",
		}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "comments_projection_lag_events", Help: "Events stored in the stream but not yet applied to the read models.",
		}),
		// actor_kind separates the rules (milliseconds) from people
		// (minutes to hours), whose latencies would drown the pipeline's.
		toDecision: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "comments_time_to_first_decision_seconds", Help: "Time from submission to the first decision, seen by the projector, by kind of actor (rules, human).",
			Buckets: latencyBuckets,
		}, []string{"actor_kind"}),
		toVisible: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "comments_time_to_visible_seconds", Help: "Time from submission until the comment is visible in the approved view, by kind of actor (rules, human) that approved it.",
			Buckets: latencyBuckets,
		}, []string{"actor_kind"}),
	}
	for _, kind := range []string{actorRules, actorHuman} {
		m.toDecision.WithLabelValues(kind)
		m.toVisible.WithLabelValues(kind)
	}
	cs := []prometheus.Collector{m.consumed, m.undecodables, m.lag, m.toDecision, m.toVisible}
	if p != nil && p.SaveEvery > 0 {
		// Only the process that saves snapshots has a checkpoint to age;
		// alerts select the gauge without a role.
		m.checkpointAge = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "comments_projection_checkpoint_age_seconds", Help: "Seconds since the read models were last snapshotted (or found unchanged).",
		}, func() float64 {
			at := p.lastSaved.Load()
			if at == 0 {
				return 0
			}
			return time.Since(time.Unix(0, at)).Seconds()
		})
		cs = append(cs, m.checkpointAge)
	}
	if p != nil {
		m.undecided = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "comments_oldest_undecided_seconds", Help: "Age of the oldest submission the rules have not decided, from the read models; 0 when none waits or while they replay history.",
		}, func() float64 {
			// While the read models replay history, comments decided
			// long ago are briefly pending again: not a stalled worker.
			if !p.caughtUp.Load() {
				return 0
			}
			var at time.Time
			var ok bool
			if p.Undecided != nil {
				at, ok = p.Undecided.OldestUndecided()
			} else {
				at, ok = p.Store.OldestUndecided()
			}
			if !ok {
				return 0
			}
			return max(time.Since(at).Seconds(), 0)
		})
		cs = append(cs, m.undecided)
	}
	for _, c := range cs {
		reg.MustRegister(c)
	}
	return m
}

func (m *Metrics) undecodable(pending uint64) {
	if m != nil {
		m.undecodables.Inc()
		m.lag.Set(float64(pending))
	}
}

func (m *Metrics) applied(ch Change, live bool, pending uint64) {
	if m == nil {
		return
	}
	m.consumed.WithLabelValues(string(ch.Event.Type)).Inc()
	m.lag.Set(float64(pending))
	if !live || !ch.Changed || !ch.Event.Type.IsDecision() {
		return
	}
	kind := actorKind(ch.Event.Actor)
	since := time.Since(ch.Comment.CreatedAt).Seconds()
	if ch.Before == Pending {
		m.toDecision.WithLabelValues(kind).Observe(since)
	}
	if ch.Comment.Status == Approved && ch.Before != Approved {
		m.toVisible.WithLabelValues(kind).Observe(since)
	}
}

// Values of the actor_kind label, as in the worker's decision counter.
const (
	actorRules = "rules"
	actorHuman = "human"
)

func actorKind(actor string) string {
	if events.IsHuman(actor) {
		return actorHuman
	}
	return actorRules
}
