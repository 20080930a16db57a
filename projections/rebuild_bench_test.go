package projections_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/projections"
)

// BenchmarkRebuildView: the projector rebuilds the comment view into its
// spare from sequence 1 and switches to it (what commentctl rebuild asks),
// beside a raw ordered-consumer replay of the same stream in the same run.
//
//	go test -run '^$' -bench RebuildView -benchtime 3x ./projections/
func BenchmarkRebuildView(b *testing.B) {
	js, l := fillLogJS(b, rebuildComments)
	ctx := context.Background()
	if err := projections.OpenCatalog(ctx, js, 1); err != nil {
		b.Fatal(err)
	}
	if err := projections.OpenStatusView(ctx, js, 1); err != nil {
		b.Fatal(err)
	}
	catalog, err := projections.AttachCatalog(ctx, js)
	if err != nil {
		b.Fatal(err)
	}
	status, err := projections.AttachCurrentStatusView(ctx, catalog)
	if err != nil {
		b.Fatal(err)
	}
	p := &projections.Projector{Log: l, Store: projections.NewStore(), Status: status, Catalog: catalog}
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

	var rebuilt, raw float64 // events/s, summed over the runs
	b.ResetTimer()
	for i := range b.N {
		cur, err := catalog.Current(ctx, projections.StatusBucket)
		if err != nil {
			b.Fatal(err)
		}
		spare := projections.SpareOf(cur)
		if err := js.DeleteKeyValue(ctx, spare); err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) && !errors.Is(err, jetstream.ErrStreamNotFound) {
			b.Fatal(err)
		}
		if _, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: spare, History: 1, Storage: jetstream.FileStorage}); err != nil {
			b.Fatal(err)
		}
		id := fmt.Sprintf("bench-%d", i)
		if err := catalog.Request(ctx, projections.RebuildRequest{ID: id, Into: map[string]string{projections.StatusBucket: spare}}); err != nil {
			b.Fatal(err)
		}
		var prog projections.RebuildProgress
		for prog.ID != id || prog.State == projections.RebuildBuilding {
			time.Sleep(20 * time.Millisecond)
			if prog, err = catalog.Progress(ctx); err != nil && prog.ID != "" {
				b.Fatal(err)
			}
		}
		if prog.State != projections.RebuildSwitched {
			b.Fatalf("rebuild %+v", prog)
		}
		rebuilt += float64(prog.Events) / prog.Seconds
		raw += rawReplay(b, l.Stream())
	}
	b.StopTimer()
	b.ReportMetric(rebuilt/float64(b.N), "events/s")
	b.ReportMetric(raw/float64(b.N), "raw-events/s")
	b.ReportMetric(rebuilt/raw, "ratio")
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
