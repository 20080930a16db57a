package events_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
)

// BenchmarkOpen: decoding one stored submission through the log, sealed
// (opened with its author's cached key) beside plain.
//
//	go test -run '^$' -bench Open -benchtime 20000x ./events/
func BenchmarkOpen(b *testing.B) {
	for _, tc := range []struct {
		name string
		open func(testing.TB) *events.Log
	}{{"sealed", openLog}, {"plain", plainLog}} {
		b.Run(tc.name, func(b *testing.B) {
			l := tc.open(b)
			ctx := context.Background()
			e, _ := events.New(uuid.NewString(), events.CommentSubmitted, "bench", uuid.NewString(), events.ActorReader, "", time.Now(),
				events.Submitted{Author: "Anna", AuthorID: "name:anna", Text: "A typical comment of a sentence or two, about the talks in Berlin."})
			last, err := l.Append(ctx, e)
			if err != nil {
				b.Fatal(err)
			}
			msg, err := l.Stream().GetMsg(ctx, last)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, err := l.Decode(ctx, msg.Data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
