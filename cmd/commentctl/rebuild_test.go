package main

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natsperm"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/projections"
)

// TestRebuildSwitchesTheView: commentctl rebuild asks the running
// projector to rebuild the comment view into its spare, reports the
// rebuild's events/s beside a raw replay, and deletes the old bucket
// after the grace period; a second rebuild goes back the other way.
func TestRebuildSwitchesTheView(t *testing.T) {
	h := newHistory(t)
	ctx := context.Background()
	if err := natsperm.Provision(ctx, h.js, natsperm.Setup{Replicas: 1, SessionTTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	catalog, err := projections.AttachCatalog(ctx, h.js)
	if err != nil {
		t.Fatal(err)
	}
	status, err := projections.AttachCurrentStatusView(ctx, catalog)
	if err != nil {
		t.Fatal(err)
	}
	// The views commentd's projector writes.
	var views []projections.ViewWriter
	for _, v := range []struct {
		view  string
		write func(jetstream.KeyValue) projections.ViewWriter
	}{
		{projections.ArticlesBucket, func(kv jetstream.KeyValue) projections.ViewWriter { return projections.NewArticleWriter(kv) }},
		{projections.QueuesBucket, func(kv jetstream.KeyValue) projections.ViewWriter { return projections.NewQueuesWriter(kv) }},
		{projections.FactsBucket, func(kv jetstream.KeyValue) projections.ViewWriter { return projections.NewFactsWriter(kv) }},
	} {
		kv, err := catalog.Bucket(ctx, v.view)
		if err != nil {
			t.Fatal(err)
		}
		views = append(views, v.write(kv))
	}
	p := &projections.Projector{Log: h.log, Status: status, Catalog: catalog, Views: views}
	rctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := p.Run(rctx); err != nil {
			t.Error(err)
		}
	})
	defer func() { stop(); wg.Wait() }()
	<-p.CaughtUp()

	if _, _, err := runCtl(t, "", "rebuild", "--nats-url", h.url); !errors.Is(err, errUsage) {
		t.Errorf("rebuild without a view: %v, want usage", err)
	}
	if _, _, err := runCtl(t, "", "rebuild", "--nats-url", h.url, "COMMENTS"); err == nil || !strings.Contains(err.Error(), "not a view") {
		t.Errorf("rebuild COMMENTS: %v", err)
	}
	out, stderr, err := runCtl(t, "", "rebuild", "--nats-url", h.url, "--grace", "0s", "VIEW_STATUS")
	if err != nil {
		t.Fatalf("rebuild: %v\n%s%s", err, out, stderr)
	}
	for _, want := range []string{
		"VIEW_STATUS into VIEW_STATUS_B",
		"rebuilt to sequence 8 and switched: ",
		"raw ordered-consumer replay of the same stream, now: 8 events",
		"emptied VIEW_STATUS (now the spares)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("rebuild output lacks %q:\n%s", want, out)
		}
	}
	if cur, err := catalog.Current(ctx, projections.StatusBucket); err != nil || cur != "VIEW_STATUS_B" {
		t.Errorf("catalog names %q, %v", cur, err)
	}
	if kv, err := h.js.KeyValue(ctx, "VIEW_STATUS"); err != nil {
		t.Errorf("old bucket: %v, want kept as the spare", err)
	} else if st, err := kv.Status(ctx); err != nil || st.Values() != 0 {
		t.Errorf("old bucket: %v values (%v), want emptied", st, err)
	}
	// The rebuilt view answers for the comments of the log.
	reader, err := catalog.FollowStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]projections.Status{h.approved: projections.Approved, h.held: projections.Held, h.pending: projections.Pending} {
		if st, err := reader.Status(ctx, id); err != nil || st.Status != want {
			t.Errorf("comment %s after the rebuild: %+v, %v; want %s", id, st, err, want)
		}
	}
	if _, err := reader.Status(ctx, "0193a0b4-0000-7000-8000-000000000000"); !errors.Is(err, events.ErrNotFound) {
		t.Errorf("unknown comment: %v", err)
	}

	// And back, with every view.
	out, stderr, err = runCtl(t, "", "rebuild", "--nats-url", h.url, "--grace", "0s", "--compare=false", "--all")
	if err != nil {
		t.Fatalf("rebuild --all: %v\n%s%s", err, out, stderr)
	}
	if !strings.Contains(out, "requested: VIEW_ARTICLES into VIEW_ARTICLES_B, VIEW_FACTS into VIEW_FACTS_B, VIEW_QUEUES into VIEW_QUEUES_B, VIEW_STATUS into VIEW_STATUS\n") || !strings.Contains(out, "emptied VIEW_ARTICLES, VIEW_FACTS, VIEW_QUEUES, VIEW_STATUS_B (now the spares)\n") || strings.Contains(out, "raw ordered-consumer") {
		t.Errorf("rebuild --all:\n%s", out)
	}
	if cur, _ := catalog.Current(ctx, projections.StatusBucket); cur != "VIEW_STATUS" {
		t.Errorf("catalog names %q after the second rebuild", cur)
	}
	// The queues view's spare was made like the bucket it replaces: its
	// removed keys leave markers that expire.
	if kv, err := catalog.Bucket(ctx, projections.QueuesBucket); err != nil || kv.Bucket() != "VIEW_QUEUES_B" {
		t.Errorf("queues view in %v (%v), want VIEW_QUEUES_B", kv, err)
	} else if st, err := kv.Status(ctx); err != nil || st.(*jetstream.KeyValueBucketStatus).LimitMarkerTTL() == 0 {
		t.Errorf("the rebuilt queues bucket keeps removal markers for ever (%v)", err)
	}
	// commentctl status finds each view where the catalog says.
	out, _, err = runCtl(t, "", "status", "--nats-url", h.url)
	if err != nil && !errors.Is(err, errUnhealthy) {
		t.Fatal(err)
	}
	for _, b := range []string{"VIEW_ARTICLES_B", "VIEW_QUEUES_B", "VIEW_FACTS_B", "VIEW_STATUS"} {
		if !strings.Contains(out, b) {
			t.Errorf("status does not show %s:\n%s", b, out)
		}
	}
	if strings.Contains(out, "not present") {
		t.Errorf("status misses a view:\n%s", out)
	}
}

func TestRebuildEmptyLog(t *testing.T) {
	ns := natstest.Server(t)
	_, js := natstest.Connect(t, ns)
	if _, err := events.Open(context.Background(), js, events.Config{}); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCtl(t, "", "rebuild", "--nats-url", natstest.OperatorURL(t, ns), "VIEW_STATUS")
	if err != nil || !strings.Contains(out, "nothing to rebuild") {
		t.Errorf("rebuild of an empty log = %q, %v", out, err)
	}
}
