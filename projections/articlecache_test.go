package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/poll"
)

type articleFixture struct {
	*viewFixture
	kv    jetstream.KeyValue
	cache *ArticleCache
	mu    sync.Mutex
	seen  []ArticleChange
}

func newArticleFixture(t *testing.T, maxComments int) *articleFixture {
	t.Helper()
	f := &articleFixture{viewFixture: newViewFixture(t)}
	ctx := context.Background()
	if err := OpenArticleView(ctx, f.js, 1); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.kv, err = AttachArticleView(ctx, f.js); err != nil {
		t.Fatal(err)
	}
	f.cache = NewArticleCache(f.kv, maxComments, func(ch ArticleChange) {
		f.mu.Lock()
		f.seen = append(f.seen, ch)
		f.mu.Unlock()
	}, nil)
	cctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { f.cache.Run(cctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	<-f.cache.Ready()
	return f
}

// sync runs the projector, with the approved view, until the cache saw
// the checkpoint of the log's last event.
func (f *articleFixture) sync() {
	f.t.Helper()
	f.runViews(NewArticleWriter(f.kv))
	last, _ := f.log.LastSeq(context.Background())
	poll.Until(f.t, 10*time.Second, func() error {
		if got := f.cache.Applied(); got < last {
			return fmt.Errorf("cache at %d, want %d", got, last)
		}
		return nil
	})
}

func (f *articleFixture) ids(article string) []string {
	f.t.Helper()
	p, err := f.cache.Approved(context.Background(), article, 0, 1000, false)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, c := range p.Comments {
		out = append(out, c.ID)
	}
	return out
}

// TestApprovedViewFollowsDecisions: approved comments get a key in
// submission order, a comment that stops being approved loses it (and the
// live change says what it became), one never approved never has one;
// threads hang a reply under its nearest visible ancestor.
func TestApprovedViewFollowsDecisions(t *testing.T) {
	f := newArticleFixture(t, 0)
	ctx := context.Background()
	a, b, c := uuid.NewString(), uuid.NewString(), uuid.NewString()
	sa := f.submit(a)
	f.decide(sa, events.CommentApproved, "ok")
	sb := f.reply(b, a)
	f.decide(sb, events.CommentHeld, "links")
	sc := f.reply(c, b)
	f.decide(sc, events.CommentApproved, "ok")
	f.sync()
	if got := f.ids("a1"); len(got) != 2 || got[0] != a || got[1] != c {
		t.Fatalf("approved = %v, want [a c]", got)
	}
	if _, err := f.kv.Get(ctx, articleKey("a1", b)); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("a held comment's key: %v", err)
	}
	th, err := f.cache.Threads(ctx, "a1", 0, 10, false)
	if err != nil || th.Threads != 1 || len(th.Comments) != 2 || th.Comments[1].ID != c || th.Comments[1].Depth != 1 || th.Comments[1].ReplyDepth != 2 {
		t.Fatalf("threads = %+v, %v", th, err)
	}
	v1, _ := f.cache.ArticleVersion(ctx, "a1")

	// A moderator rejects the first: its key goes, the reply starts a
	// thread of its own, and the change names the new status.
	e, _ := events.New(uuid.NewString(), events.CommentRejected, "a1", a, "moderator:alice", "", time.Now(), events.Decision{Reason: "abuse", Message: "m"})
	if _, err := f.log.Append(ctx, e); err != nil {
		t.Fatal(err)
	}
	f.sync()
	if got := f.ids("a1"); len(got) != 1 || got[0] != c {
		t.Fatalf("approved after the rejection = %v, want [c]", got)
	}
	if v2, _ := f.cache.ArticleVersion(ctx, "a1"); v2 == v1 {
		t.Fatal("the version did not move")
	}
	f.mu.Lock()
	last := f.seen[len(f.seen)-1]
	f.mu.Unlock()
	if !last.Removed || last.ID != a || last.Comment.Status != Rejected || last.Comment.Reason != "abuse" || last.Seq == 0 {
		t.Fatalf("live change = %+v", last)
	}
	if n, _ := f.cache.ApprovedCounts(ctx, []string{"a1", "none"}); n[0] != 1 || n[1] != 0 {
		t.Fatalf("counts = %v", n)
	}
	if v, _ := f.cache.ArticleVersion(ctx, "none"); v != 0 {
		t.Fatalf("an article without comments has version %d", v)
	}
}

// TestArticleCacheLoadsOnDemandAndForgets: a cache that starts after the
// view was written loads each article when asked, bounded by comments,
// and a reloaded article never reuses a version.
func TestArticleCacheLoadsOnDemandAndForgets(t *testing.T) {
	f := newArticleFixture(t, 3)
	ctx := context.Background()
	for _, art := range []string{"x1", "x2"} {
		for range 2 {
			id := uuid.NewString()
			e, _ := events.New(uuid.NewString(), events.CommentSubmitted, art, id, events.ActorReader, "", time.Now(), events.Submitted{Author: "A", Text: "t"})
			seq, err := f.log.Append(ctx, e)
			if err != nil {
				t.Fatal(err)
			}
			d, _ := events.New(uuid.NewString(), events.CommentApproved, art, id, events.RulesActor("v1"), "", time.Now(), events.Decision{})
			if _, err := f.log.AppendAfter(ctx, d, seq); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.sync()
	v1, _ := f.cache.ArticleVersion(ctx, "x1")
	if n, _ := f.cache.ApprovedCounts(ctx, []string{"x1", "x2"}); n[0] != 2 || n[1] != 2 {
		t.Fatalf("counts = %v", n)
	}
	f.cache.mu.Lock()
	held := f.cache.articles.len()
	f.cache.mu.Unlock()
	if held != 1 {
		t.Fatalf("%d articles cached, want 1 (3 comments at most)", held)
	}
	if v2, _ := f.cache.ArticleVersion(ctx, "x1"); v2 == v1 || v2 == 0 {
		t.Fatalf("reloaded version %d (was %d)", v2, v1)
	}
}

// TestArticleCacheFollowsAMovedBucket: after SetBucket the cache serves
// from the new bucket.
func TestArticleCacheFollowsAMovedBucket(t *testing.T) {
	f := newArticleFixture(t, 0)
	ctx := context.Background()
	s := f.submit(uuid.NewString())
	f.decide(s, events.CommentApproved, "ok")
	f.sync()
	if got := f.ids("a1"); len(got) != 1 {
		t.Fatalf("approved = %v", got)
	}
	spare, err := f.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: ArticlesBucket + spareSuffix})
	if err != nil {
		t.Fatal(err)
	}
	f.cache.SetBucket(spare)
	poll.Until(t, 10*time.Second, func() error {
		if got := f.ids("a1"); len(got) != 0 {
			return fmt.Errorf("still %d comments from the old bucket", len(got))
		}
		return nil
	})
}

// TestArticleCacheLoadRacesTheWatcher: keys of an article change while it
// is loaded again and again; once the writes stop, the cache holds what
// the bucket holds — no update seen during a load lost or applied twice.
func TestArticleCacheLoadRacesTheWatcher(t *testing.T) {
	f := newArticleFixture(t, 1000)
	ctx := context.Background()
	const keys = 40
	ids := make([]string, keys)
	for i := range ids {
		ids[i] = uuid.NewString()
	}
	put := func(i int, seq uint64) {
		v, _ := json.Marshal(ArticleEntry{ID: ids[i], Article: "r", Author: "A", Text: "t", SubmittedSeq: uint64(i + 1), Seq: seq})
		if _, err := f.kv.Put(ctx, articleKey("r", ids[i]), v); err != nil {
			t.Error(err)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for n := range 600 {
			i := n % keys
			if n%3 == 2 {
				if err := f.kv.Delete(ctx, articleKey("r", ids[i])); err != nil {
					t.Error(err)
				}
			} else {
				put(i, uint64(n+1))
			}
		}
	}()
	// Drop the article and load it again while the writes go on.
	for range 30 {
		f.cache.mu.Lock()
		f.cache.articles.remove("r")
		f.cache.mu.Unlock()
		if _, err := f.cache.Approved(ctx, "r", 0, keys, false); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	if _, err := f.kv.Put(ctx, checkpointKey, []byte("1000000")); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, func() error {
		if f.cache.Applied() < 1000000 {
			return errors.New("the watcher has not seen the last write")
		}
		return nil
	})
	want := map[string]bool{}
	lister, err := f.kv.ListKeysFiltered(ctx, "a.r.>")
	if err != nil {
		t.Fatal(err)
	}
	for k := range lister.Keys() {
		_, id, _ := articleOf(k)
		want[id] = true
	}
	got := f.ids("r")
	if len(got) != len(want) {
		t.Fatalf("cache holds %d comments, the bucket %d", len(got), len(want))
	}
	for _, id := range got {
		if !want[id] {
			t.Fatalf("cache holds %s, which the bucket deleted", id)
		}
	}
}
