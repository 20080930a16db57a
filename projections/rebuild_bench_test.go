package projections_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/projections"
)

// BenchmarkRebuildView: a projector writing the four views rebuilds one
// of them (or all four, "all": commentctl rebuild --all) into its spare
// from sequence 1 and switches to it, beside a raw ordered-consumer replay
// of the same stream in the same run.
//
//	go test -run '^$' -bench RebuildView -benchtime 2x ./projections/
func BenchmarkRebuildView(b *testing.B) {
	js, l := fillLogJS(b, rebuildComments)
	ctx := context.Background()
	for _, open := range []func(context.Context, jetstream.JetStream, int) error{
		projections.OpenCatalog, projections.OpenStatusView, projections.OpenArticleView, projections.OpenQueuesView, projections.OpenFactsView,
	} {
		if err := open(ctx, js, 1); err != nil {
			b.Fatal(err)
		}
	}
	catalog, err := projections.AttachCatalog(ctx, js)
	if err != nil {
		b.Fatal(err)
	}
	status, err := projections.AttachCurrentStatusView(ctx, catalog)
	if err != nil {
		b.Fatal(err)
	}
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
			b.Fatal(err)
		}
		views = append(views, v.write(kv))
	}
	p := &projections.Projector{Log: l, Status: status, Catalog: catalog, Views: views}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(rctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}()
	<-p.CaughtUp()

	spare := func(view string) string {
		cur, err := catalog.Current(ctx, view)
		if err != nil {
			b.Fatal(err)
		}
		name := projections.SpareOf(cur)
		if err := js.DeleteKeyValue(ctx, name); err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) && !errors.Is(err, jetstream.ErrStreamNotFound) {
			b.Fatal(err)
		}
		cfg, err := projections.BucketConfig(ctx, js, cur, name)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := js.CreateKeyValue(ctx, cfg); err != nil {
			b.Fatal(err)
		}
		return name
	}
	for _, which := range append(slices.Clone(projections.RebuildableViews), "all") {
		b.Run(which, func(b *testing.B) {
			var rebuilt, raw, writes float64 // events/s and writes/event, summed over the runs
			for i := range b.N {
				// An id of its own: the catalog's progress of an earlier
				// invocation (b.N=1 before b.N=2) would answer at once.
				req := projections.RebuildRequest{ID: fmt.Sprintf("bench-%s-%d-%d", which, b.N, i), Into: map[string]string{}}
				if which == "all" {
					for _, v := range projections.RebuildableViews {
						req.Into[v] = spare(v)
					}
				} else {
					req.Into[which] = spare(which)
					if which != projections.StatusBucket {
						req.Scratch = spare(projections.StatusBucket)
					}
				}
				if err := catalog.Request(ctx, req); err != nil {
					b.Fatal(err)
				}
				var prog projections.RebuildProgress
				for prog.ID != req.ID || prog.State == projections.RebuildBuilding {
					time.Sleep(20 * time.Millisecond)
					if prog, err = catalog.Progress(ctx); err != nil && prog.ID != "" {
						b.Fatal(err)
					}
				}
				if prog.State != projections.RebuildSwitched {
					b.Fatalf("rebuild %+v", prog)
				}
				rebuilt += float64(prog.Events) / prog.Seconds
				// What the rebuild wrote: every message its buckets stored.
				for _, name := range append(slices.Collect(maps.Values(req.Into)), req.Scratch) {
					if name == "" {
						continue
					}
					s, err := js.Stream(ctx, "KV_"+name)
					if err != nil {
						b.Fatal(err)
					}
					info, err := s.Info(ctx)
					if err != nil {
						b.Fatal(err)
					}
					writes += float64(info.State.LastSeq) / float64(prog.Events)
				}
				raw += rawReplay(b, l.Stream())
			}
			b.ReportMetric(rebuilt/float64(b.N), "events/s")
			b.ReportMetric(raw/float64(b.N), "raw-events/s")
			b.ReportMetric(rebuilt/raw, "ratio")
			b.ReportMetric(writes/float64(b.N), "writes/event")
		})
	}
}

// rawReplay reads the whole stream with an ordered consumer, doing nothing
// with it, and returns events/s.
func rawReplay(b *testing.B, s jetstream.Stream) float64 {
	b.Helper()
	began := time.Now()
	cons, err := s.OrderedConsumer(context.Background(), jetstream.OrderedConsumerConfig{})
	if err != nil {
		b.Fatal(err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(4096))
	if err != nil {
		b.Fatal(err)
	}
	defer it.Stop()
	n := 0
	for {
		msg, err := it.Next()
		if err != nil {
			b.Fatal(err)
		}
		n++
		if meta, _ := msg.Metadata(); meta.NumPending == 0 {
			return float64(n) / time.Since(began).Seconds()
		}
	}
}
