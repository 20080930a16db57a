package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.yaml.in/yaml/v3"

	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/internal/poll"
	"github.com/newsroom/commentd/internal/testci"
)

// jszExporter is the part of prometheus-nats-exporter (v0.17.3, the compose
// file's) that NATSServerMissing counts, as its jsz collector does it
// (collector/jsz.go, Collect): on every scrape it asks each server's /jsz
// and /varz, skips a server that does not answer, and reports the others'
// jetstream_server_* gauges labelled by server and cluster. Its varz
// collector, by contrast, keeps a dead server's last values, which is why
// the alert counts these.
type jszExporter struct {
	servers []string
	streams *prometheus.Desc
}

func newJSZExporter(servers []string) *jszExporter {
	return &jszExporter{servers: servers, streams: prometheus.NewDesc("jetstream_server_total_streams", "Total number of streams in JetStream",
		[]string{"server_id", "server_name", "cluster", "domain", "meta_leader", "is_meta_leader"}, nil)}
}

func (e *jszExporter) Describe(ch chan<- *prometheus.Desc) { ch <- e.streams }

func (e *jszExporter) Collect(ch chan<- prometheus.Metric) {
	client := &http.Client{Timeout: 5 * time.Second}
	get := func(u string, v any) error {
		resp, err := client.Get(u)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		return json.NewDecoder(resp.Body).Decode(v)
	}
	for _, u := range e.servers {
		var jsz server.JSInfo
		var varz server.Varz
		if get(u+"/jsz", &jsz) != nil || get(u+"/varz", &varz) != nil {
			continue // "ignoring server"
		}
		cluster, leader, isLeader := "", "", "true"
		if jsz.Meta != nil {
			cluster, leader, isLeader = jsz.Meta.Name, jsz.Meta.Leader, fmt.Sprint(jsz.Meta.Leader == varz.Name)
		}
		ch <- prometheus.MustNewConstMetric(e.streams, prometheus.GaugeValue, float64(jsz.Streams), u, varz.Name, cluster, jsz.Config.Domain, leader, isLeader)
	}
}

// TestNATSServerMissingWhenAServerDies kills a server of a real
// three-node cluster under a real Prometheus that scrapes it as the
// compose file does (one exporter for the three monitoring endpoints) and
// evaluates deploy/alerts.yml: count(jetstream_server_total_streams) drops
// from 3 to 2 at the next scrape and NATSServerMissing goes pending; with
// the server back, the count is 3 and the alert clears. It uses
// prometheus-nats-exporter itself when it is on the PATH, else the same
// collection in jszExporter.
func TestNATSServerMissingWhenAServerDies(t *testing.T) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		testci.Missing(t, "prometheus (apt-get install prometheus)", err)
	}
	c := natstest.NewCluster(t, 3)
	monitors := []string{c.MonitorURL(0), c.MonitorURL(1), c.MonitorURL(2)}

	exporter := startNATSExporter(t, monitors)
	cfg := fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [%q]
scrape_configs:
  - job_name: nats
    static_configs:
      - targets: [%q]
`, mustAbs(t, "../../deploy/alerts.yml"), exporter)
	prom := startPrometheus(t, bin, cfg)

	expr := alertExpr(t, "NATSServerMissing")
	value := func(e string) (string, error) {
		r, err := prom.query(e)
		if err != nil {
			return "", err
		}
		if len(r) == 0 {
			return "none", nil
		}
		b, _ := json.Marshal(r[0].(map[string]any)["value"].([]any)[1])
		return strings.Trim(string(b), `"`), nil
	}
	wait := func(what, e, want string) {
		t.Helper()
		poll.Until(t, 60*time.Second, func() error {
			got, err := value(e)
			if err == nil && got != want {
				err = fmt.Errorf("%s: %s = %s, want %s\n%s", what, e, got, want, prom.logs)
			}
			return err
		})
	}
	// What the dashboard's "Servers up" panel shows counts the same.
	count := dashboardExpr(t, "servers answering")
	const pending = `count(ALERTS{alertname="NATSServerMissing", alertstate="pending"})`
	wait("all three servers", count, "3")
	wait("all three servers", expr, "none")
	// Before the first scrape no server answered, so it may have gone
	// pending at the start; it clears with three.
	wait("all three servers", pending, "none")

	killed := time.Now()
	c.Stop(1)
	wait("a server killed", count, "2")
	wait("a server killed", expr, "2")
	wait("a server killed", pending, "1")
	t.Logf("the count dropped and the alert went pending %s after the kill", time.Since(killed).Round(100*time.Millisecond))

	c.Restart(1)
	wait("the server back", count, "3")
	wait("the server back", pending, "none")
}

// startNATSExporter serves the exporter's metrics for the monitoring
// endpoints and returns its host:port.
func startNATSExporter(t *testing.T, monitors []string) string {
	t.Helper()
	if bin, err := exec.LookPath("prometheus-nats-exporter"); err == nil {
		addr := freeAddr(t)
		host, port, _ := strings.Cut(addr, ":")
		ctx, cancel := context.WithCancel(context.Background())
		cmd := exec.CommandContext(ctx, bin, append([]string{"-jsz=all", "-varz", "-addr", host, "-port", port}, monitors...)...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			cancel()
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cancel()
			cmd.Wait()
		})
		t.Logf("scraping through %s", bin)
		return addr
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(newJSZExporter(monitors))
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// alertExpr is the expression of alert name in deploy/alerts.yml.
func alertExpr(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../deploy/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Rules []struct{ Alert, Expr string }
		}
	}
	if err := yaml.Unmarshal(b, &rules); err != nil {
		t.Fatal(err)
	}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == name {
				return r.Expr
			}
		}
	}
	t.Fatalf("no alert %s in deploy/alerts.yml", name)
	return ""
}

// dashboardExpr is the query of the dashboard target with legend legend.
func dashboardExpr(t *testing.T, legend string) string {
	t.Helper()
	b, err := os.ReadFile("../../deploy/grafana/dashboards/commentd.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Targets []struct{ Expr, LegendFormat string }
		}
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			if tg.LegendFormat == legend {
				return tg.Expr
			}
		}
	}
	t.Fatalf("no dashboard query with legend %q", legend)
	return ""
}
