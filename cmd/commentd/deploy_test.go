package main

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"go.yaml.in/yaml/v3"
)

// TestEveryAlertHasARunbook checks that every alert in deploy/alerts.yml
// links, by runbook_url, to a section of docs/operations.md that exists:
// the page an on-call editor opens from the notification.
func TestEveryAlertHasARunbook(t *testing.T) {
	b, err := os.ReadFile("../../deploy/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []struct {
			Rules []struct {
				Alert       string
				Annotations map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#+ (.+)$`).FindAllStringSubmatch(string(doc), -1) {
		anchors[githubAnchor(m[1])] = true
	}
	const base = "https://github.com/newsroom/commentd/blob/main/docs/operations.md#"
	n := 0
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			url := r.Annotations["runbook_url"]
			anchor, ok := strings.CutPrefix(url, base)
			if !ok {
				t.Errorf("%s: runbook_url %q is not a section of docs/operations.md", r.Alert, url)
				continue
			}
			if anchor != strings.ToLower(r.Alert) || !anchors[anchor] {
				t.Errorf("%s: runbook_url points at #%s; docs/operations.md needs a section \"### %s\"", r.Alert, anchor, r.Alert)
			}
		}
	}
	if n < 10 {
		t.Fatalf("found only %d alerts", n)
	}
}

// TestEveryAlertIsTested checks that deploy/alerts_test.yml, which
// promtool runs in .ci/check-deploy, has for every alert of
// deploy/alerts.yml a case where it fires and one where it stays quiet: a
// new alert without both is an alert nobody has seen work.
func TestEveryAlertIsTested(t *testing.T) {
	b, err := os.ReadFile("../../deploy/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct{ Rules []struct{ Alert string } }
	}
	if err := yaml.Unmarshal(b, &rules); err != nil {
		t.Fatal(err)
	}
	b, err = os.ReadFile("../../deploy/alerts_test.yml")
	if err != nil {
		t.Fatal(err)
	}
	var tests struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string
				ExpAlerts []any `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		}
	}
	if err := yaml.Unmarshal(b, &tests); err != nil {
		t.Fatal(err)
	}
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				quiet[a.Alertname] = true
			}
		}
	}
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			if !fires[r.Alert] {
				t.Errorf("%s: no case in deploy/alerts_test.yml where it fires", r.Alert)
			}
			if !quiet[r.Alert] {
				t.Errorf("%s: no case in deploy/alerts_test.yml where it stays quiet", r.Alert)
			}
		}
	}
	if n < 10 {
		t.Fatalf("found only %d alerts", n)
	}
}

// githubAnchor is the fragment GitHub gives a Markdown heading.
func githubAnchor(heading string) string {
	h := strings.ToLower(strings.TrimSpace(heading))
	h = regexp.MustCompile("[^a-z0-9 _-]").ReplaceAllString(h, "")
	return strings.ReplaceAll(h, " ", "-")
}

// TestComposeRoutesSignIn reads each NATS server's command line in
// docker-compose.yml as nats-server itself parses it: the cluster listener
// takes only routes that sign in as user route, and every route to a peer
// signs in, so a process that reaches port 6222 without the password
// cannot join the cluster (internal/natstest TestRoutesNeedThePassword
// shows the server refusing one).
func TestComposeRoutesSignIn(t *testing.T) {
	data, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Command yaml.Node `yaml:"command"` // a string or a list
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &compose); err != nil {
		t.Fatal(err)
	}
	const password = "route-password"
	env := regexp.MustCompile(`\$\{COMMENTD_NATS_ROUTE_PASSWORD[^}]*\}`)
	servers := 0
	for name, svc := range compose.Services {
		cmd := svc.Command.Value // empty for a list: not a NATS server's
		if !strings.HasPrefix(name, "nats-") || !strings.Contains(cmd, "--cluster") {
			continue
		}
		servers++
		var args []string
		fields := strings.Fields(env.ReplaceAllString(cmd, password))
		for i := 0; i < len(fields); i++ {
			if fields[i] == "--config" {
				i++ // the users file; its own test is internal/natsperm's
				continue
			}
			args = append(args, fields[i])
		}
		fs := flag.NewFlagSet(name, flag.ContinueOnError)
		opts, err := server.ConfigureOptions(fs, args, nil, nil, nil)
		if err != nil {
			t.Fatalf("%s: nats-server refuses its command line: %v", name, err)
		}
		if opts.Cluster.Username != "route" || opts.Cluster.Password != password {
			t.Errorf("%s: the cluster listener takes routes as %q/%q, want route and the password", name, opts.Cluster.Username, opts.Cluster.Password)
		}
		if len(opts.Routes) != 2 {
			t.Errorf("%s: %d routes, want its 2 peers", name, len(opts.Routes))
		}
		for _, r := range opts.Routes {
			if p, _ := r.User.Password(); r.User.Username() != "route" || p != password {
				t.Errorf("%s: route to %s does not sign in as route", name, r.Host)
			}
		}
	}
	if servers != 3 {
		t.Fatalf("found %d clustered NATS servers in docker-compose.yml, want 3", servers)
	}
}
