package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/text/cases"
)

// RecentComments holds the comments most recently written to the comment
// view (VIEW_STATUS), at most a bound of them, for moderators to search
// (the Approved, Rejected and All screens) without a search engine: a
// comment enters when it is submitted or decided, and leaves when more
// recent ones push it out. It reads the view bucket's own stream, from
// twice the bound's number of writes back, and follows it; a rebuilt view is
// followed through the catalog (SetBucket). What it costs is the bound,
// not the log's length.
type RecentComments struct {
	js     jetstream.JetStream
	limit  int
	logger *slog.Logger

	mu      sync.RWMutex
	kv      jetstream.KeyValue
	moved   chan struct{} // closed and replaced when the bucket changes
	byID    map[string]*recentEntry
	order   []recentRef // writes, oldest first; a ref whose seq is not its entry's is stale
	applied uint64      // the bucket stream's sequence read up to
	ready   chan struct{}
	isReady bool

	onChange func(before, after CommentState)
}

// OnChange sets f, told of each comment the view writes once the first
// load is in: its state before (as the search kept it, without evidence;
// the zero value when it kept none) and after. It runs on the follower's
// goroutine, outside its lock. Set it before Run.
func (r *RecentComments) OnChange(f func(before, after CommentState)) { r.onChange = f }

type recentEntry struct {
	seq    uint64    // the write to the view's stream that left it so
	at     time.Time // when
	state  CommentState
	folded string // author and text, case-folded, for the search
}

type recentRef struct {
	seq uint64
	id  string
}

// DefaultRecentComments is how many comments a process keeps for search
// unless told otherwise: about 1 KB each.
const DefaultRecentComments = 20000

// NewRecentComments keeps up to limit comments (DefaultRecentComments
// when 0 or less).
func NewRecentComments(js jetstream.JetStream, limit int, logger *slog.Logger) *RecentComments {
	if limit <= 0 {
		limit = DefaultRecentComments
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &RecentComments{js: js, limit: limit, logger: logger, moved: make(chan struct{}),
		byID: make(map[string]*recentEntry), ready: make(chan struct{})}
}

// SetBucket points the search at the bucket serving the comment view now
// (Catalog.Follow calls it): it loads again from there.
func (r *RecentComments) SetBucket(kv jetstream.KeyValue) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kv = kv
	close(r.moved)
	r.moved = make(chan struct{})
}

// Ready is closed once the comments written before the first load are in.
func (r *RecentComments) Ready() <-chan struct{} { return r.ready }

// Run loads and follows the comment view's writes until ctx ends, again
// from the start after the bucket moves or the read fails.
func (r *RecentComments) Run(ctx context.Context) error {
	for {
		r.mu.RLock()
		kv, moved := r.kv, r.moved
		r.mu.RUnlock()
		if kv == nil {
			select {
			case <-ctx.Done():
				return nil
			case <-moved:
				continue
			}
		}
		rctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-moved:
				cancel()
			case <-rctx.Done():
			}
		}()
		err := r.follow(rctx, kv)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		select {
		case <-moved:
			r.logger.Info("comment view moved; the search loads again", "bucket", r.bucketName())
			continue
		default:
		}
		r.logger.Warn("search of recent comments: reading the comment view failed; loading again", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

func (r *RecentComments) bucketName() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.kv == nil {
		return ""
	}
	return r.kv.Bucket()
}

// follow reads kv's stream from twice limit writes back, then each new write,
// until ctx ends or the read fails.
func (r *RecentComments) follow(ctx context.Context, kv jetstream.KeyValue) error {
	stream := "KV_" + kv.Bucket()
	st, err := r.js.Stream(ctx, stream)
	if err != nil {
		return fmt.Errorf("projections: recent comments: %w", err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return fmt.Errorf("projections: recent comments: %w", err)
	}
	last := info.State.LastSeq
	// Twice the bound back: a comment is written about twice (submitted,
	// decided), and the checkpoint shares the stream.
	start := uint64(1)
	if back := 2 * uint64(r.limit); last > back {
		start = last - back + 1
	}
	r.mu.Lock()
	clear(r.byID)
	r.order, r.applied = r.order[:0], 0
	r.mu.Unlock()
	prefix := "$KV." + kv.Bucket() + "."
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{prefix + statusPrefix + ">"},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    start,
	})
	if err != nil {
		return fmt.Errorf("projections: recent comments: %w", err)
	}
	// Ready once every comment written before the load is in: at once
	// when there is none.
	if ci, err := cons.Info(ctx); err == nil && ci.NumPending == 0 {
		r.setReady()
	}
	defer func() {
		if ci := cons.CachedInfo(); ci != nil {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			_ = st.DeleteConsumer(dctx, ci.Name)
			cancel()
		}
	}()
	it, err := cons.Messages(jetstream.PullMaxMessages(1024), jetstream.PullExpiry(5*time.Second))
	if err != nil {
		return fmt.Errorf("projections: recent comments: %w", err)
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	began, n, caughtUp := time.Now(), 0, false
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("projections: recent comments: %w", err)
		}
		meta, err := msg.Metadata()
		if err != nil {
			continue
		}
		id := strings.TrimPrefix(msg.Subject(), prefix+statusPrefix)
		var c CommentState
		keep := msg.Headers().Get("KV-Operation") == "" && json.Unmarshal(msg.Data(), &c) == nil && c.ID != ""
		before, live := r.apply(meta.Sequence.Stream, meta.Timestamp, id, c, keep)
		if live && keep && r.onChange != nil {
			r.onChange(before, c)
		}
		n++
		if meta.NumPending == 0 && !caughtUp {
			caughtUp = true
			r.setReady()
			r.logger.Info("recent comments loaded", "bucket", kv.Bucket(), "writes", n, "took", time.Since(began).Round(time.Millisecond))
		}
	}
}

func (r *RecentComments) setReady() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.isReady {
		r.isReady = true
		close(r.ready)
	}
}

// fold is what the search compares: text in any case (a Caser keeps
// state, so one per call).
func fold(s string) string { return cases.Fold().String(s) }

// apply records one write of the view: the comment's state (keep), or
// its key deleted. It returns the state kept before, and whether the
// first load was in (the write is live).
func (r *RecentComments) apply(seq uint64, at time.Time, id string, c CommentState, keep bool) (before CommentState, live bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.applied = seq
	if old := r.byID[id]; old != nil {
		before = old.state
	}
	live = r.isReady
	if !keep {
		delete(r.byID, id)
		return before, live
	}
	c.Evidence = nil // the search shows no spans; kept small
	r.byID[id] = &recentEntry{seq: seq, at: at, state: c, folded: fold(c.Author + "\n" + c.Text)}
	r.order = append(r.order, recentRef{seq, id})
	for len(r.byID) > r.limit && len(r.order) > 0 {
		ref := r.order[0]
		r.order = r.order[1:]
		if r.live(ref) != nil {
			delete(r.byID, ref.id)
		}
	}
	// Stale refs (comments written again since) are dropped once they
	// are half of the order.
	if len(r.order) > 2*r.limit {
		kept := make([]recentRef, 0, r.limit)
		for _, ref := range r.order {
			if r.live(ref) != nil {
				kept = append(kept, ref)
			}
		}
		r.order = kept
	}
	return before, live
}

// Search is what a moderator looks for among the recent comments.
type Search struct {
	// Status is one status, or "" for every one.
	Status Status
	// Text: words (space-separated) that the comment's text or author's
	// name must each contain, in any case.
	Text string
	// AuthorID: only this author's comments.
	AuthorID string
	// Article: this article's comments; with a trailing "*", those of
	// every article whose id starts with what comes before it (a section
	// whose ids share a prefix).
	Article string
	// Before is the cursor: comments written to the view before this
	// write (0: from the newest).
	Before uint64
	Limit  int
}

// SearchPage is one page of found comments, most recently changed first.
type SearchPage struct {
	Comments []CommentState
	// Next is the cursor of the following page; 0 when this is the last.
	Next uint64
	// Window says what was searched: how many comments are held, and
	// since when they changed (the oldest write held).
	Window int
	Since  time.Time
}

// DefaultSearchPage is how many comments a page holds unless asked.
const DefaultSearchPage = 50

// Search finds the comments that match q among those held, most
// recently written first.
func (r *RecentComments) Search(q Search) SearchPage {
	if q.Limit <= 0 {
		q.Limit = DefaultSearchPage
	}
	m := q.matcher()
	r.mu.RLock()
	defer r.mu.RUnlock()
	page := SearchPage{Window: len(r.byID)}
	for _, ref := range r.order {
		if e := r.live(ref); e != nil {
			page.Since = e.at
			break
		}
	}
	for i := len(r.order) - 1; i >= 0; i-- {
		ref := r.order[i]
		e := r.live(ref)
		if e == nil || q.Before != 0 && ref.seq >= q.Before || !m.match(&e.state.Comment, e.folded) {
			continue
		}
		if len(page.Comments) == q.Limit {
			page.Next = ref.seq + 1 // the next page starts with this one
			break
		}
		page.Comments = append(page.Comments, e.state)
	}
	return page
}

// Matcher is q's test of a comment, its cursor aside: the one test of
// both the window's search and an article's. Make it once per search.
func (q Search) Matcher() func(Comment) bool {
	m := q.matcher()
	return func(c Comment) bool { return m.match(&c, fold(c.Author+"\n"+c.Text)) }
}

type matcher struct {
	Search
	words   []string
	prefix  string // of a group of articles
	inGroup bool
}

func (q Search) matcher() matcher {
	m := matcher{Search: q, words: strings.Fields(fold(q.Text))}
	m.prefix, m.inGroup = strings.CutSuffix(q.Article, "*")
	return m
}

// match tests c, whose author and text folded are folded.
func (m matcher) match(c *Comment, folded string) bool {
	switch {
	case m.Status != "" && c.Status != m.Status,
		m.AuthorID != "" && c.AuthorID != m.AuthorID,
		!m.inGroup && m.Article != "" && c.Article != m.Article,
		m.inGroup && !strings.HasPrefix(c.Article, m.prefix):
		return false
	}
	for _, w := range m.words {
		if !strings.Contains(folded, w) {
			return false
		}
	}
	return true
}

// live is ref's entry when ref is its latest write, else nil.
func (r *RecentComments) live(ref recentRef) *recentEntry {
	if e, ok := r.byID[ref.id]; ok && e.seq == ref.seq {
		return e
	}
	return nil
}
