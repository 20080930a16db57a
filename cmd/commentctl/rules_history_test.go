package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/moderation"
)

func TestRulesPublishAndDryRun(t *testing.T) {
	ctx := context.Background()
	ns := natstest.Server(t)
	_, js := natstest.Connect(t, ns)
	log, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// History: two comments approved by the default rules.
	var ids []string
	for _, text := range []string{"I like green eggs.", "Good piece."} {
		sub, _ := events.New(uuid.NewString(), events.CommentSubmitted, "a1", uuid.NewString(), events.ActorReader, "", time.Now(), events.Submitted{Author: "A", AuthorID: "name:a", Text: text})
		seq, err := log.Append(ctx, sub)
		if err != nil {
			t.Fatal(err)
		}
		dec, _ := events.New(uuid.NewString(), events.CommentApproved, "a1", sub.Comment, events.RulesActor("v0"), sub.ID, time.Now(), events.Decision{})
		if _, err := log.AppendAfter(ctx, dec, seq); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, sub.Comment)
	}
	file := filepath.Join(t.TempDir(), "eggs.yaml")
	os.WriteFile(file, []byte("name: eggs\nrules:\n  - id: no-eggs\n    action: hold\n    reason: eggs\n    if:\n      words: [eggs]\n"), 0o644)

	var out, errs bytes.Buffer
	if err := run(ctx, []string{"rules", "dryrun", "--nats-url", natstest.OperatorURL(t, ns), file}, nil, &out, &errs); err != nil {
		t.Fatalf("dryrun: %v\n%s", err, errs.String())
	}
	var change moderation.DryRunChange
	if err := json.Unmarshal(out.Bytes(), &change); err != nil || change.Comment != ids[0] || change.Was != "approve" || change.Now != "hold" {
		t.Fatalf("dryrun output %q: %+v %v", out.String(), change, err)
	}
	if !strings.Contains(errs.String(), "approve->hold        1") || !strings.Contains(errs.String(), "approve->approve     1") {
		t.Fatalf("summary: %s", errs.String())
	}
	if n, _ := log.LastSeq(ctx); n != 4 {
		t.Fatalf("a dry run wrote to the log: %d events", n)
	}

	out.Reset()
	if err := run(ctx, []string{"rules", "publish", "--nats-url", natstest.OperatorURL(t, ns), file}, nil, &out, &errs); err != nil {
		t.Fatalf("publish: %v", err)
	}
	latest, err := moderation.LatestRuleset(ctx, log)
	if err != nil || latest.Name != "eggs" || !strings.Contains(out.String(), latest.Version) {
		t.Fatalf("published %v %v; said %q", latest, err, out.String())
	}
}
