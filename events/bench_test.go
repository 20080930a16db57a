package events_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
)

// BenchmarkAppend: 64 concurrent appends of a typical submission, each
// waiting for its JetStream ack (the work behind one POST's 202).
//
//	go test -run '^$' -bench Append -benchtime 20000x ./events/
func BenchmarkAppend(b *testing.B) {
	l := openLog(b)
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	began := time.Now()
	for range 64 {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				e, _ := events.New(uuid.NewString(), events.CommentSubmitted, "bench", uuid.NewString(), events.ActorReader, "", time.Now(),
					events.Submitted{Author: "Anna", AuthorID: "name:anna", Text: "A typical comment of a sentence or two, about the talks in Berlin."})
				if _, err := l.Append(ctx, e); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "appends/s")
}
