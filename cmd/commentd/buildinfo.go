package main

import (
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/moderation"
)

// publishedTypes are the event types comments_events_published_total
// starts with at 0.
var publishedTypes = []events.Type{
	events.CommentSubmitted, events.CommentApproved, events.CommentRejected, events.CommentHeld,
	events.CommentReported, events.AuthorBanned, events.AuthorUnbanned, events.ArticleSettingsChanged,
	events.RulesetPublished,
}

// version is the module version the binary was built at (a tag with go
// install, "(devel)" from a checkout), with the VCS revision when known.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += "+" + s.Value[:12]
		}
	}
	if v == "" {
		v = "unknown"
	}
	return v
}

// buildInfo is commentd_build_info: 1, labelled with what is running, so
// a dashboard shows a rollout and an alert can be read against it.
func buildInfo() prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "commentd_build_info", Help: "Always 1; labels: the commentd version and the Go version it was built with.",
		ConstLabels: prometheus.Labels{"version": version(), "goversion": runtime.Version()},
	})
	g.Set(1)
	return g
}

// rulesetInfo is comments_ruleset_info: 1 for the rule set version the
// worker has in force (it follows publications, so the label changes).
type rulesetInfo struct{ rules *moderation.Rules }

var rulesetDesc = prometheus.NewDesc("comments_ruleset_info",
	"Always 1; labels: the version (content hash) and name of the rule set in force in this worker.",
	[]string{"version", "name"}, nil)

func (r rulesetInfo) Describe(ch chan<- *prometheus.Desc) { ch <- rulesetDesc }

func (r rulesetInfo) Collect(ch chan<- prometheus.Metric) {
	rs := r.rules.Current()
	if rs == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(rulesetDesc, prometheus.GaugeValue, 1, rs.Version, rs.Name)
}
