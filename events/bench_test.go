package events_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
)

// plainLog is a log on a server without the keys bucket: submissions are
// stored in plain text, as before sealing (the reference for its cost).
func plainLog(b testing.TB) *events.Log {
	b.Helper()
	_, js := natstest.Connect(b, natstest.Server(b))
	ctx := context.Background()
	if _, err := events.Open(ctx, js, events.Config{}); err != nil {
		b.Fatal(err)
	}
	if err := js.DeleteStream(ctx, events.KeysStream); err != nil {
		b.Fatal(err)
	}
	l, err := events.Attach(ctx, js)
	if err != nil || l.Keys() != nil {
		b.Fatalf("attach without keys: %v", err)
	}
	return l
}

// BenchmarkAppend: 64 concurrent appends of a typical submission, each
// waiting for its JetStream ack (the work behind one POST's 202), from
// 1,000 authors: sealed with each author's key (a KV get of the author's
// key id per append, a key made on each author's first) beside plain
// text in the same run.
//
//	go test -run '^$' -bench Append -benchtime 20000x ./events/
func BenchmarkAppend(b *testing.B) {
	for _, tc := range []struct {
		name string
		open func(testing.TB) *events.Log
	}{{"sealed", openLog}, {"plain", plainLog}} {
		b.Run(tc.name, func(b *testing.B) {
			l := tc.open(b)
			ctx := context.Background()
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			began := time.Now()
			for range 64 {
				wg.Go(func() {
					for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
						e, _ := events.New(uuid.NewString(), events.CommentSubmitted, "bench", uuid.NewString(), events.ActorReader, "", time.Now(),
							events.Submitted{Author: "Anna", AuthorID: fmt.Sprintf("name:anna%d", i%1000), Text: "A typical comment of a sentence or two, about the talks in Berlin."})
						if _, err := l.Append(ctx, e); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "appends/s")
		})
	}
}

// BenchmarkReplayOpen: reading 20,000 sealed submissions of 1,000 authors
// through the log (decode and open each) beside the same of plain ones,
// and beside reading them sealed (decode only).
//
//	go test -run '^$' -bench ReplayOpen -benchtime 3x ./events/
func BenchmarkReplayOpen(b *testing.B) {
	const n = 20000
	fill := func(l *events.Log) {
		ctx := context.Background()
		var wg sync.WaitGroup
		sem := make(chan struct{}, 64)
		for i := range n {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				e, _ := events.New(uuid.NewString(), events.CommentSubmitted, "bench", uuid.NewString(), events.ActorReader, "", time.Now(),
					events.Submitted{Author: "Anna", AuthorID: fmt.Sprintf("name:anna%d", i%1000), Text: "A typical comment of a sentence or two, about the talks in Berlin."})
				if _, err := l.Append(ctx, e); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
	}
	sealed, plain := openLog(b), plainLog(b)
	fill(sealed)
	fill(plain)
	for _, tc := range []struct {
		name   string
		l      *events.Log
		replay func(*events.Log, context.Context, uint64, []string, func(events.Envelope) error) error
	}{
		{"sealed-opened", sealed, (*events.Log).Replay},
		{"sealed-unopened", sealed, (*events.Log).ReplaySealed},
		{"plain", plain, (*events.Log).Replay},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ResetTimer()
			began := time.Now()
			for range b.N {
				got := 0
				err := tc.replay(tc.l, context.Background(), 1, nil, func(e events.Envelope) error {
					var p events.Submitted
					if err := e.Payload(&p); err != nil {
						return err
					}
					got++
					return nil
				})
				if err != nil || got != n {
					b.Fatalf("replayed %d: %v", got, err)
				}
			}
			b.ReportMetric(float64(n*b.N)/time.Since(began).Seconds(), "events/s")
		})
	}
}
