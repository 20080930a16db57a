package deadletter

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// collector reads the dead-letter counts from the stream at scrape time,
// the way exporters do: the stream is the truth, shared by every process,
// and nothing has to be counted twice or kept across restarts.
type collector struct {
	q         *Queue
	consumers []string
	logger    *slog.Logger
	desc      *prometheus.Desc
}

// NewCollector registers comments_dead_letters{kind,consumer} with reg: the
// dead letters not yet replayed or deleted. consumers are reported as 0 when
// they have none, so the series exist from the start. A failed read is
// logged and leaves the series out of that scrape; it never fails the
// scrape.
func NewCollector(reg prometheus.Registerer, q *Queue, logger *slog.Logger, consumers ...string) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	reg.MustRegister(&collector{
		q: q, consumers: consumers, logger: logger,
		desc: prometheus.NewDesc("comments_dead_letters",
			"Events a consumer gave up on (max deliveries, terminated) and that wait in the DEADLETTERS stream to be replayed or deleted.",
			[]string{"kind", "consumer"}, nil),
	})
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.q.Counts(ctx)
	if err != nil {
		c.logger.Warn("dead letters not counted", "err", err)
		return
	}
	for _, kind := range []Kind{MaxDeliveries, Terminated} {
		by := counts[kind]
		for _, name := range c.consumers {
			if _, ok := by[name]; !ok {
				ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, 0, string(kind), name)
			}
		}
		for name, n := range by {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), string(kind), name)
		}
	}
}
