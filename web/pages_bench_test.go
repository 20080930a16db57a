package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/web"
)

// BenchmarkArticlePage is the no-JavaScript article page of an article
// with 100 approved comments (20 threads of a comment and 4 replies, one
// page), served by the handler without the network, as a reader who
// opens it sees it. "changing" approves one more comment before every
// request, so no rendering can be reused: the cost of building the page.
func BenchmarkArticlePage(b *testing.B) {
	for _, changing := range []bool{false, true} {
		b.Run(map[bool]string{false: "steady", true: "changing"}[changing], func(b *testing.B) {
			f := newModFixture(b, web.ModerationConfig{})
			const a = "bench"
			approve := func(parent string) string {
				id := uuid.NewString()
				e, _ := events.New(uuid.NewString(), events.CommentSubmitted, a, id, events.ActorReader, "", time.Now(),
					events.Submitted{Author: "Reader", AuthorID: "name:reader", ParentID: parent,
						Text: strings.Repeat("A comment of a typical length, with a few words in it. ", 4)})
				if _, err := f.log.Append(context.Background(), e); err != nil {
					b.Fatal(err)
				}
				f.rules(events.CommentApproved, a, id, events.Decision{})
				return id
			}
			for range 20 {
				root := approve("")
				for range 4 {
					approve(root)
				}
			}
			f.caughtUp()
			req := httptest.NewRequest("GET", "/articles/"+a, nil)
			get := func() {
				w := &discard{h: http.Header{}}
				f.web.ServeHTTP(w, req)
				if w.code != http.StatusOK {
					b.Fatalf("%d", w.code)
				}
				b.SetBytes(int64(w.n))
			}
			get()
			var extra []string
			if changing {
				// New threads (on a later page, but each one moves the
				// article's version), submitted up front so the loop only
				// applies their approvals, untimed.
				for range b.N {
					id := uuid.NewString()
					e, _ := events.New(uuid.NewString(), events.CommentSubmitted, a, id, events.ActorReader, "", time.Now(),
						events.Submitted{Author: "Late", AuthorID: "name:late", Text: fmt.Sprint("late ", len(extra))})
					if _, err := f.log.Append(context.Background(), e); err != nil {
						b.Fatal(err)
					}
					extra = append(extra, id)
				}
				f.caughtUp()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if changing {
					b.StopTimer()
					f.rules(events.CommentApproved, a, extra[i], events.Decision{})
					f.caughtUp()
					b.StartTimer()
				}
				get()
			}
		})
	}
}

// discard is a ResponseWriter that keeps nothing, so the benchmark
// measures the handler rather than a recorder's buffer.
type discard struct {
	h    http.Header
	code int
	n    int
}

func (d *discard) Header() http.Header { return d.h }
func (d *discard) WriteHeader(code int) {
	if d.code == 0 {
		d.code = code
	}
}
func (d *discard) Write(p []byte) (int, error) {
	d.WriteHeader(http.StatusOK)
	d.n += len(p)
	return len(p), nil
}
