package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/projections"
	"github.com/newsroom/commentd/web"
)

// BenchmarkBigArticle serves an article of 10,000 approved comments (one
// in ten a reply) through the handler, without the network: the JSON
// list's first page (kept encoded) and a deep page (its cursor 50 from
// the end, built each time), and the HTML page's first and a deep page.
// "kv" answers from the api's ArticleCache of VIEW_ARTICLES, filled by a
// projector from the log (the in-memory Store it was measured against
// is gone; BENCHMARKS.md keeps its figures).
//
//	go test -run '^$' -bench BigArticle -benchtime 2s ./web
func BenchmarkBigArticle(b *testing.B) {
	const a, n = "big", 10000
	ns := natstest.Server(b)
	_, js := natstest.Connect(b, ns)
	ctx := context.Background()
	l, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		b.Fatal(err)
	}
	var ids []string
	text := strings.Repeat("A comment of a typical length, with a few words. ", 6)
	for i := range n {
		id, parent := uuid.NewString(), ""
		if i%10 == 9 {
			parent = ids[i-1]
		}
		ids = append(ids, id)
		e, _ := events.New(uuid.NewString(), events.CommentSubmitted, a, id, events.ActorReader, "", time.Now(),
			events.Submitted{Author: "Reader", AuthorID: "name:reader", ParentID: parent, Text: text})
		if _, err := l.Append(ctx, e); err != nil {
			b.Fatal(err)
		}
		d, _ := events.New(uuid.NewString(), events.CommentApproved, a, id, events.RulesActor("bench"), "", time.Now(), events.Decision{})
		if _, err := l.Append(ctx, d); err != nil {
			b.Fatal(err)
		}
	}
	tv := web.NewTestViews(b, js, l)
	tv.Sync()
	// A cursor 50 comments before the end.
	upTo, err := tv.Articles.Approved(ctx, a, 0, n-50, false)
	if err != nil {
		b.Fatal(err)
	}
	deep := strconv.FormatUint(upTo.Next, 36)
	for _, src := range []string{"kv"} {
		srv := web.New(tv.Config(web.Config{}))
		for _, page := range []struct{ name, path string }{
			{"json-first", "/api/articles/" + a + "/comments"},
			{"json-deep", "/api/articles/" + a + "/comments?cursor=" + deep},
			{"html-first", "/articles/" + a},
			{"html-deep", "/articles/" + a + "?cursor=" + deep},
		} {
			b.Run(fmt.Sprintf("%s/%s", src, page.name), func(b *testing.B) {
				req := httptest.NewRequest("GET", page.path, nil)
				get := func() {
					w := &discard{h: http.Header{}}
					srv.ServeHTTP(w, req)
					if w.code != http.StatusOK {
						b.Fatalf("%s: %d", page.path, w.code)
					}
					b.SetBytes(int64(w.n))
				}
				get() // loaded and encoded once, as a reader before found it
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					get()
				}
			})
		}
	}
	// A cold cache: an api process just started (or the article just
	// left the LRU) loads the whole article from VIEW_ARTICLES.
	b.Run("kv/load-10k", func(b *testing.B) {
		akv, err := projections.AttachArticleView(ctx, js)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for range b.N {
			c := projections.NewArticleCache(akv, 0, nil, nil)
			cctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { c.Run(cctx); close(done) }()
			<-c.Ready()
			if p, err := c.Approved(ctx, a, 0, 50, false); err != nil || p.Total != n {
				b.Fatalf("%d comments, %v", p.Total, err)
			}
			cancel()
			<-done
		}
	})
}
