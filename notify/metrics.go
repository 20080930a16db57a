package notify

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsroom/commentd/events"
)

// Metrics are the notifier's Prometheus series: mails by kind, and the
// consumer's series under the worker's names with consumer="notify".
type Metrics struct {
	mailsSent    *prometheus.CounterVec
	mailsFailed  *prometheus.CounterVec
	consumedVec  *prometheus.CounterVec
	redeliveries prometheus.Counter
	terminations *prometheus.CounterVec
}

// NewMetrics registers the series with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	consumer := prometheus.Labels{"consumer": ConsumerName}
	m := &Metrics{
		mailsSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "comments_notify_mails_sent_total", Help: "Notification mails the mail server took, by kind (verify, decision, reply).",
		}, []string{"kind"}),
		mailsFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "comments_notify_mails_failed_total", Help: "Notification mails that failed, by kind and error: temporary (retried with back-off) or permanent (refused, not retried).",
		}, []string{"kind", "error"}),
		consumedVec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "comments_events_consumed_total", Help: "Events consumed, by consumer and event type.", ConstLabels: consumer,
		}, []string{"type"}),
		redeliveries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "comments_consumer_redeliveries_total", Help: "Messages delivered again to a consumer.", ConstLabels: consumer,
		}),
		terminations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "comments_events_terminated_total", Help: "Events a consumer terminated because they can never be processed, by reason.", ConstLabels: consumer,
		}, []string{"reason"}),
	}
	for _, k := range Kinds {
		m.mailsSent.WithLabelValues(string(k))
		m.mailsFailed.WithLabelValues(string(k), "temporary")
		m.mailsFailed.WithLabelValues(string(k), "permanent")
	}
	for _, t := range []events.Type{events.CommentSubmitted, events.CommentApproved, events.CommentRejected, events.AuthorErased} {
		m.consumedVec.WithLabelValues(string(t))
	}
	for _, r := range []string{"no_metadata", "undecodable"} {
		m.terminations.WithLabelValues(r)
	}
	reg.MustRegister(m.mailsSent, m.mailsFailed, m.consumedVec, m.redeliveries, m.terminations)
	return m
}

func (m *Metrics) sent(k Kind) {
	if m != nil {
		m.mailsSent.WithLabelValues(string(k)).Inc()
	}
}

func (m *Metrics) failed(k Kind, kind string) {
	if m != nil {
		m.mailsFailed.WithLabelValues(string(k), kind).Inc()
	}
}

func (m *Metrics) consumed(t events.Type) {
	if m != nil {
		m.consumedVec.WithLabelValues(string(t)).Inc()
	}
}

func (m *Metrics) redelivered() {
	if m != nil {
		m.redeliveries.Inc()
	}
}

func (m *Metrics) terminated(reason string) {
	if m != nil {
		m.terminations.WithLabelValues(reason).Inc()
	}
}
