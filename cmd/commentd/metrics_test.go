package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natsperm"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/internal/poll"
)

// scrape reads /metrics, fails the test on any promlint problem, and
// returns the families by name.
func scrape(t testing.TB, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s %v", resp.Status, err)
	}
	problems, err := promlint.New(strings.NewReader(string(body))).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// value sums the samples of a family whose labels include want
// (counters, gauges, and histogram sample counts).
func value(fams map[string]*dto.MetricFamily, name string, want ...string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
	var sum float64
	found := false
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for i := 0; i+1 < len(want); i += 2 {
			if labels[want[i]] != want[i+1] {
				match = false
			}
		}
		if !match {
			continue
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		case m.Untyped != nil:
			sum += m.Untyped.GetValue()
		}
	}
	return sum, found
}

func postText(t testing.TB, base, article, text string) (string, int) {
	t.Helper()
	body := fmt.Sprintf(`{"author":"Tester","text":%q}`, text)
	resp, err := http.Post(base+"/api/articles/"+article+"/comments", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&out)
	return out.ID, resp.StatusCode
}

func commentStatus(base, id string) (string, error) {
	resp, err := http.Get(base + "/api/comments/" + id)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct{ Status string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", fmt.Errorf("%s: %v", resp.Status, err)
	}
	return out.Status, nil
}

// TestMetricsOfTheRunningPipeline runs the real commentd on a NATS server
// of its own, drives every path the dashboard and alerts watch, and checks
// the exposition: promlint-clean, the important series present, and
// moving.
func TestMetricsOfTheRunningPipeline(t *testing.T) {
	ns := natstest.Server(t)
	const admin = testAdminToken
	pw := natstest.Password(t, ns, natsperm.Operator)
	setupNATS(t, ns.ClientURL(), pw)
	p := launchCommentd(t, "--nats-url", ns.ClientURL(), "--nats-user", natsperm.Operator, "--nats-password", pw, "--rate-limit-per-ip", "0", "--rate-limit-per-author", "0", "--admin-token", admin)
	p.waitReady(t)
	before := scrape(t, p.URL)

	const n = 20
	var ids []string
	for i := range n {
		text := fmt.Sprintf("A thoughtful comment number %d.", i)
		if i%5 == 0 {
			text = "what the f u c k"
		}
		id, code := postText(t, p.URL, "metrics", text)
		if code != http.StatusAccepted {
			t.Fatalf("POST = %d", code)
		}
		ids = append(ids, id)
	}
	if _, code := postText(t, p.URL, "bad.article", "hi"); code != http.StatusBadRequest && code != http.StatusNotFound {
		t.Fatalf("POST to a bad article id = %d", code)
	}
	for _, id := range ids {
		poll.Until(t, 10*time.Second, func() error {
			st, err := commentStatus(p.URL, id)
			if err == nil && st == "pending" {
				err = fmt.Errorf("comment %s still pending", id)
			}
			return err
		})
	}

	// A moderator reverses what the rules decided on the first comment,
	// through the moderators' API: an overturn of the rule that decided.
	nc, js := natstest.Connect(t, ns)
	ctx := context.Background()
	log, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	hist, err := log.History(ctx, "metrics", ids[0])
	if err != nil || len(hist) != 2 || !hist[1].Type.IsDecision() {
		t.Fatalf("history of the first comment = %+v, %v", hist, err)
	}
	auto := hist[1]
	var d events.Decision
	if err := auto.Payload(&d); err != nil {
		t.Fatal(err)
	}
	rule := "none"
	if len(d.Rules) > 0 {
		rule = d.Rules[0]
	}
	reversal := "approve"
	switch auto.Type {
	case events.CommentApproved:
		reversal = "reject"
	case events.CommentRejected:
	default:
		t.Fatalf("the rules decided %s on the first comment; an overturn needs an approval or a rejection", auto.Type)
	}
	req, _ := http.NewRequest(http.MethodPost, p.URL+"/api/moderation/comments/"+ids[0]+"/decision",
		strings.NewReader(`{"action":"`+reversal+`","reason":"other"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("moderator decision: %s", resp.Status)
	}
	// A submission no code can decode: the worker terminates it and it
	// becomes a dead letter; the pipeline goes on.
	if err := nc.Publish("comments.metrics."+uuid.NewString()+".submitted", []byte("{not json")); err != nil {
		t.Fatal(err)
	}

	var after map[string]*dto.MetricFamily
	poll.Until(t, 15*time.Second, func() error {
		after = scrape(t, p.URL)
		for _, c := range []struct {
			name   string
			labels []string
			want   float64
		}{
			{"comments_moderation_overturns_total", []string{"rule", rule}, 1},
			{"comments_events_terminated_total", []string{"consumer", "moderation", "reason", "undecodable"}, 1},
			{"comments_dead_letters", []string{"kind", "terminated", "consumer", "moderation"}, 1},
			{"comments_projection_lag_events", nil, 0},
		} {
			if got, ok := value(after, c.name, c.labels...); !ok || got != c.want {
				return fmt.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
			}
		}
		return nil
	})

	// Counters that must have moved by at least the comments posted.
	for _, c := range []struct {
		name   string
		labels []string
		min    float64
	}{
		{"comments_http_requests_total", []string{"route", "POST /api/articles/{article}/comments", "code", "202"}, n},
		{"comments_http_request_duration_seconds", []string{"route", "POST /api/articles/{article}/comments"}, n},
		{"comments_input_rejected_total", nil, 1},
		{"comments_events_published_total", []string{"type", "CommentSubmitted"}, n},
		{"comments_events_published_total", []string{"type", string(auto.Type)}, 1},
		{"comments_events_consumed_total", []string{"consumer", "moderation", "type", "CommentSubmitted"}, n},
		{"comments_events_consumed_total", []string{"consumer", "projector", "type", "CommentSubmitted"}, n},
		{"comments_moderation_decisions_total", []string{"actor_kind", "rules"}, n},
		{"comments_moderation_decisions_total", []string{"actor_kind", "rules", "rule", rule}, 1},
		{"comments_moderation_decisions_total", []string{"actor_kind", "human"}, 1},
		{"comments_rule_evaluation_duration_seconds", nil, n},
		{"comments_time_to_first_decision_seconds", []string{"actor_kind", "rules"}, n},
		{"comments_time_to_visible_seconds", []string{"actor_kind", "rules"}, 1},
		{"comments_http_requests_total", []string{"route", "POST /api/moderation/comments/{id}/decision"}, 1},
	} {
		was, _ := value(before, c.name, c.labels...)
		now, ok := value(after, c.name, c.labels...)
		if !ok || now-was < c.min {
			t.Errorf("%s%v moved from %v to %v (present %v), want +%v", c.name, c.labels, was, now, ok, c.min)
		}
	}
	// Present in every process.
	for _, name := range []string{"comments_queue_depth", "comments_projection_checkpoint_age_seconds", "comments_consumer_redeliveries_total", "go_goroutines", "process_cpu_seconds_total",
		"comments_oldest_undecided_seconds", "comments_worker_last_decision_timestamp_seconds", "commentd_build_info", "comments_ruleset_info"} {
		if _, ok := after[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}

	// Everything was decided, and the worker says when it last did.
	if v, ok := value(after, "comments_oldest_undecided_seconds"); !ok || v != 0 {
		t.Errorf("comments_oldest_undecided_seconds = %v (present %v), want 0 with every comment decided", v, ok)
	}
	if v, _ := value(after, "comments_worker_last_decision_timestamp_seconds"); time.Since(time.Unix(int64(v), 0)) > time.Minute {
		t.Errorf("comments_worker_last_decision_timestamp_seconds = %v, want within the last minute", v)
	}
	if _, ok := value(after, "commentd_build_info", "goversion", runtime.Version()); !ok {
		t.Errorf("commentd_build_info without goversion %s", runtime.Version())
	}
	// Known label sets start at 0: the first of each shows in increase().
	for _, c := range []struct {
		name   string
		labels []string
	}{
		{"comments_http_requests_total", []string{"route", "POST /api/articles/{article}/comments", "code", "429"}},
		{"comments_events_terminated_total", []string{"consumer", "moderation", "reason", "invalid"}},
		{"comments_events_published_total", []string{"type", "AuthorBanned"}},
	} {
		if _, ok := value(before, c.name, c.labels...); !ok {
			t.Errorf("%s%v not there from the start", c.name, c.labels)
		}
	}

	// The dashboard and the alerts may only use what the process exports.
	exported := map[string]bool{}
	for name, f := range after {
		exported[name] = true
		if f.GetType() == dto.MetricType_HISTOGRAM {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				exported[name+suffix] = true
			}
		}
	}
	for _, file := range deployFiles(t) {
		for _, name := range referencedMetrics(t, file) {
			if !exported[name] {
				t.Errorf("%s uses %s, which commentd does not export", file, name)
			}
		}
	}
}

// deployFiles are the files that query commentd's metrics.
func deployFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("../../deploy/grafana/dashboards/*.json")
	if err != nil {
		t.Fatal(err)
	}
	return append(files, "../../deploy/alerts.yml")
}

var metricName = regexp.MustCompile(`\b(?:comments|commentd)_[a-z_]+[a-z]\b`)

// referencedMetrics lists the comments_* names in the PromQL of a
// dashboard (its targets' expr) or a rule file.
func referencedMetrics(t testing.TB, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	if strings.HasSuffix(file, ".json") {
		var dash struct {
			Panels []struct {
				Targets []struct{ Expr string }
			}
		}
		if err := json.Unmarshal(b, &dash); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		var exprs []string
		for _, p := range dash.Panels {
			for _, tg := range p.Targets {
				exprs = append(exprs, tg.Expr)
			}
		}
		if len(exprs) == 0 {
			t.Fatalf("%s: no panel queries", file)
		}
		text = strings.Join(exprs, "\n")
	}
	names := metricName.FindAllString(text, -1)
	slices.Sort(names)
	return slices.Compact(names)
}

// TestDeployFilesQueryMetrics guards the parser above: a file that
// mentions no metric would make the real check pass vacuously.
func TestDeployFilesQueryMetrics(t *testing.T) {
	for _, file := range deployFiles(t) {
		if got := referencedMetrics(t, file); len(got) < 5 {
			t.Errorf("%s: found only %v", file, got)
		}
	}
}
