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
)

func TestRulesBacktest(t *testing.T) {
	ctx := context.Background()
	ns := natstest.Server(t)
	_, js := natstest.Connect(t, ns)
	log, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// Two comments the rules approved; a moderator rejected the first.
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
	rej, _ := events.New(uuid.NewString(), events.CommentRejected, "a1", ids[0], "moderator:mia", "", time.Now(), events.Decision{Reason: "spam"})
	if _, err := log.Append(ctx, rej); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "eggs.yaml")
	os.WriteFile(file, []byte("name: eggs\nrules:\n  - id: no-eggs\n    action: hold\n    reason: eggs\n    if:\n      words: [eggs]\n"), 0o644)
	url := natstest.OperatorURL(t, ns)

	var out, errs bytes.Buffer
	if err := run(ctx, []string{"rules", "backtest", "--nats-url", url, "--rules", file, "--raw"}, nil, &out, &errs); err != nil {
		t.Fatalf("backtest: %v\n%s", err, errs.String())
	}
	for _, want := range []string{"on 2 comments, 5 events", "raw replay of the same events", "decisions that would change: 1", "approve->hold", "to the queue: 1 (" + ids[0] + ")",
		"moderators' decisions: 1", "no-eggs  hold    enforce  1      0       1        1.00       1.00    " + ids[0]} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := run(ctx, []string{"rules", "backtest", "--nats-url", url, "--rules", file, "--json", "--since", "1h", "--article", "a1"}, nil, &out, &errs); err != nil {
		t.Fatalf("backtest --json: %v", err)
	}
	var r struct {
		Comments, Changed int
		Rules             []struct{ Rule string }
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || r.Comments != 2 || r.Changed != 1 || len(r.Rules) != 1 {
		t.Errorf("json report %+v %v: %s", r, err, out.String())
	}
	if n, _ := log.LastSeq(ctx); n != 5 {
		t.Fatalf("a backtest wrote to the log: %d events", n)
	}
	out.Reset()
	if err := run(ctx, []string{"rules", "shadow", "--nats-url", url, "--since", "1h"}, nil, &out, &errs); err != nil {
		t.Fatalf("shadow: %v", err)
	}
	if !strings.Contains(out.String(), "2 decisions by the rules; 1 decided by a moderator too, 1 of them rejected") {
		t.Errorf("shadow report: %s", out.String())
	}
	if err := run(ctx, []string{"rules", "backtest", "--nats-url", url}, nil, &out, &errs); err != errUsage {
		t.Errorf("without --rules: %v", err)
	}
}
