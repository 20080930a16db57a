package main

import (
	"context"
	"encoding/json"
	"github.com/newsroom/commentd/projections"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
)

// An operator exports a reader's data, then erases them: the export has
// their comments opened, with their decisions; after the erasure a replay
// of the log (any rebuild) reads "[removed]" for the sealed comment, and
// the erasure names the comment stored in plain text before sealing too.
func TestAuthorsExportAndErase(t *testing.T) {
	ns := natstest.Server(t)
	_, js := natstest.Connect(t, ns)
	ctx := context.Background()
	log, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	url := "--nats-url=" + natstest.OperatorURL(t, ns)

	// A comment from before sealing: written plain, straight to the stream.
	legacy := uuid.NewString()
	old, _ := events.New(uuid.NewString(), events.CommentSubmitted, "a1", legacy, events.ActorReader, "", time.Now(),
		events.Submitted{Author: "Anna", AuthorID: "name:anna", Text: "an old plain comment"})
	old.Version = 1
	data, _ := events.Encode(old)
	if _, err := js.Publish(ctx, "comments.a1."+legacy+".submitted", data, jetstream.WithMsgID(old.ID)); err != nil {
		t.Fatal(err)
	}
	sealed := uuid.NewString()
	sub, _ := events.New(uuid.NewString(), events.CommentSubmitted, "a1", sealed, events.ActorReader, "", time.Now(),
		events.Submitted{Author: "Anna", AuthorID: "name:anna", Text: "my sealed words"})
	seq, err := log.Append(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	dec, _ := events.New(uuid.NewString(), events.CommentApproved, "a1", sealed, events.RulesActor("v1"), sub.ID, time.Now(), events.Decision{Reason: "clean"})
	if _, err := log.AppendAfter(ctx, dec, seq); err != nil {
		t.Fatal(err)
	}
	other, _ := events.New(uuid.NewString(), events.CommentSubmitted, "a1", uuid.NewString(), events.ActorReader, "", time.Now(),
		events.Submitted{Author: "Bo", AuthorID: "name:bo", Text: "Bo's"})
	if _, err := log.Append(ctx, other); err != nil {
		t.Fatal(err)
	}

	out, _, err := runCtl(t, "", "authors", "export", url, "name:Anna")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		AuthorID string `json:"author_id"`
		Comments []struct {
			ID      string            `json:"id"`
			Text    string            `json:"text"`
			Status  string            `json:"status"`
			History []json.RawMessage `json:"history"`
		} `json:"comments"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, out)
	}
	if got.AuthorID != "name:anna" || len(got.Comments) != 2 || got.Comments[1].Text != "my sealed words" || got.Comments[1].Status != "approved" ||
		len(got.Comments[1].History) != 2 || got.Comments[0].Text != "an old plain comment" {
		t.Errorf("export: %s", out)
	}

	if _, stderr, err := runCtl(t, "", "authors", "erase", url, "name:anna"); err == nil || !strings.Contains(stderr, "--by") {
		t.Errorf("erase without --by: %v %s", err, stderr)
	}
	out, _, err = runCtl(t, "", "authors", "erase", url, "--by", "dpo", "--reason", "ticket 42", "name:anna")
	if err != nil || !strings.Contains(out, "2 comments, 1 keys destroyed") {
		t.Fatalf("erase: %v %s", err, out)
	}
	if _, _, err := runCtl(t, "", "authors", "erase", url, "--by", "dpo", "name:nobody"); err == nil {
		t.Error("erasing an unknown author succeeded")
	}

	// Folded again from sequence 1, as a rebuild folds it.
	folded := map[string]projections.Comment{}
	if err := log.Replay(ctx, 1, nil, func(e events.Envelope) error {
		each := []events.Envelope{e}
		if e.Type == events.AuthorErased {
			each = projections.ErasedComments(e)
		}
		for _, e := range each {
			folded[e.Comment] = projections.Fold(folded[e.Comment], e).After
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{sealed, legacy} {
		if c := folded[id]; c.Text != events.Removed || !c.Erased {
			t.Errorf("after erasure %s: %+v", id, c)
		}
	}
	e, err := log.Last(ctx, "authors."+events.AuthorKey("name:anna")+".erased")
	if err != nil || e.Actor != "operator:dpo" {
		t.Errorf("erasure event: %+v %v", e, err)
	}
	out, _, _ = runCtl(t, "", "authors", "export", url, "name:anna")
	if strings.Contains(out, "my sealed words") {
		t.Errorf("export after erasure: %s", out)
	}
}
