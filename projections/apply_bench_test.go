package projections

import (
	"fmt"
	"testing"
	"time"

	"github.com/newsroom/commentd/events"
)

// BenchmarkApply folds a submission and the rules' decision per comment,
// over 1000 authors and 50 articles, with one in ten comments held: the
// cost a rebuild pays per comment, moderators' views included.
func BenchmarkApply(b *testing.B) {
	const n = 100_000
	evs := make([]events.Envelope, 0, 2*n)
	at := time.Unix(0, 0)
	for i := range n {
		id := fmt.Sprintf("c%d", i)
		article := fmt.Sprintf("a%d", i%50)
		sub, _ := events.New("s"+id, events.CommentSubmitted, article, id, events.ActorReader, "", at,
			events.Submitted{Author: "A", AuthorID: fmt.Sprintf("name:%d", i%1000), Text: "some text"})
		typ := events.CommentApproved
		if i%10 == 0 {
			typ = events.CommentHeld
		}
		dec, _ := events.New("d"+id, typ, article, id, events.RulesActor("v"), "", at, events.Decision{Reason: "r"})
		evs = append(evs, sub, dec)
	}
	for i := range evs {
		evs[i].Seq = uint64(i + 1)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s := NewReference()
		for _, e := range evs {
			s.Apply(e)
		}
	}
	b.ReportMetric(float64(len(evs)*b.N)/b.Elapsed().Seconds(), "events/s")
}
