package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
)

// DefaultCachedComments bounds an ArticleCache: the approved comments of
// the articles it holds, together.
const DefaultCachedComments = 200000

// ArticleChange is one change of the approved view, as an api process's
// watcher sees it, for live updates: a comment shown (Comment set, with
// the approval's reason and message) or no longer shown (Removed, with
// the status it went to in Comment's Status, Reason and Message).
type ArticleChange struct {
	Article string
	ID      string
	Comment Comment
	Removed bool
	// New is false when the cache already showed the comment as it is (a
	// write that came again): nothing changed for a reader. An approved
	// edit is new: the text changed.
	New bool
	Seq uint64
}

// ArticleCache is an api process's copy of the approved view, for the
// articles it serves: each article is loaded when first asked for (the
// bucket's values under a.<article>.>), then kept current by one watcher
// of the whole bucket, bounded by the number of comments held (the least
// recently read articles leave first). Per-key revisions make an update
// the watcher delivers during a load count exactly once. Safe for
// concurrent use; Run must be running.
type ArticleCache struct {
	kv       atomic.Pointer[jetstream.KeyValue] // the bucket serving the view
	moved    chan struct{}                      // a new bucket: the watcher starts over
	logger   *slog.Logger
	onChange func(ArticleChange)

	mu       sync.Mutex
	articles *lru[string, *cachedArticle]
	loads    map[string]*articleLoad
	// watching: the watcher runs, so a loaded article stays current;
	// gen moves whenever that changes, and a load begun in another
	// generation serves its request but is not kept.
	watching bool
	gen      uint64

	version atomic.Uint64 // moves on every change of any article
	applied atomic.Uint64 // the view's checkpoint, as the watcher saw it
	ready   chan struct{} // closed once the watcher runs
	failed  atomic.Pointer[error]
}

// cachedArticle is one article's approved comments in submission order.
type cachedArticle struct {
	list    []*articleItem
	byID    map[string]*articleItem
	revs    map[string]uint64 // key → revision of its last put or delete
	version uint64
	threads *threadIndex // built on first use, dropped on change
}

type articleItem struct {
	c         Comment
	depth     int
	ancestors []string
}

// articleLoad is a load in progress; the watcher's updates of the article
// wait in it until the load is done.
type articleLoad struct {
	gen     uint64
	done    chan struct{}
	article *cachedArticle // the result, for those who waited
	err     error
	pending []jetstream.KeyValueEntry
}

// NewArticleCache caches the approved view in kv (AttachArticleView),
// holding at most maxComments approved comments (DefaultCachedComments
// when 0). onChange, if set, is called for every change the watcher sees,
// in order, on its goroutine.
func NewArticleCache(kv jetstream.KeyValue, maxComments int, onChange func(ArticleChange), logger *slog.Logger) *ArticleCache {
	if maxComments <= 0 {
		maxComments = DefaultCachedComments
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &ArticleCache{
		logger: logger, onChange: onChange, moved: make(chan struct{}, 1),
		articles: newLRU[string, *cachedArticle](maxComments, func(a *cachedArticle) int { return len(a.list) + 1 }),
		loads:    make(map[string]*articleLoad),
		ready:    make(chan struct{}),
	}
	if kv != nil {
		c.kv.Store(&kv)
	}
	return c
}

// SetBucket makes kv the bucket the cache reads (Catalog.Follow calls it
// after a rebuild): the watcher starts over on it with an empty cache.
func (c *ArticleCache) SetBucket(kv jetstream.KeyValue) {
	c.kv.Store(&kv)
	select {
	case c.moved <- struct{}{}:
	default:
	}
}

func (c *ArticleCache) bucket() jetstream.KeyValue {
	if p := c.kv.Load(); p != nil {
		return *p
	}
	return nil
}

// Ready is closed once the watcher follows the bucket: from then on the
// cache serves.
func (c *ArticleCache) Ready() <-chan struct{} { return c.ready }

// Applied is the view's checkpoint as the watcher last saw it: the cache
// reflects the log up to there (for what it holds).
func (c *ArticleCache) Applied() uint64 { return c.applied.Load() }

// errCacheStopped answers reads after the watcher ended.
var errCacheStopped = errors.New("projections: the approved view's watcher stopped")

// Run watches the bucket until ctx ends. A watcher that ends (a lost
// connection the client could not resume) is started again with an empty
// cache: what it missed cannot be known.
func (c *ArticleCache) Run(ctx context.Context) error {
	for {
		err := c.watch(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, errMoved) {
			c.logger.Info("approved view moved to another bucket; the cache starts over", "bucket", c.bucket().Bucket())
			continue
		}
		c.logger.Warn("approved view watcher ended; starting again with an empty cache", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// errMoved ends a watcher whose bucket no longer serves the view.
var errMoved = errors.New("projections: the approved view moved")

func (c *ArticleCache) watch(ctx context.Context) error {
	for c.bucket() == nil {
		select {
		case <-ctx.Done():
			return nil
		case <-c.moved:
		}
	}
	select {
	case <-c.moved: // the bucket about to be watched is the newest
	default:
	}
	kv := c.bucket()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := kv.WatchFiltered(wctx, []string{articlePrefix + ">", checkpointKey}, jetstream.UpdatesOnly())
	if err != nil {
		return fmt.Errorf("projections: watch %s: %w", ArticlesBucket, err)
	}
	defer func() {
		w.Stop()
		// What the cache holds may miss what comes next: start over.
		c.mu.Lock()
		c.watching = false
		c.gen++
		c.articles.clear()
		c.mu.Unlock()
	}()
	// The checkpoint before the first update the watcher delivers.
	cp, err := readCheckpoint(ctx, kv)
	if err != nil {
		return err
	}
	c.applied.Store(cp) // a new bucket may be behind the old one
	c.mu.Lock()
	c.watching = true
	c.gen++ // loads begun before the watcher may have missed an update
	c.mu.Unlock()
	select {
	case <-c.ready:
	default:
		close(c.ready)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.moved:
			return errMoved
		case e, ok := <-w.Updates():
			if !ok {
				return errCacheStopped
			}
			if e != nil {
				c.update(e)
			}
		}
	}
}

func (c *ArticleCache) setApplied(seq uint64) {
	for {
		old := c.applied.Load()
		if seq <= old || c.applied.CompareAndSwap(old, seq) {
			return
		}
	}
}

// update applies one entry the watcher delivered.
func (c *ArticleCache) update(e jetstream.KeyValueEntry) {
	if e.Key() == checkpointKey {
		if seq, err := strconv.ParseUint(string(e.Value()), 10, 64); err == nil {
			c.setApplied(seq)
		}
		return
	}
	article, id, ok := articleOf(e.Key())
	if !ok {
		return
	}
	ch := ArticleChange{Article: article, ID: id, Removed: e.Operation() != jetstream.KeyValuePut, New: true}
	var entry ArticleEntry
	if !ch.Removed {
		if err := json.Unmarshal(e.Value(), &entry); err != nil || entry.ID != id {
			c.logger.Warn("approved view entry not usable; skipped", "key", e.Key(), "err", err)
			return
		}
		ch.Comment, ch.Seq = entry.comment(), entry.Seq
	} else {
		var r removal
		if json.Unmarshal(e.Value(), &r) == nil {
			ch.Seq = r.Seq
			ch.Comment = Comment{ID: id, Article: article, Status: r.Status, Reason: r.Reason, Message: r.Message, Seq: r.Seq}
		}
	}
	c.mu.Lock()
	if a, ok := c.articles.peek(article); ok {
		ch.New = c.apply(a, e, &entry)
		c.articles.recost(article)
	} else if l, ok := c.loads[article]; ok {
		l.pending = append(l.pending, e)
	}
	c.mu.Unlock()
	if c.onChange != nil && ch.New {
		c.onChange(ch)
	}
}

// apply folds one entry into a cached article, unless the article holds
// that key at this revision or a later one. It reports whether what
// readers see changed. entry is e's value, decoded (nil to decode here).
func (c *ArticleCache) apply(a *cachedArticle, e jetstream.KeyValueEntry, entry *ArticleEntry) bool {
	_, id, _ := articleOf(e.Key())
	if a.revs[e.Key()] >= e.Revision() {
		return false
	}
	a.revs[e.Key()] = e.Revision()
	old := a.byID[id]
	if e.Operation() != jetstream.KeyValuePut {
		if old == nil {
			return false
		}
		a.remove(old)
		a.changed(c.version.Add(1))
		return true
	}
	if entry == nil {
		entry = new(ArticleEntry)
		if json.Unmarshal(e.Value(), entry) != nil || entry.ID != id {
			return false
		}
	}
	it := &articleItem{c: entry.comment(), depth: entry.Depth, ancestors: entry.Ancestors}
	if old != nil {
		a.remove(old)
	}
	a.insert(it)
	a.changed(c.version.Add(1))
	// An approved edit changes the text readers see.
	return old == nil || old.c.Text != it.c.Text || !old.c.EditedAt.Equal(it.c.EditedAt)
}

func (a *cachedArticle) changed(v uint64) { a.version, a.threads = v, nil }

func (a *cachedArticle) insert(it *articleItem) {
	a.byID[it.c.ID] = it
	seq := it.c.SubmittedSeq
	if n := len(a.list); n == 0 || a.list[n-1].c.SubmittedSeq < seq {
		a.list = append(a.list, it)
		return
	}
	i := sort.Search(len(a.list), func(i int) bool { return a.list[i].c.SubmittedSeq >= seq })
	a.list = append(a.list, nil)
	copy(a.list[i+1:], a.list[i:])
	a.list[i] = it
}

func (a *cachedArticle) remove(it *articleItem) {
	delete(a.byID, it.c.ID)
	i := sort.Search(len(a.list), func(i int) bool { return a.list[i].c.SubmittedSeq >= it.c.SubmittedSeq })
	if i < len(a.list) && a.list[i] == it {
		a.list = append(a.list[:i], a.list[i+1:]...)
	}
}

// article returns the cached article, loading it first if need be.
func (c *ArticleCache) article(ctx context.Context, id string) (*cachedArticle, error) {
	select {
	case <-c.ready:
	default:
		return nil, ErrNotReady
	}
	for {
		c.mu.Lock()
		if a, ok := c.articles.get(id); ok {
			c.mu.Unlock()
			return a, nil
		}
		if l, ok := c.loads[id]; ok {
			c.mu.Unlock()
			select {
			case <-l.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if l.err != nil || l.article != nil {
				return l.article, l.err
			}
			continue
		}
		l := &articleLoad{gen: c.gen, done: make(chan struct{})}
		c.loads[id] = l
		c.mu.Unlock()
		a, err := c.load(ctx, id, l)
		l.article, l.err = a, err
		close(l.done)
		return a, err
	}
}

// ErrNotReady answers a read before the cache's watcher runs.
var ErrNotReady = errors.New("projections: the approved view is not loaded yet")

// load reads an article's keys, then applies what the watcher delivered
// meanwhile, and caches it.
func (c *ArticleCache) load(ctx context.Context, id string, l *articleLoad) (*cachedArticle, error) {
	a := &cachedArticle{byID: make(map[string]*articleItem), revs: make(map[string]uint64)}
	err := c.read(ctx, id, a)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.loads, id)
	if err != nil {
		return nil, err
	}
	for _, e := range l.pending {
		c.apply(a, e, nil)
	}
	if len(a.list) > 0 || a.version != 0 {
		// 0 is an article nobody's comment was shown on: pages of it
		// are not worth keeping.
		a.version = c.version.Add(1)
	}
	if c.watching && l.gen == c.gen {
		c.articles.put(id, a)
	}
	return a, nil
}

// read fills a with the article's keys as the bucket holds them.
func (c *ArticleCache) read(ctx context.Context, id string, a *cachedArticle) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := c.bucket().Watch(wctx, articlePrefix+id+".>")
	if err != nil {
		return fmt.Errorf("%w: load article %s: %w", events.ErrUnavailable, id, err)
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok := <-w.Updates():
			if !ok {
				return fmt.Errorf("%w: load article %s: watcher closed", events.ErrUnavailable, id)
			}
			if e == nil {
				return nil // every value delivered
			}
			a.revs[e.Key()] = e.Revision()
			if e.Operation() != jetstream.KeyValuePut {
				continue
			}
			var entry ArticleEntry
			_, cid, _ := articleOf(e.Key())
			if err := json.Unmarshal(e.Value(), &entry); err != nil || entry.ID != cid {
				c.logger.Warn("approved view entry not usable; skipped", "key", e.Key(), "err", err)
				continue
			}
			a.insert(&articleItem{c: entry.comment(), depth: entry.Depth, ancestors: entry.Ancestors})
		}
	}
}

// ArticleVersion is the version of an article's approved view: it moves
// whenever the article changes, and differs after the cache let the
// article go and loaded it again.
func (c *ArticleCache) ArticleVersion(ctx context.Context, article string) (uint64, error) {
	a, err := c.article(ctx, article)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return a.version, nil
}

// Approved is Store.Approved from the cache.
func (c *ArticleCache) Approved(ctx context.Context, article string, after uint64, limit int, newest bool) (Page, error) {
	a, err := c.article(ctx, article)
	if err != nil {
		return Page{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	list := a.list
	p := Page{Total: len(list), Version: a.version}
	if newest {
		end := len(list)
		if after != 0 {
			end = sort.Search(len(list), func(i int) bool { return list[i].c.SubmittedSeq >= after })
		}
		for i := end - 1; i >= 0 && len(p.Comments) < limit; i-- {
			p.Comments = append(p.Comments, list[i].c)
		}
		if n := len(p.Comments); n == limit && end-n > 0 {
			p.Next = p.Comments[n-1].SubmittedSeq
		}
		return p, nil
	}
	start := sort.Search(len(list), func(i int) bool { return list[i].c.SubmittedSeq > after })
	end := min(start+limit, len(list))
	p.Comments = make([]Comment, 0, end-start)
	for _, it := range list[start:end] {
		p.Comments = append(p.Comments, it.c)
	}
	if end < len(list) && end > start {
		p.Next = list[end-1].c.SubmittedSeq
	}
	return p, nil
}

// ApprovedCounts is Store.ApprovedCounts from the cache (loading the
// articles it does not hold).
func (c *ArticleCache) ApprovedCounts(ctx context.Context, articles []string) ([]int, error) {
	out := make([]int, len(articles))
	for i, id := range articles {
		a, err := c.article(ctx, id)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		out[i] = len(a.list)
		c.mu.Unlock()
	}
	return out, nil
}

// threadIndex is an article's threads: roots in submission order, and
// each comment's visible replies, oldest first.
type threadIndex struct {
	roots    []*articleItem
	children map[string][]*articleItem
}

func (a *cachedArticle) threadIndex() *threadIndex {
	if a.threads != nil {
		return a.threads
	}
	t := &threadIndex{children: make(map[string][]*articleItem)}
	for _, it := range a.list { // submission order, so children end up oldest first
		var parent *articleItem
		for _, id := range it.ancestors {
			if p := a.byID[id]; p != nil {
				parent = p
				break
			}
		}
		if parent != nil {
			t.children[parent.c.ID] = append(t.children[parent.c.ID], it)
		} else {
			t.roots = append(t.roots, it)
		}
	}
	a.threads = t
	return t
}

// Threads is Store.Threads from the cache. A reply whose parent is not
// visible hangs under its nearest visible ancestor, or starts a thread.
func (c *ArticleCache) Threads(ctx context.Context, article string, after uint64, limit int, newest bool) (ThreadPage, error) {
	a, err := c.article(ctx, article)
	if err != nil {
		return ThreadPage{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(a.list) == 0 {
		return ThreadPage{}, nil
	}
	t := a.threadIndex()
	roots := t.roots
	p := ThreadPage{Total: len(a.list), Threads: len(roots)}
	var page []*articleItem
	if newest {
		end := len(roots)
		if after != 0 {
			end = sort.Search(len(roots), func(i int) bool { return roots[i].c.SubmittedSeq >= after })
		}
		for i := end - 1; i >= 0 && len(page) < limit; i-- {
			page = append(page, roots[i])
		}
		if n := len(page); n == limit && page[n-1] != roots[0] {
			p.Next = page[n-1].c.SubmittedSeq
		}
	} else {
		start := sort.Search(len(roots), func(i int) bool { return roots[i].c.SubmittedSeq > after })
		for i := start; i < len(roots) && len(page) < limit; i++ {
			page = append(page, roots[i])
		}
		if n := len(page); n == limit && page[n-1] != roots[len(roots)-1] {
			p.Next = page[n-1].c.SubmittedSeq
		}
	}
	var walk func(it *articleItem, depth int)
	walk = func(it *articleItem, depth int) {
		p.Comments = append(p.Comments, ThreadComment{Comment: it.c, Depth: depth, ReplyDepth: it.depth})
		if depth >= maxAncestors {
			return
		}
		for _, r := range t.children[it.c.ID] {
			walk(r, depth+1)
		}
	}
	for _, root := range page {
		walk(root, 0)
	}
	return p, nil
}
