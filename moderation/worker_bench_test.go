package moderation_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/moderation"
)

// BenchmarkWorkerBacklog: how fast one worker decides a backlog of
// submissions (default rule set, typical distinct comments).
//
//	go test -run '^$' -bench WorkerBacklog -benchtime 20000x ./moderation/
func BenchmarkWorkerBacklog(b *testing.B) {
	f := newWorkerFixture(b)
	ctx := context.Background()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range b.N {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			e, _ := events.New(uuid.NewString(), events.CommentSubmitted, "bench", uuid.NewString(), events.ActorReader, "", time.Now(),
				events.Submitted{Author: "Reader", AuthorID: fmt.Sprint("name:", i), Text: fmt.Sprintf("A typical comment of a sentence or two, about the talks in Berlin (%d).", i)})
			if _, err := f.log.Append(ctx, e); err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
	first, _ := f.log.LastSeq(ctx)
	b.ResetTimer()
	began := time.Now()
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	w := &moderation.Worker{Log: f.log, Rules: moderation.DefaultRuleset, Flood: moderation.NewFloodTracker()}
	go func() { done <- w.Run(wctx) }()
	for {
		last, err := f.log.LastSeq(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if last >= first+uint64(b.N) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(began)
	b.StopTimer()
	cancel()
	<-done
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "decisions/s")
}
