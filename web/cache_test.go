package web

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
)

// The article page is built once per version of the article, not once
// per request; pages with a reader's notice are never kept.
func TestArticlePageIsBuiltOncePerVersion(t *testing.T) {
	l, tv := newTestLog(t)
	s := New(tv.Config(Config{}))
	apply := func(typ events.Type, comment string, data any) {
		storeEvent(t, l, typ, comment, events.ActorReader, time.Now(), data)
		tv.Sync()
	}
	id := uuid.NewString()
	apply(events.CommentSubmitted, id, events.Submitted{Author: "Anna", AuthorID: "name:anna", Text: "hello"})
	apply(events.CommentApproved, id, events.Decision{})

	get := func(path string) string {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		return w.Body.String()
	}
	get("/articles/a1")
	parts, ok := s.articles.get(articleQuery{article: "a1", lang: "en"}, articleStamp{version: version(t, tv.Articles, "a1")})
	if !ok || !strings.Contains(string(parts[0]), "hello") {
		t.Fatal("the page was not kept")
	}
	// Served from the cache: a marked copy shows it is the kept one.
	parts[0] = []byte(strings.Replace(string(parts[0]), "hello", "from the cache", 1))
	if !strings.Contains(get("/articles/a1"), "from the cache") {
		t.Fatal("the page was built again for the same version")
	}
	// A change of the view is a new version: built again.
	apply(events.CommentRejected, id, events.Decision{Reason: "spam"})
	if page := get("/articles/a1"); strings.Contains(page, "from the cache") || strings.Contains(page, "hello") {
		t.Fatal("a stale page was served")
	}
	// Later pages and articles without comments are built every time.
	get("/articles/a1?cursor=1")
	get("/articles/nobody-commented")
	if n := len(s.articles.entries); n != 1 {
		t.Fatalf("%d pages kept, want 1", n)
	}
}

func TestViewCacheBounds(t *testing.T) {
	c := newViewCache[string, int](3, 10, func(b []byte) int { return len(b) })
	c.put("a", 1, []byte("1234"))
	c.put("b", 1, []byte("1234"))
	if _, ok := c.get("a", 2); ok {
		t.Fatal("an entry of another stamp was served")
	}
	c.put("a", 1, []byte("12")) // replacing frees the old size
	if v, ok := c.get("a", 1); !ok || string(v) != "12" || c.bytes != 6 {
		t.Fatalf("replaced: %q %v, %d bytes", v, ok, c.bytes)
	}
	c.put("c", 1, []byte("12345")) // past the byte bound: starts over
	if _, ok := c.get("a", 1); ok || c.bytes != 5 || len(c.entries) != 1 {
		t.Fatalf("over the byte bound: %d entries, %d bytes", len(c.entries), c.bytes)
	}
	c.put("d", 1, []byte("1"))
	c.put("e", 1, []byte("1"))
	c.put("f", 1, []byte("1")) // past the entry bound
	if len(c.entries) != 1 {
		t.Fatalf("over the entry bound: %d entries", len(c.entries))
	}
	c.put("big", 1, make([]byte, 11)) // never kept
	if _, ok := c.get("big", 1); ok || len(c.entries) != 1 {
		t.Fatal("an entry over the byte bound was kept")
	}
}

func version(t *testing.T, v ArticleViews, article string) uint64 {
	t.Helper()
	n, err := v.ArticleVersion(context.Background(), article)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
