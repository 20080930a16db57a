package projections_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
)

// fillLog stores n comments, each submitted and approved: 2n events.
func fillLog(b *testing.B, n int) *events.Log {
	b.Helper()
	_, l := fillLogJS(b, n)
	return l
}

// fillLogJS is fillLog with the operator's client of its server.
func fillLogJS(b *testing.B, n int) (jetstream.JetStream, *events.Log) {
	b.Helper()
	_, js := natstest.Connect(b, natstest.Server(b))
	ctx := context.Background()
	l, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			sub, _ := events.New(uuid.NewString(), events.CommentSubmitted, fmt.Sprintf("article-%d", i%50), uuid.NewString(), events.ActorReader, "", time.Now(),
				events.Submitted{Author: "Reader", AuthorID: fmt.Sprintf("name:reader-%d", i%2000), Text: "A typical comment of a sentence or two, about the talks in Berlin."})
			seq, err := l.Append(ctx, sub)
			if err != nil {
				b.Error(err)
				return
			}
			dec, _ := events.New(uuid.NewString(), events.CommentApproved, sub.Article, sub.Comment, events.RulesActor("v1"), sub.ID, time.Now(), events.Decision{Ruleset: "v1"})
			if _, err := l.AppendAfter(ctx, dec, seq); err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
	return js, l
}

const rebuildComments = 50_000

// BenchmarkRawReplay is the reference: an ordered consumer receiving every
// event of the stream, doing nothing with them.
//
//	go test -run '^$' -bench 'RawReplay|Rebuild' -benchtime 3x ./projections/
func BenchmarkRawReplay(b *testing.B) {
	l := fillLog(b, rebuildComments)
	ctx := context.Background()
	b.ResetTimer()
	began := time.Now()
	for range b.N {
		cons, err := l.Stream().OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
		if err != nil {
			b.Fatal(err)
		}
		it, err := cons.Messages(jetstream.PullMaxMessages(1024))
		if err != nil {
			b.Fatal(err)
		}
		for {
			msg, err := it.Next()
			if err != nil {
				b.Fatal(err)
			}
			meta, _ := msg.Metadata()
			if meta.NumPending == 0 {
				break
			}
		}
		it.Stop()
	}
	b.ReportMetric(float64(2*rebuildComments*b.N)/time.Since(began).Seconds(), "events/s")
}
