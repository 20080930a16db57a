package projections

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsroom/commentd/events"
)

// Projector is the views' one writer (the projector role): it follows the
// stream from the oldest view checkpoint and folds each event into every
// view (pipeline.go), and performs the operator's rebuilds (rebuild.go).
type Projector struct {
	Log *events.Log
	// Rebuild rebuilds every view from sequence 1 at start, into its
	// spare bucket while the current one serves (rebuild.go).
	Rebuild bool
	// Status is the comment view, with Views beside it; each resumes from
	// its own checkpoint (pipeline.go).
	Status *StatusView
	Views  []ViewWriter
	// Catalog, when set, is where the operator asks for rebuilds, which
	// this projector performs (rebuild.go).
	Catalog *Catalog
	// CommentCache is how many comment states the view writer keeps
	// (DefaultCommentCache when 0).
	CommentCache int
	// MaxLag is how many events behind the projector may fall and still
	// be ready (after it caught up once).
	MaxLag  uint64
	Logger  *slog.Logger
	Metrics *Metrics

	caughtUp atomic.Bool
	once     sync.Once
	caught   chan struct{} // closed when caughtUp first becomes true
	applied  atomic.Uint64 // the newest sequence the views were handed
	pipe     *pipeline
}

// Ready reports whether the views have caught up with the stream since
// start and lag behind it by at most MaxLag events.
//
// lastSeq is the stream's newest sequence, asked of the server by the
// caller: the lag seen with the last delivered event would stay small
// while deliveries stopped.
func (p *Projector) Ready(lastSeq uint64) bool {
	applied := p.applied.Load()
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

// Run follows the log from the views' checkpoints until ctx ends, then
// checkpoints the views.
func (p *Projector) Run(ctx context.Context) error {
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Status == nil {
		return errors.New("projections: a projector needs the comment view")
	}
	var err error
	if p.pipe, err = newPipeline(p.Log, p.Status, p.Views, cmp.Or(p.CommentCache, DefaultCommentCache), p.Logger); err != nil {
		return err
	}
	p.pipe.observe = p.Metrics.observe
	p.Metrics.setPipeline(p.pipe)
	// A projector that starts during a failover waits for the stream.
	var start, last uint64
	err = events.Retry(ctx, p.Logger, "find where to follow from", func(ctx context.Context) (err error) {
		if start, err = p.pipe.start(ctx); err == nil {
			last, err = p.Log.LastSeq(ctx)
		}
		return err
	})
	if err != nil {
		return stopped(ctx, err)
	}
	p.applied.Store(start - 1)
	if caught, err := p.catchUp(ctx, start, last); err == nil {
		start = caught
	} else if ctx.Err() == nil {
		// What it wrote past the checkpoints is written again, the same.
		p.Logger.Warn("bulk catch-up failed; following event by event", "err", err)
		err = events.Retry(ctx, p.Logger, "find where to follow from", func(ctx context.Context) (err error) {
			start, err = p.pipe.start(ctx)
			return err
		})
		if err != nil {
			return stopped(ctx, err)
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	if last < start {
		p.setCaughtUp()
	}
	p.Logger.Info("projector following the log", "from_seq", start, "stream_last_seq", last)

	var wg sync.WaitGroup
	rctx, stopRebuilds := context.WithCancel(ctx)
	defer stopRebuilds()
	if p.Catalog != nil {
		wg.Go(func() { p.serveRebuilds(rctx) })
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
		if start, err = p.pipe.start(ctx); err == nil {
			err = p.follow(ctx, start)
		}
	}
	stopRebuilds()
	wg.Wait()
	// The caller's ctx is done; the last checkpoint gets its own time.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	p.pipe.applyMu.Lock()
	serr := p.pipe.checkpoint(sctx)
	p.pipe.applyMu.Unlock()
	cancel()
	if serr != nil {
		p.Logger.Error("final view checkpoint", "err", serr)
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

func (p *Projector) follow(ctx context.Context, start uint64) error {
	return p.Log.Follow(ctx, events.FollowConfig{From: start}, func(e events.Envelope, pending uint64, err error) error {
		live := p.caughtUp.Load()
		if err != nil {
			// The views skip what can never be an event; the worker
			// terminates and counts it.
			p.Logger.Warn("undecodable event skipped", "seq", e.Seq, "subject", e.Subject, "err", err)
			p.Metrics.undecodable()
		} else {
			p.Metrics.consumed(e.Type)
		}
		if werr := p.pipe.apply(ctx, e, err, live, pending == 0); werr != nil {
			return werr
		}
		// Seen either way: the lag and readiness move on, or an
		// undecodable last event would leave them stuck.
		p.applied.Store(e.Seq)
		p.Metrics.setLag(pending)
		if pending == 0 && !live {
			p.setCaughtUp()
			p.Logger.Info("views caught up", "seq", e.Seq)
		}
		return nil
	})
}

// Metrics are the projector's Prometheus series.
type Metrics struct {
	consumedTotal *prometheus.CounterVec
	undecodables  prometheus.Counter
	lag           prometheus.Gauge
	toDecision    *prometheus.HistogramVec
	toVisible     *prometheus.HistogramVec
	pipe          atomic.Pointer[pipeline]
}

// latencyBuckets suit a pipeline whose target is milliseconds (dense up to
// 10 s, where the alert's 250 ms threshold sits), then minutes for a
// stalled worker (a 6-minute wait must not read as 30), then hours for
// comments that wait for a person.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 180, 300, 450, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400}

// NewMetrics registers the projector's series with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		consumedTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "comments_events_consumed_total", Help: "Events consumed, by consumer and event type.",
			ConstLabels: prometheus.Labels{"consumer": "projector"},
		}, []string{"type"}),
		undecodables: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "comments_projection_undecodable_events_total", Help: "Events the projector skipped because they can never be decoded.",
		}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "comments_projection_lag_events", Help: "Events stored in the stream but not yet applied to the views.",
		}),
		// actor_kind separates the rules (milliseconds) from people
		// (minutes to hours), whose latencies would drown the pipeline's.
		toDecision: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "comments_time_to_first_decision_seconds", Help: "Time from submission to the first decision, seen by the projector, by kind of actor (rules, human).",
			Buckets: latencyBuckets,
		}, []string{"actor_kind"}),
		toVisible: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "comments_time_to_visible_seconds", Help: "Time from submission until the comment is written to the approved view, by kind of actor (rules, human) that approved it.",
			Buckets: latencyBuckets,
		}, []string{"actor_kind"}),
	}
	for _, kind := range []string{actorRules, actorHuman} {
		m.toDecision.WithLabelValues(kind)
		m.toVisible.WithLabelValues(kind)
	}
	checkpointAge := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "comments_projection_checkpoint_age_seconds", Help: "Age of the oldest event applied to the views whose checkpoint is not written yet (0 when every view is checkpointed).",
	}, func() float64 {
		if p := m.pipe.Load(); p != nil {
			return p.uncheckpointedFor().Seconds()
		}
		return 0
	})
	reg.MustRegister(m.consumedTotal, m.undecodables, m.lag, m.toDecision, m.toVisible, checkpointAge)
	return m
}

func (m *Metrics) setPipeline(p *pipeline) {
	if m != nil {
		m.pipe.Store(p)
	}
}

func (m *Metrics) consumed(t events.Type) {
	if m != nil {
		m.consumedTotal.WithLabelValues(string(t)).Inc()
	}
}

func (m *Metrics) undecodable() {
	if m != nil {
		m.undecodables.Inc()
	}
}

func (m *Metrics) setLag(pending uint64) {
	if m != nil {
		m.lag.Set(float64(pending))
	}
}

// observe times a live decision from the comment's submission.
func (m *Metrics) observe(u *Update) {
	if m == nil || !u.Live || !u.Change.Changed || !u.Event.Type.IsDecision() {
		return
	}
	before, after := u.Change.Before.Status, u.Change.After.Status
	kind := actorKind(u.Event.Actor)
	since := time.Since(u.Change.After.CreatedAt).Seconds()
	if before == Pending {
		m.toDecision.WithLabelValues(kind).Observe(since)
	}
	if after == Approved && before != Approved {
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
