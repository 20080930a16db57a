package moderation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsroom/commentd/events"
)

// ConsumerName is the durable consumer the workers share: each submission
// goes to one of them.
const ConsumerName = "moderation"

// decisionNamespace derives decision event ids from submission ids, so a
// redelivered submission publishes the same id and the stream stores it
// once.
var decisionNamespace = uuid.MustParse("4b0e3f57-6c8e-4f5e-9d7a-3a1f0c2d9e11")

var decisionType = map[Action]events.Type{
	Approve: events.CommentApproved,
	Hold:    events.CommentHeld,
	Reject:  events.CommentRejected,
}

// Context is what the worker knows beyond a comment's text: read models
// the process keeps. Rules read it through Input; they never do I/O.
type Context interface {
	Author(authorID string) AuthorStats
	Article(article string) ArticleSettings
}

// Worker consumes submissions, applies the current rule set and appends
// its decision.
type Worker struct {
	Log *events.Log
	// Rules returns the rule set to apply now; it may change between calls.
	Rules func() *Ruleset
	// Context, when set, supplies author stats and article settings.
	Context Context
	// Flood, when set, counts repeated texts and busy authors.
	Flood *FloodTracker
	// Concurrency is how many submissions are decided at once.
	Concurrency int
	Logger      *slog.Logger
	Metrics     *WorkerMetrics
}

// Run decides submissions until ctx ends, then finishes and acks the
// submissions in hand before it returns.
func (w *Worker) Run(ctx context.Context) error {
	if w.Logger == nil {
		w.Logger = slog.New(slog.DiscardHandler)
	}
	if w.Concurrency <= 0 {
		w.Concurrency = DefaultConcurrency
	}
	cons, err := w.Log.Durable(ctx, ConsumerConfig(w.Concurrency), w.Logger)
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("moderation: consumer: %w", err)
	}
	sem := make(chan struct{}, w.Concurrency)
	var inflight sync.WaitGroup
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		sem <- struct{}{}
		inflight.Go(func() {
			defer func() { <-sem }()
			w.handle(context.WithoutCancel(ctx), msg)
		})
	},
		jetstream.PullMaxMessages(2*w.Concurrency),
		// Short pulls: a pull request held by a consumer leader that
		// died is noticed after two missed heartbeats (2.5s each here,
		// 15s each by default), so decisions resume within seconds of a
		// failover.
		jetstream.PullExpiry(5*time.Second))
	if err != nil {
		return fmt.Errorf("moderation: consume: %w", err)
	}
	<-ctx.Done()
	cc.Drain()
	<-cc.Closed()
	inflight.Wait()
	return nil
}

// ConsumerConfig is the workers' durable consumer, for concurrency
// submissions decided at once by each: the worker creates it, and a tool
// that writes decisions itself (commentctl load) makes the same one.
func ConsumerConfig(concurrency int) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:        ConsumerName,
		Description:    "The moderation workers: decide each submission and each edit once.",
		FilterSubjects: []string{events.SubmittedSubjects, events.EditedSubjects},
		AckPolicy:      jetstream.AckExplicitPolicy,
		// A delivery lost in a failover (sent to a pull whose client was
		// reconnecting) comes back after AckWait. Deciding takes
		// milliseconds and a redelivery in parallel is harmless (the
		// decision is appended after the submission or not at all), so
		// keep it short.
		AckWait:       10 * time.Second,
		MaxDeliver:    20,
		MaxAckPending: 4 * concurrency,
	}
}

// DefaultConcurrency is how many submissions a worker decides at once
// unless told otherwise.
const DefaultConcurrency = 32

// Decision is the event a worker appends for verdict v of rules on the
// submission sub, decided at time at. Its id is derived from the
// submission's, so a redelivered submission publishes the same event and
// the stream stores it once.
//
// The verdict on a CommentEdited names the edit (Decision.Edit): on a
// published comment it decides the new text, not the comment.
func Decision(sub events.Envelope, rules *Ruleset, v Verdict, at time.Time) (events.Envelope, error) {
	d := events.Decision{Reason: v.Reason, Message: v.Message, Ruleset: rules.Version, Rules: v.Rules, Evidence: v.Evidence, Shadow: v.Shadow, Languages: v.Languages}
	if sub.Type == events.CommentEdited {
		d.Edit = sub.ID
	}
	return events.New(
		uuid.NewSHA1(decisionNamespace, []byte(sub.ID)).String(),
		decisionType[v.Action], sub.Article, sub.Comment,
		events.RulesActor(rules.Version), sub.ID, at, d,
	)
}

// handle decides one submission. It never returns an error: every outcome
// is an Ack, a Nak (may succeed later) or a Term (never will).
func (w *Worker) handle(ctx context.Context, msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		w.term(msg, "no_metadata", err)
		return
	}
	if meta.NumDelivered > 1 {
		w.Metrics.redelivered()
	}
	// The log's Decode opens the personal fields the api sealed.
	sub, err := w.Log.Decode(ctx, msg.Data())
	if err != nil && !errors.Is(err, events.ErrInvalid) {
		w.Logger.Warn("submission's key not readable; will retry", "event", sub.ID, "err", err)
		_ = msg.NakWithDelay(time.Second)
		return
	}
	if err != nil {
		w.term(msg, "undecodable", err)
		return
	}
	var p events.Submitted
	switch sub.Type {
	case events.CommentSubmitted:
		err = sub.Payload(&p)
	case events.CommentEdited:
		p, err = w.edited(ctx, sub)
		if err != nil && !errors.Is(err, events.ErrInvalid) {
			w.Logger.Warn("edited comment not readable; will retry", "event", sub.ID, "err", err)
			_ = msg.NakWithDelay(time.Second)
			return
		}
	default:
		err = fmt.Errorf("%w: a %s", events.ErrInvalid, sub.Type)
	}
	if err != nil {
		w.term(msg, "undecodable", err)
		return
	}
	w.Metrics.consumed(sub.Type)

	rules := w.Rules()
	in := Input{Text: p.Text, IsReply: p.ParentID != "", Now: sub.OccurredAt}
	if w.Context != nil {
		in.Author = w.Context.Author(p.AuthorID)
		in.Article = w.Context.Article(sub.Article)
	}
	if w.Flood != nil && sub.Type == events.CommentSubmitted {
		// Counted at submission time, so a redelivery sees the same window.
		in.Flood = w.Flood.Observe(sub.ID, p.AuthorID, p.Text, sub.OccurredAt, rules.FloodWindow)
	}
	began := time.Now()
	v := rules.Evaluate(in)
	w.Metrics.evaluated(time.Since(began))
	if v.Reason == ReasonRulesError {
		w.Logger.Error("rule evaluation failed; comment held for a moderator", "comment", sub.Comment, "event", sub.ID, "ruleset", rules.Version)
		w.Metrics.ruleError()
	}

	dec, err := Decision(sub, rules, v, time.Now())
	if err != nil {
		w.term(msg, "unencodable", err)
		return
	}
	// Only if nothing happened to the comment since it was submitted: a
	// moderator who decided first wins, and so does an earlier delivery
	// of this same submission.
	_, err = w.Log.AppendAfter(ctx, dec, meta.Sequence.Stream)
	switch {
	case err == nil:
		w.Metrics.decided(v)
	case errors.Is(err, events.ErrConflict):
		// A real conflict means the comment has an event after this
		// submission. A stream leader elected a moment ago can refuse the
		// expected sequence before it has applied the submission itself;
		// acking then would leave the comment pending for ever.
		if last, lerr := w.Log.CommentSeq(ctx, sub.Article, sub.Comment); lerr != nil || last <= meta.Sequence.Stream {
			w.Logger.Warn("conflict without a newer event; will retry", "comment", sub.Comment, "event", sub.ID, "last_seq", last, "err", lerr)
			_ = msg.NakWithDelay(time.Second)
			return
		}
		w.Logger.Debug("comment already decided", "comment", sub.Comment, "event", sub.ID)
	case errors.Is(err, events.ErrInvalid):
		w.term(msg, "invalid", err)
		return
	default:
		delay := min(time.Duration(meta.NumDelivered)*time.Second, 30*time.Second)
		w.Logger.Warn("decision not stored; will retry", "comment", sub.Comment, "event", sub.ID, "retry_in", delay, "err", err)
		_ = msg.NakWithDelay(delay)
		return
	}
	if err := msg.Ack(); err != nil {
		w.Logger.Warn("ack", "event", sub.ID, "err", err)
	}
}

// edited is an edit as the rules read it: the new text, with the author
// and parent of the comment's submission (an edit carries neither).
func (w *Worker) edited(ctx context.Context, ed events.Envelope) (events.Submitted, error) {
	var e events.Edited
	if err := ed.Payload(&e); err != nil {
		return events.Submitted{}, err
	}
	hist, err := w.Log.CommentEvents(ctx, ed.Article, ed.Comment)
	if err != nil {
		return events.Submitted{}, err
	}
	for _, h := range hist {
		if h.Type != events.CommentSubmitted {
			continue
		}
		var p events.Submitted
		if err := h.Payload(&p); err != nil {
			return events.Submitted{}, err
		}
		p.Text = e.Text
		return p, nil
	}
	return events.Submitted{}, fmt.Errorf("%w: an edit of comment %s, which was never submitted", events.ErrInvalid, ed.Comment)
}

func (w *Worker) term(msg jetstream.Msg, reason string, err error) {
	w.Logger.Error("submission terminated: it can never be decided", "subject", msg.Subject(), "reason", reason, "err", err)
	w.Metrics.terminated(reason)
	_ = msg.TermWithReason(reason)
}

// TerminationReasons are the reason labels of
// comments_events_terminated_total: why a submission can never be decided.
var TerminationReasons = []string{"no_metadata", "undecodable", "unencodable", "invalid"}

// WorkerMetrics are the worker's Prometheus series.
type WorkerMetrics struct {
	consumedTotal    *prometheus.CounterVec
	decisions        *prometheus.CounterVec
	evaluation       prometheus.Histogram
	redeliveries     prometheus.Counter
	terminatedEvents *prometheus.CounterVec
	ruleErrors       prometheus.Counter
	lastDecision     prometheus.Gauge
}

// NewDecisionsCounter is comments_moderation_decisions_total for one kind
// of actor ("rules" here, "human" in the moderators' API): one definition,
// so the two registrations in a process can never disagree.
func NewDecisionsCounter(actorKind string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name:        "comments_moderation_decisions_total",
		Help:        "Moderation decisions, by outcome, kind of actor (rules, human) and deciding rule.",
		ConstLabels: prometheus.Labels{"actor_kind": actorKind},
	}, []string{"outcome", "rule"})
}

// NewWorkerMetrics registers the worker's series with reg.
func NewWorkerMetrics(reg prometheus.Registerer) *WorkerMetrics {
	consumer := prometheus.Labels{"consumer": ConsumerName}
	m := &WorkerMetrics{
		consumedTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "comments_events_consumed_total", Help: "Events consumed, by consumer and event type.", ConstLabels: consumer,
		}, []string{"type"}),
		decisions: NewDecisionsCounter("rules"),
		evaluation: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "comments_rule_evaluation_duration_seconds", Help: "Time to evaluate the rule set on one comment.",
			Buckets: prometheus.ExponentialBuckets(1e-6, 4, 10),
		}),
		redeliveries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "comments_consumer_redeliveries_total", Help: "Messages delivered again to a consumer.", ConstLabels: consumer,
		}),
		terminatedEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "comments_events_terminated_total", Help: "Events a consumer terminated because they can never be processed, by reason.", ConstLabels: consumer,
		}, []string{"reason"}),
	}
	m.ruleErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "comments_rule_errors_total", Help: "Comments whose rule evaluation failed (a bug); they are held for a moderator.",
	})
	m.lastDecision = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "comments_worker_last_decision_timestamp_seconds", Help: "When this worker last stored a decision (Unix seconds); 0 before its first.",
	})
	// The known label sets exist from the start, so the first termination
	// or submission after a restart shows in increase() (a counter that
	// appears at 1 looks like no change).
	for _, t := range []events.Type{events.CommentSubmitted, events.CommentEdited} {
		m.consumedTotal.WithLabelValues(string(t))
	}
	for _, reason := range TerminationReasons {
		m.terminatedEvents.WithLabelValues(reason)
	}
	reg.MustRegister(m.consumedTotal, m.decisions, m.evaluation, m.redeliveries, m.terminatedEvents, m.ruleErrors, m.lastDecision)
	return m
}

func (m *WorkerMetrics) consumed(t events.Type) {
	if m != nil {
		m.consumedTotal.WithLabelValues(string(t)).Inc()
	}
}

func (m *WorkerMetrics) decided(v Verdict) {
	if m == nil {
		return
	}
	rule := "none"
	if len(v.Rules) > 0 {
		rule = v.Rules[0]
	}
	m.decisions.WithLabelValues(v.Action.String(), rule).Inc()
	m.lastDecision.SetToCurrentTime()
}

func (m *WorkerMetrics) evaluated(d time.Duration) {
	if m != nil {
		m.evaluation.Observe(d.Seconds())
	}
}

func (m *WorkerMetrics) ruleError() {
	if m != nil {
		m.ruleErrors.Inc()
	}
}

func (m *WorkerMetrics) redelivered() {
	if m != nil {
		m.redeliveries.Inc()
	}
}

func (m *WorkerMetrics) terminated(reason string) {
	if m != nil {
		m.terminatedEvents.WithLabelValues(reason).Inc()
	}
}
