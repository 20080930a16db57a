package imports_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/imports"
)

// BenchmarkImport imports a remark42 backup of 10,000 comments (one in
// four a reply) and, in the same run, appends the same number of events
// one at a time with no checks: the reference an import is compared to.
//
//	go test -run '^$' -bench Import -benchtime 1x -count 3 ./imports/
func BenchmarkImport(b *testing.B) {
	const n = 10_000
	var src strings.Builder
	src.WriteString(`{"version":1,"users":[],"posts":[]}` + "\n")
	at := time.Date(2023, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		pid := ""
		if i%4 == 3 {
			pid = fmt.Sprint("c", i-1)
		}
		fmt.Fprintf(&src, `{"id":"c%d","pid":%q,"orig":"A typical comment of a sentence or two, number %d.","user":{"name":"reader %d"},"locator":{"site":"blog","url":"https://blog.example.org/posts/p%d/"},"time":%q,"delete":false}`+"\n",
			i, pid, i, i%300, (i/4)%100, at.Add(time.Duration(i)*time.Second).Format(time.RFC3339))
	}
	ctx := context.Background()
	var imp, ref time.Duration
	for b.Loop() {
		f, err := imports.Parse("remark42", strings.NewReader(src.String()))
		if err != nil {
			b.Fatal(err)
		}
		l := openLog(b)
		began := time.Now()
		if s, err := imports.Publish(ctx, l, f, nil); err != nil || s.Imported != n {
			b.Fatal(s, err)
		}
		imp += time.Since(began)
		l = openLog(b)
		began = time.Now()
		for i := range 2 * n {
			e, _ := events.New(uuid.NewString(), events.CommentSubmitted, "bench", uuid.NewString(), events.ActorReader, "", at,
				events.Submitted{Author: "reader", AuthorID: "name:reader", Text: "A typical comment of a sentence or two."})
			if _, err := l.Append(ctx, e); err != nil {
				b.Fatal(i, err)
			}
		}
		ref += time.Since(began)
	}
	b.ReportMetric(float64(b.N*n)/imp.Seconds(), "imported-comments/s")
	b.ReportMetric(float64(b.N*n)/ref.Seconds(), "reference-comments/s")
	b.ReportMetric(ref.Seconds()/imp.Seconds(), "ratio")
}
