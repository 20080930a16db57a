package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// ReportsHoldConsumer is the durable consumer of readers' reports that
// holds a comment once enough readers reported it. Every process with the
// worker role runs one; each report goes to one of them.
const ReportsHoldConsumer = "reports-hold"

// reportHoldNamespace derives the id of a hold caused by reports from the
// comment and the sequence it was decided after, so two deliveries that
// both find the threshold reached append one event.
var reportHoldNamespace = uuid.MustParse("0c7f3c2e-5a8d-4b8e-9a61-2f4d7e1b9c55")

// ReportsHold holds a visible comment for review once Threshold distinct
// readers reported it. It judges each report by the comment's own history
// in the log, not by a view that may lag: a comment the rules approved, that
// no person decided, with Threshold or more readers' reports is held, once
// (the hold is appended after the comment's newest event, with an id
// derived from it). A moderator's decision is never overridden: reports on
// a comment a person approved only queue it as reported.
type ReportsHold struct {
	Log *events.Log
	// Threshold is how many readers' reports hold a comment; 0 never
	// holds (reports are then acknowledged unread).
	Threshold int
	Logger    *slog.Logger
	Metrics   *ReportsHoldMetrics
}

// Run consumes reports until ctx ends, then finishes the one in hand.
func (h *ReportsHold) Run(ctx context.Context) error {
	if h.Logger == nil {
		h.Logger = slog.New(slog.DiscardHandler)
	}
	cons, err := h.Log.Durable(ctx, jetstream.ConsumerConfig{
		Durable:       ReportsHoldConsumer,
		Description:   "Readers' reports: hold a comment once enough readers reported it.",
		FilterSubject: events.ReportedSubjects,
		AckPolicy:     jetstream.AckExplicitPolicy,
		// Judging a report takes a few message gets; a delivery lost in
		// a failover comes back soon.
		AckWait:       15 * time.Second,
		MaxDeliver:    20,
		MaxAckPending: 64,
	}, h.Logger)
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("commands: reports consumer: %w", err)
	}
	// One report at a time (the callback runs on one goroutine): reports
	// are few, and two of one comment then never race each other here.
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		h.handle(hctx, msg)
	}, jetstream.PullMaxMessages(32), jetstream.PullExpiry(5*time.Second))
	if err != nil {
		return fmt.Errorf("commands: consume reports: %w", err)
	}
	<-ctx.Done()
	cc.Drain()
	<-cc.Closed()
	return nil
}

// handle judges one report: every outcome is an Ack, a Nak (may succeed
// later) or a Term (never will).
func (h *ReportsHold) handle(ctx context.Context, msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		h.term(msg, "no_metadata", err)
		return
	}
	if meta.NumDelivered > 1 {
		h.Metrics.redelivered()
	}
	rep, err := events.Decode(msg.Data())
	if err == nil && rep.Type != events.CommentReported {
		err = fmt.Errorf("%w: %s on %s", events.ErrInvalid, rep.Type, msg.Subject())
	}
	if err != nil {
		h.term(msg, "undecodable", err)
		return
	}
	h.Metrics.consumed()
	if h.Threshold > 0 {
		if err := h.judge(ctx, rep); err != nil {
			delay := min(time.Duration(meta.NumDelivered)*250*time.Millisecond, 10*time.Second)
			h.Logger.Warn("report not judged; will retry", "comment", rep.Comment, "event", rep.ID, "retry_in", delay, "err", err)
			_ = msg.NakWithDelay(delay)
			return
		}
	}
	if err := msg.Ack(); err != nil {
		h.Logger.Warn("ack", "event", rep.ID, "err", err)
	}
}

// judge holds rep's comment if it should be held now. A nil error means
// the report needs nothing more; an error, that it must be judged again.
func (h *ReportsHold) judge(ctx context.Context, rep events.Envelope) error {
	hist, err := h.Log.CommentEvents(ctx, rep.Article, rep.Comment)
	if errors.Is(err, events.ErrNotFound) {
		return nil // a report of no comment: nothing to hold
	}
	if err != nil {
		return err
	}
	c, _ := Fold(hist)
	if c.Status != projections.Approved || c.HumanDecided() {
		return nil
	}
	reports, err := h.Log.Reports(ctx, rep.Article, rep.Comment)
	if err != nil {
		return err
	}
	if openReporters(hist, reports) < h.Threshold {
		return nil
	}
	e, err := events.New(uuid.NewSHA1(reportHoldNamespace, fmt.Appendf(nil, "%s\n%d", c.ID, c.Seq)).String(),
		events.CommentHeld, c.Article, c.ID, events.ReportsActor(h.Threshold), rep.ID, time.Now(),
		events.Decision{Reason: "reported", Rules: []string{"reports"}, Message: "Readers reported your comment; a moderator will look at it."})
	if err != nil {
		return err
	}
	// On ErrConflict the comment changed since it was read (a moderator
	// decided, or a stream leader elected a moment ago had not applied its
	// newest event yet): the report is judged again on what it is now.
	if _, err := h.Log.AppendAfter(ctx, e, c.Seq); err != nil {
		return err
	}
	h.Logger.Info("comment held after reports", "comment", c.ID, "reports", h.Threshold)
	h.Metrics.held()
	return nil
}

// openReporters counts the distinct readers who reported a comment since a
// person last decided it: each reader counts once, however often they
// report it. hist are the comment's own events, reports its reports.
func openReporters(hist, reports []events.Envelope) int {
	open := make(map[string]bool)
	i := 0
	for _, r := range reports {
		for ; i < len(hist) && hist[i].Seq < r.Seq; i++ {
			if hist[i].Type.IsDecision() && events.IsHuman(hist[i].Actor) {
				clear(open) // a person looked at it: the reports so far are answered
			}
		}
		var p events.Reported
		if r.Payload(&p) == nil && p.ReporterID != "" {
			open[p.ReporterID] = true
		}
	}
	for ; i < len(hist); i++ {
		if hist[i].Type.IsDecision() && events.IsHuman(hist[i].Actor) {
			clear(open)
		}
	}
	return len(open)
}

func (h *ReportsHold) term(msg jetstream.Msg, reason string, err error) {
	h.Logger.Error("report terminated: it can never be judged", "subject", msg.Subject(), "reason", reason, "err", err)
	h.Metrics.terminated(reason)
	_ = msg.TermWithReason(reason)
}

// ReportsHoldMetrics are the reports consumer's Prometheus series.
type ReportsHoldMetrics struct {
	consumedTotal prometheus.Counter
	redeliveries  prometheus.Counter
	terminations  *prometheus.CounterVec
	holds         prometheus.Counter
}

// NewReportsHoldMetrics registers the consumer's series with reg: the
// worker's names, with consumer="reports-hold".
func NewReportsHoldMetrics(reg prometheus.Registerer) *ReportsHoldMetrics {
	consumer := prometheus.Labels{"consumer": ReportsHoldConsumer}
	consumed := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "comments_events_consumed_total", Help: "Events consumed, by consumer and event type.", ConstLabels: consumer,
	}, []string{"type"})
	m := &ReportsHoldMetrics{
		consumedTotal: consumed.WithLabelValues(string(events.CommentReported)),
		redeliveries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "comments_consumer_redeliveries_total", Help: "Messages delivered again to a consumer.", ConstLabels: consumer,
		}),
		terminations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "comments_events_terminated_total", Help: "Events a consumer terminated because they can never be processed, by reason.", ConstLabels: consumer,
		}, []string{"reason"}),
		holds: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "comments_reports_holds_total", Help: "Comments held for review because enough readers reported them.",
		}),
	}
	for _, reason := range []string{"no_metadata", "undecodable"} {
		m.terminations.WithLabelValues(reason)
	}
	reg.MustRegister(consumed, m.redeliveries, m.terminations, m.holds)
	return m
}

func (m *ReportsHoldMetrics) consumed() {
	if m != nil {
		m.consumedTotal.Inc()
	}
}

func (m *ReportsHoldMetrics) redelivered() {
	if m != nil {
		m.redeliveries.Inc()
	}
}

func (m *ReportsHoldMetrics) terminated(reason string) {
	if m != nil {
		m.terminations.WithLabelValues(reason).Inc()
	}
}

func (m *ReportsHoldMetrics) held() {
	if m != nil {
		m.holds.Inc()
	}
}
