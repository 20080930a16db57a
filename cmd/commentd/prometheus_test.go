package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/newsroom/commentd/internal/poll"
	"github.com/newsroom/commentd/internal/testci"
)

// TestDeployQueriesOnARealPrometheus runs a real Prometheus (Debian's
// prometheus) scraping a real all-in-one commentd and evaluates every
// dashboard query and every alert expression on it: each must be valid
// PromQL that Prometheus accepts with the dashboard's variables filled in,
// and the commentd ones that describe a running process must return data.
func TestDeployQueriesOnARealPrometheus(t *testing.T) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		testci.Missing(t, "prometheus (apt-get install prometheus)", err)
	}
	p := launchCommentd(t, "--data-dir", t.TempDir())
	p.waitReady(t)
	postText(t, p.URL, "promql", "A comment for Prometheus to count.")

	target := strings.TrimPrefix(p.URL, "http://")
	cfg := fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [%q]
scrape_configs:
  - job_name: commentd
    static_configs:
      - targets: [%q]
        labels: {role: all-in-one}
`, mustAbs(t, "../../deploy/alerts.yml"), target)
	prom := startPrometheus(t, bin, cfg)
	api, query, logs := prom.api, prom.query, prom.logs
	// Three scrapes, so rates over the window have two samples.
	poll.Until(t, 60*time.Second, func() error {
		r, err := query(`count_over_time(up{job="commentd"}[1m]) >= 3 and up{job="commentd"} == 1`)
		if err == nil && len(r) == 0 {
			err = fmt.Errorf("fewer than 3 good scrapes yet\n%s", logs)
		}
		return err
	})

	fill := strings.NewReplacer("$__rate_interval", "1m", "$role", ".*", "${datasource}", "prometheus")
	var exprs []string
	for _, file := range deployFiles(t) {
		if strings.HasSuffix(file, ".json") {
			b, _ := os.ReadFile(file)
			var dash struct {
				Panels []struct {
					Title   string
					Targets []struct{ Expr string }
				}
			}
			if err := json.Unmarshal(b, &dash); err != nil {
				t.Fatal(err)
			}
			for _, pn := range dash.Panels {
				for _, tg := range pn.Targets {
					exprs = append(exprs, fill.Replace(tg.Expr))
				}
			}
			continue
		}
		b, _ := os.ReadFile(file)
		var rules struct {
			Groups []struct{ Rules []struct{ Expr string } }
		}
		if err := yaml.Unmarshal(b, &rules); err != nil {
			t.Fatal(err)
		}
		for _, g := range rules.Groups {
			for _, r := range g.Rules {
				exprs = append(exprs, r.Expr)
			}
		}
	}
	// What a running all-in-one must show (no NATS exporter here).
	wantData := map[string]bool{
		`sum(rate(comments_events_published_total{type="CommentSubmitted"}[1m]))`: true,
		`max(comments_oldest_undecided_seconds)`:                                  true,
		`count by (version, goversion) (commentd_build_info)`:                     true,
		`count by (version, name) (comments_ruleset_info)`:                        true,
	}
	for _, e := range exprs {
		r, err := query(e)
		if err != nil {
			t.Errorf("Prometheus refuses %q: %v", e, err)
			continue
		}
		if wantData[e] && len(r) == 0 {
			t.Errorf("%q returns nothing on a running commentd", e)
		}
		delete(wantData, e)
	}
	for e := range wantData {
		t.Errorf("the dashboard no longer queries %q; update this test", e)
	}
	// The rules loaded, none of them in error.
	resp, err := http.Get(api + "/api/v1/rules")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rules struct {
		Data struct {
			Groups []struct {
				Rules []struct{ Name, Health, LastError string }
			}
		}
	}
	json.NewDecoder(resp.Body).Decode(&rules)
	n := 0
	for _, g := range rules.Data.Groups {
		for _, r := range g.Rules {
			n++
			if r.Health == "err" {
				t.Errorf("rule %s: %s", r.Name, r.LastError)
			}
		}
	}
	if n < 10 {
		t.Errorf("Prometheus loaded %d rules", n)
	}
}

// promProcess is a real Prometheus process for a test.
type promProcess struct {
	api  string // its base URL
	logs *lockedBuffer
}

// startPrometheus runs bin with the configuration cfg until the test ends.
func startPrometheus(t *testing.T, bin, cfg string) *promProcess {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})
	return &promProcess{api: "http://" + addr, logs: logs}
}

// query evaluates expr now: the result's samples, or Prometheus's error.
func (p *promProcess) query(expr string) ([]any, error) {
	resp, err := http.Get(p.api + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		Status, Error string
		Data          struct{ Result []any }
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	if out.Status != "success" {
		return nil, fmt.Errorf("%s", out.Error)
	}
	return out.Data.Result, nil
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
