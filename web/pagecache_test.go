package web

import (
	"fmt"
	"testing"
	"time"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// Only first pages are cached, and the cache's bytes stay bounded however
// many limits and cursors clients send.
func TestPageCacheIsBounded(t *testing.T) {
	views := projections.NewStore()
	var seq uint64
	apply := func(typ events.Type, id string, payload any) {
		seq++
		e, _ := events.New(fmt.Sprint("e", seq), typ, "a1", id, events.RulesActor("v"), "", time.Unix(int64(seq), 0), payload)
		e.Seq = seq
		views.Apply(e)
	}
	for i := range 50 {
		id := fmt.Sprint("c", i)
		apply(events.CommentSubmitted, id, events.Submitted{Author: "A", AuthorID: "name:a", Text: "some text"})
		apply(events.CommentApproved, id, events.Decision{})
	}
	c := newPageCache()
	for limit := 1; limit <= 20; limit++ {
		for after := uint64(0); after < 10; after++ {
			c.get(views, listQuery{article: "a1", after: after, limit: limit})
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
	if a, b := c.get(views, q), c.get(views, q); &a[0] != &b[0] {
		t.Fatal("a cached page was encoded again")
	}
}
