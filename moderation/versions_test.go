package moderation_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/poll"
	"github.com/newsroom/commentd/moderation"
)

const ruleV1 = `
name: test
rules:
  - id: no-spam
    action: reject
    reason: spam
    if:
      words: [spam]
`

const ruleV2 = `
name: test
rules:
  - id: no-eggs
    action: hold
    reason: eggs
    if:
      words: [eggs]
`

func TestPublishedRuleSetsAreFollowedWithoutRestart(t *testing.T) {
	ctx := context.Background()
	f := newWorkerFixture(t)
	if _, err := moderation.LatestRuleset(ctx, f.log); !errors.Is(err, events.ErrNotFound) {
		t.Fatalf("empty log: %v", err)
	}
	v1, published, err := moderation.PublishRuleset(ctx, f.log, "test.yaml", []byte(ruleV1), "operator")
	if err != nil || !published {
		t.Fatalf("publish v1: %v %v", published, err)
	}
	if _, again, err := moderation.PublishRuleset(ctx, f.log, "test.yaml", []byte(ruleV1), "operator"); err != nil || again {
		t.Fatalf("the same file published again: %v %v", again, err)
	}
	if _, _, err := moderation.PublishRuleset(ctx, f.log, "bad.yaml", []byte("rules: [{id: x, action: explode}]"), "operator"); !errors.Is(err, moderation.ErrInvalid) {
		t.Fatalf("an invalid file: %v", err)
	}
	if n, _ := f.log.LastSeq(ctx); n != 1 {
		t.Fatalf("%d events stored, want 1", n)
	}

	rules := moderation.NewRules(moderation.DefaultRuleset())
	fctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- rules.Follow(fctx, f.log, slog.New(slog.DiscardHandler)) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	waitVersion(t, rules, v1.Version)
	v2, _, err := moderation.PublishRuleset(ctx, f.log, "test.yaml", []byte(ruleV2), "operator")
	if err != nil {
		t.Fatal(err)
	}
	waitVersion(t, rules, v2.Version)
	if v := rules.Current().Evaluate(moderation.Input{Text: "green eggs"}); v.Action != moderation.Hold {
		t.Fatalf("the new rule set is not in force: %+v", v)
	}
}

func waitVersion(t *testing.T, r *moderation.Rules, version string) {
	t.Helper()
	poll.True(t, 10*time.Second, "rule set "+version+" in force", func() bool { return r.Current().Version == version })
}

// Going back to an earlier rule set is a publication like any other, even
// within the stream's duplicate window.
func TestRollingBackARuleSet(t *testing.T) {
	ctx := context.Background()
	f := newWorkerFixture(t)
	for i, src := range []string{ruleV1, ruleV2, ruleV1} {
		if _, published, err := moderation.PublishRuleset(ctx, f.log, "test.yaml", []byte(src), "operator"); err != nil || !published {
			t.Fatalf("publication %d: %v %v", i, published, err)
		}
	}
	latest, err := moderation.LatestRuleset(ctx, f.log)
	if err != nil {
		t.Fatal(err)
	}
	v1, _ := moderation.ParseRuleset("test.yaml", []byte(ruleV1))
	if latest.Version != v1.Version {
		t.Fatalf("after rolling back, %s is in force, want %s", latest.Version, v1.Version)
	}
}
