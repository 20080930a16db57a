package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/moderation"
	"github.com/newsroom/commentd/web"
)

const eggRules = "name: eggs\nrules:\n  - id: no-eggs\n    action: hold\n    reason: eggs\n    if:\n      words: [eggs]\n"

func TestRulesReadDryRunAndPublish(t *testing.T) {
	f := newModFixture(t, web.ModerationConfig{})
	ctx := context.Background()
	mod, admin := bearer(f.modTok), bearer(adminToken)

	if st, body := f.call("GET", "/api/moderation/rules", "", mod); st != 404 {
		t.Fatalf("no rule set published yet: %d %v", st, body)
	}
	if _, _, err := moderation.PublishRuleset(ctx, f.log, "default.yaml", moderation.DefaultRulesetSource(), "operator"); err != nil {
		t.Fatal(err)
	}
	st, body := f.call("GET", "/api/moderation/rules", "", mod)
	if st != 200 || body["version"] != moderation.DefaultRuleset().Version || !strings.Contains(body["source"].(string), "rules:") {
		t.Fatalf("GET rules: %d %v", st, body)
	}

	id := f.submit("a1", "Ann", "I like green eggs.")
	f.rules(events.CommentApproved, "a1", id, events.Decision{})
	src, _ := json.Marshal(map[string]string{"name": "eggs.yaml", "source": eggRules})
	st, body = f.call("POST", "/api/moderation/rules/dryrun", string(src), mod)
	changes, _ := body["changes"].([]any)
	if st != 200 || body["comments"].(float64) != 1 || len(changes) != 1 || changes[0].(map[string]any)["now"] != "hold" {
		t.Fatalf("dry run: %d %v", st, body)
	}

	// A rule file with a mistake is refused with its line, and nothing is published.
	st, body = f.call("PUT", "/api/moderation/rules", `{"source":"rules:\n  - id: x\n    action: explode\n"}`, admin)
	if st != 400 || code(body) != "invalid_rules" || !strings.Contains(body["error"].(map[string]any)["message"].(string), ":3") {
		t.Fatalf("invalid rules: %d %v", st, body)
	}
	// Published as YAML by an admin; the second time changes nothing.
	for i, want := range []bool{true, false} {
		req, _ := http.NewRequest("PUT", f.srv.URL+"/api/moderation/rules", strings.NewReader(eggRules))
		req.Header.Set("Content-Type", "application/yaml")
		admin(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != 200 || out["published"] != want {
			t.Fatalf("publish %d: %d %v", i, resp.StatusCode, out)
		}
	}
	if latest, err := moderation.LatestRuleset(ctx, f.log); err != nil || latest.Name != "eggs" {
		t.Fatalf("latest rule set %v %v", latest, err)
	}
	if st, _ := f.call("PUT", "/api/moderation/rules", "", admin); st != 415 {
		t.Fatalf("no body: %d", st)
	}
}
