package commands

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsroom/commentd/moderation"
	"github.com/newsroom/commentd/projections"
)

type metrics struct {
	decisions *prometheus.CounterVec
	overturns *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		// The worker's series, for people: one metric for every decision.
		decisions: moderation.NewDecisionsCounter("human"),
		overturns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "comments_moderation_overturns_total",
			Help: "Automatic approvals or rejections a moderator reversed, by the rule that decided.",
		}, []string{"rule"}),
	}
	if reg != nil {
		reg.MustRegister(m.decisions, m.overturns)
	}
	return m
}

// observe counts a moderator's decision, and an overturn when it reverses
// an automatic approval or rejection.
func (m *metrics) observe(prior projections.Comment, now projections.Status) {
	rule := "none"
	if len(prior.Rules) > 0 {
		rule = prior.Rules[0]
	}
	outcome := "approve"
	switch now {
	case projections.Rejected:
		outcome = "reject"
	case projections.Held:
		outcome = "hold" // an undo that puts a comment back in the queue
	}
	m.decisions.WithLabelValues(outcome, rule).Inc()
	automatic := prior.DecidedBy != "" && !prior.HumanDecided()
	if automatic && (prior.Status == projections.Approved || prior.Status == projections.Rejected) && prior.Status != now {
		m.overturns.WithLabelValues(rule).Inc()
	}
}
