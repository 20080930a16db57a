package web

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/newsroom/commentd/events"
)

// Only first pages are cached, and the cache's bytes stay bounded however
// many limits and cursors clients send.
func TestPageCacheIsBounded(t *testing.T) {
	l, tv := newTestLog(t)
	ctx := context.Background()
	for i := range 50 {
		id := fmt.Sprint("c", i)
		storeEvent(t, l, events.CommentSubmitted, id, events.ActorReader, time.Unix(int64(i), 0), events.Submitted{Author: "A", AuthorID: "name:a", Text: "some text"})
		storeEvent(t, l, events.CommentApproved, id, events.RulesActor("v"), time.Unix(int64(i), 0), events.Decision{})
	}
	tv.Sync()
	views := tv.Articles
	c := newPageCache()
	get := func(q listQuery) []byte {
		t.Helper()
		b, err := c.get(ctx, views, q)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for limit := 1; limit <= 20; limit++ {
		for after := uint64(0); after < 10; after++ {
			get(listQuery{article: "a1", after: after, limit: limit})
		}
	}
	if len(c.pages) != 20 {
		t.Fatalf("%d pages cached, want the 20 first pages", len(c.pages))
	}
	total := 0
	for _, p := range c.pages {
		total += len(p.body)
	}
	if c.bytes != total {
		t.Fatalf("bytes %d, pages hold %d", c.bytes, total)
	}
	// The same first page again is served from the cache.
	q := listQuery{article: "a1", limit: 5}
	if a, b := get(q), get(q); &a[0] != &b[0] {
		t.Fatal("a cached page was encoded again")
	}
}
