package web_test

import (
	"encoding/json"
	"testing"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/web"
)

// Admins backtest a rule file over HTTP; the report is backtest.Report.
func TestBacktestOverHTTP(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{})
	mod, admin := bearer(f.modTok), bearer(adminToken)
	eggs := f.submit("a1", "Ann", "I like green eggs.")
	f.rules(events.CommentApproved, "a1", eggs, events.Decision{})
	other := f.submit("a2", "Bo", "Good piece.")
	f.rules(events.CommentApproved, "a2", other, events.Decision{})
	src, _ := json.Marshal(map[string]string{"name": "eggs.yaml", "source": eggRules})
	path := "/api/moderation/rules/backtest"

	if st, _ := f.call("POST", path, string(src), mod); st != 403 {
		t.Errorf("a moderator backtests: %d, want 403", st)
	}
	st, body := f.call("POST", path, string(src), admin)
	if st != 200 || body["comments"] != 2.0 || body["changed"] != 1.0 || body["to_queue"] != 1.0 {
		t.Fatalf("backtest: %d %v", st, body)
	}
	if ex := body["to_queue_examples"].([]any); len(ex) != 1 || ex[0] != eggs {
		t.Errorf("to the queue: %v, want [%s]", ex, eggs)
	}
	rules := body["rules"].([]any)
	if len(rules) != 1 || rules[0].(map[string]any)["rule"] != "no-eggs" || rules[0].(map[string]any)["changed"] != 1.0 {
		t.Errorf("rules: %v", rules)
	}
	if st, body := f.call("POST", path+"?article=a2&since=1h", string(src), admin); st != 200 || body["comments"] != 1.0 || body["changed"] != 0.0 {
		t.Errorf("article a2: %d %v", st, body)
	}
	for _, tt := range []struct{ query, body, code string }{
		{"?since=yesterday", string(src), "invalid_since"},
		{"?since=-1h", string(src), "invalid_since"},
		{"?examples=0", string(src), "invalid_examples"},
		{"?article=a.b", string(src), "invalid"},
		{"", `{"source":"rules:\n  - id: x\n    action: explode\n"}`, "invalid_rules"},
	} {
		if st, body := f.call("POST", path+tt.query, tt.body, admin); st != 400 || code(body) != tt.code {
			t.Errorf("%s %s: %d %v, want 400 %s", tt.query, tt.body, st, body, tt.code)
		}
	}
	if n, _ := f.log.LastSeq(t.Context()); n != 4 {
		t.Errorf("a backtest wrote to the log: %d events", n)
	}
}

// Moderators read the shadow rules' report from live decisions.
func TestShadowReportOverHTTP(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{})
	id := f.submit("a1", "Ann", "LOUD NOISES")
	f.rules(events.CommentApproved, "a1", id, events.Decision{Shadow: []string{"shouting"}})
	st, body := f.call("GET", "/api/moderation/rules/shadow?since=1h", "", bearer(f.modTok))
	rules, _ := body["rules"].([]any)
	if st != 200 || body["decisions"] != 1.0 || len(rules) != 1 || rules[0].(map[string]any)["rule"] != "shouting" || rules[0].(map[string]any)["fired"] != 1.0 {
		t.Fatalf("shadow report: %d %v", st, body)
	}
	if st, body := f.call("GET", "/api/moderation/rules/shadow?since=soon", "", bearer(f.modTok)); st != 400 || code(body) != "invalid_since" {
		t.Errorf("bad since: %d %v", st, body)
	}
	if st, _ := f.call("GET", "/api/moderation/rules/shadow", "", nil); st != 401 {
		t.Errorf("without credentials: %d", st)
	}
}
