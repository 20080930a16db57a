package projections

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
)

// FactsBucket is the facts view: what the rules decide with and what the
// moderators' author page shows. Its keys:
//
//	author.<token>    AuthorFacts: counts, first seen, recent rejection rate, ban
//	authored.<token>  AuthorComments: the author's newest comments, and those waiting
//	article.<article> ArticleFacts: the article's settings
//	checkpoint        the stream sequence the view reflects
//
// <token> is AuthorToken(author id). Workers watch author.> and
// article.> into memory (they grow with authors and articles, not with
// comments); api processes watch article.> and read authors on demand. The
// projector role is the only writer.
const FactsBucket = "VIEW_FACTS"

const (
	authorPrefix       = "author."
	authoredPrefix     = "authored."
	factsArticlePrefix = "article."
	// AuthorCommentsKept is how many of an author's newest comments the
	// facts view names: the author page's longest list, and the window
	// the recent rejection rate is taken from.
	AuthorCommentsKept = 200
)

// AuthorToken is an author id as a key token: base64url without padding
// (author ids hold any character).
func AuthorToken(authorID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(authorID))
}

// AuthorFacts is the value of author.<token>.
type AuthorFacts struct {
	ID        string    `json:"id"`
	Name      string    `json:"name,omitempty"`
	Approved  int       `json:"approved"`
	Rejected  int       `json:"rejected"`
	Total     int       `json:"total"`
	FirstSeen time.Time `json:"first_seen,omitzero"`
	// RecentRejectionRate: see AuthorStats.
	RecentRejectionRate float64  `json:"recent_rejection_rate"`
	Ban                 banState `json:"ban,omitzero"`
	Seq                 uint64   `json:"seq"`
}

// Stats is what the rules and moderators know of the author.
func (a AuthorFacts) Stats() AuthorStats {
	return AuthorStats{ApprovedCount: a.Approved, RejectedCount: a.Rejected, FirstSeen: a.FirstSeen,
		Banned: a.Ban.Banned, RecentRejectionRate: a.RecentRejectionRate}
}

// AuthoredComment is one comment of an author, as the facts view names it.
type AuthoredComment struct {
	ID           string `json:"id"`
	SubmittedSeq uint64 `json:"s"`
	Status       Status `json:"st"`
}

// AuthorComments is the value of authored.<token>.
type AuthorComments struct {
	// Recent are the author's newest comments, at most
	// AuthorCommentsKept, in submission order.
	Recent []AuthoredComment `json:"recent"`
	// Waiting are the author's comments still pending or held, oldest
	// first: those a ban may reject.
	Waiting []string `json:"waiting,omitempty"`
	Seq     uint64   `json:"seq"`
}

// recentRejectionRate is the share rejected among the newest
// RecentDecisions approved or rejected comments of list.
func recentRejectionRate(list []AuthoredComment) float64 {
	decided, rejected := 0, 0
	for i := len(list) - 1; i >= 0 && decided < RecentDecisions; i-- {
		switch list[i].Status {
		case Approved:
			decided++
		case Rejected:
			decided++
			rejected++
		}
	}
	if decided == 0 {
		return 0
	}
	return float64(rejected) / float64(decided)
}

// ArticleFacts is the value of article.<article>.
type ArticleFacts struct {
	events.ArticleSettings
	Seq uint64 `json:"seq"`
}

// OpenFactsView creates the bucket, or updates it to replicas. It is for
// provisioning (the operator's identity); the roles attach.
func OpenFactsView(ctx context.Context, js jetstream.JetStream, replicas int) error {
	return openView(ctx, js, jetstream.KeyValueConfig{
		Bucket: FactsBucket, Description: "Facts view: author.<token>, authored.<token>, article.<article>, checkpoint.",
	}, replicas)
}

// authorState is a cached author: both keys.
type authorState struct {
	facts    AuthorFacts
	comments AuthorComments
}

// FactsWriter writes VIEW_FACTS for the projector.
type FactsWriter struct {
	kv      jetstream.KeyValue
	authors *lru[string, *authorState]
}

var _ ViewWriter = (*FactsWriter)(nil)

// NewFactsWriter writes the view in kv (attached by the projector role).
func NewFactsWriter(kv jetstream.KeyValue) *FactsWriter {
	return &FactsWriter{kv: kv, authors: newLRU[string, *authorState](viewCacheSize, nil)}
}

// AttachFactsWriter attaches the provisioned bucket for writing.
func AttachFactsWriter(ctx context.Context, js jetstream.JetStream) (*FactsWriter, error) {
	kv, err := attachView(ctx, js, FactsBucket)
	if err != nil {
		return nil, err
	}
	return NewFactsWriter(kv), nil
}

func (w *FactsWriter) Bucket() jetstream.KeyValue { return w.kv }

// Into is the same view written into kv, for a rebuild (Rebuildable).
func (w *FactsWriter) Into(kv jetstream.KeyValue) ViewWriter { return NewFactsWriter(kv) }
func (w *FactsWriter) Reset()                                { w.authors.clear() }

func (w *FactsWriter) load(ctx context.Context, authorID string) (*authorState, error) {
	if a, ok := w.authors.get(authorID); ok {
		return a, nil
	}
	a := &authorState{}
	tok := AuthorToken(authorID)
	if _, err := getJSON(ctx, w.kv, authorPrefix+tok, &a.facts); err != nil {
		return nil, err
	}
	if _, err := getJSON(ctx, w.kv, authoredPrefix+tok, &a.comments); err != nil {
		return nil, err
	}
	a.facts.ID = authorID
	w.authors.put(authorID, a)
	return a, nil
}

func putJSON(b *Batch, key string, v any) error {
	val, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b.Put(key, val)
	return nil
}

// Apply writes what one event changed in the facts.
func (w *FactsWriter) Apply(ctx context.Context, u *Update, b *Batch) error {
	e, ch := u.Event, u.Change
	switch {
	case u.Erased():
		return w.erase(ctx, u, b)
	case e.Type == events.ArticleSettingsChanged:
		var set events.ArticleSettings
		if e.Payload(&set) != nil || !events.ValidArticleID(e.Article) {
			return nil
		}
		return putJSON(b, factsArticlePrefix+e.Article, ArticleFacts{ArticleSettings: set, Seq: e.Seq})
	case e.Type == events.AuthorBanned || e.Type == events.AuthorUnbanned:
		var p events.AuthorAction
		if e.Payload(&p) != nil || p.AuthorID == "" {
			return nil
		}
		a, err := w.load(ctx, p.AuthorID)
		if err != nil {
			return err
		}
		if a.facts.Seq >= e.Seq {
			return nil
		}
		a.facts.Ban = banState{AuthorID: p.AuthorID, Banned: e.Type == events.AuthorBanned, Reason: p.Reason, By: e.Actor, At: e.OccurredAt}
		a.facts.Seq = e.Seq
		return putJSON(b, authorPrefix+AuthorToken(p.AuthorID), a.facts)
	case (e.Type == events.CommentSubmitted || e.Type.IsDecision()) && ch.After.AuthorID == "":
		// No author to count: an erased author's comment (or a submission
		// that named none) is nobody's fact, and "author." is no key.
		return nil
	case e.Type == events.CommentSubmitted && ch.Changed && ch.Before.ID == "":
		c := ch.After
		a, err := w.load(ctx, c.AuthorID)
		if err != nil {
			return err
		}
		tok := AuthorToken(c.AuthorID)
		if a.comments.Seq < e.Seq {
			a.comments.Recent = append(a.comments.Recent, AuthoredComment{ID: c.ID, SubmittedSeq: c.SubmittedSeq, Status: c.Status})
			if n := len(a.comments.Recent); n > AuthorCommentsKept {
				a.comments.Recent = append(a.comments.Recent[:0:0], a.comments.Recent[n-AuthorCommentsKept:]...)
			}
			a.comments.Waiting = append(a.comments.Waiting, c.ID)
			a.comments.Seq = e.Seq
			if err := putJSON(b, authoredPrefix+tok, a.comments); err != nil {
				return err
			}
		}
		if a.facts.Seq < e.Seq {
			a.facts.Name = c.Author
			if a.facts.FirstSeen.IsZero() {
				a.facts.FirstSeen = c.CreatedAt
			}
			a.facts.Total++
			a.facts.Seq = e.Seq
			return putJSON(b, authorPrefix+tok, a.facts)
		}
	case e.Type.IsDecision() && ch.Changed:
		before, c := ch.Before.Comment, ch.After.Comment
		a, err := w.load(ctx, c.AuthorID)
		if err != nil {
			return err
		}
		tok := AuthorToken(c.AuthorID)
		if a.comments.Seq < e.Seq {
			for i := len(a.comments.Recent) - 1; i >= 0; i-- {
				if a.comments.Recent[i].ID == c.ID {
					a.comments.Recent[i].Status = c.Status
					break
				}
			}
			waiting := c.Status == Pending || c.Status == Held
			i := -1
			for j, id := range a.comments.Waiting {
				if id == c.ID {
					i = j
					break
				}
			}
			switch {
			case waiting && i < 0:
				// Held again (by reports, or by a person): submission
				// order is lost for it, which a ban does not need.
				a.comments.Waiting = append(a.comments.Waiting, c.ID)
			case !waiting && i >= 0:
				a.comments.Waiting = append(a.comments.Waiting[:i:i], a.comments.Waiting[i+1:]...)
			}
			a.comments.Seq = e.Seq
			if err := putJSON(b, authoredPrefix+tok, a.comments); err != nil {
				return err
			}
		}
		if a.facts.Seq < e.Seq {
			a.facts.count(before.Status, -1)
			a.facts.count(c.Status, +1)
			a.facts.RecentRejectionRate = recentRejectionRate(a.comments.Recent)
			a.facts.Seq = e.Seq
			return putJSON(b, authorPrefix+tok, a.facts)
		}
	}
	return nil
}

// erase takes one comment of an erased author out of the author's
// record, which keeps their counts and ban (moderation facts, not what
// they wrote) but no name and no comments, as the fold's Store does. An
// erasure names several comments under one sequence, so the guard is the
// comment's presence in the record, not the sequence: applied again, it
// finds nothing to take. A comment older than the newest
// AuthorCommentsKept is not in the record and leaves Total as it is.
func (w *FactsWriter) erase(ctx context.Context, u *Update, b *Batch) error {
	authorID, id := u.Change.Before.AuthorID, u.Change.After.ID
	if authorID == "" {
		return nil
	}
	a, err := w.load(ctx, authorID)
	if err != nil {
		return err
	}
	tok := AuthorToken(authorID)
	n := len(a.comments.Recent)
	a.comments.Recent = slices.DeleteFunc(a.comments.Recent, func(c AuthoredComment) bool { return c.ID == id })
	a.comments.Waiting = slices.DeleteFunc(a.comments.Waiting, func(c string) bool { return c == id })
	if len(a.comments.Recent) < n {
		a.facts.Total--
	}
	a.comments.Seq = max(a.comments.Seq, u.Event.Seq)
	a.facts.Name = events.Removed
	a.facts.Seq = max(a.facts.Seq, u.Event.Seq)
	if err := putJSON(b, authoredPrefix+tok, a.comments); err != nil {
		return err
	}
	return putJSON(b, authorPrefix+tok, a.facts)
}

func (a *AuthorFacts) count(st Status, by int) {
	switch st {
	case Approved:
		a.Approved += by
	case Rejected:
		a.Rejected += by
	}
}

// factsCopy is one watch's copy of the facts.
type factsCopy struct {
	authors  map[string]AuthorFacts // by author id; with withAuthors
	articles map[string]events.ArticleSettings
	applied  uint64 // the checkpoint, as last watched
}

func newFactsCopy() *factsCopy {
	return &factsCopy{authors: make(map[string]AuthorFacts), articles: make(map[string]events.ArticleSettings)}
}

// FactsView is a process's copy of the facts it decides or serves with:
// articles' settings always, every author's facts when it watches authors
// (the worker), read on demand otherwise (the api). It follows the bucket
// serving the view (SetBucket, Catalog.FollowFacts): after a rebuild, a
// copy of the new bucket is made while the old copy keeps answering, and
// replaces it once complete.
type FactsView struct {
	followed
	withAuthors bool

	mu    sync.RWMutex
	cur   *factsCopy    // what reads see
	next  *factsCopy    // being filled by a new watch, until complete
	moved chan struct{} // closed and replaced when cur.applied moves
	ready chan struct{}
}

// AttachFacts opens the provisioned bucket under its own name; Run fills
// the view. With authors, it keeps every author's facts in memory (the
// worker), and follows the view's checkpoint. A process that must follow
// rebuilds uses Catalog.FollowFacts.
func AttachFacts(ctx context.Context, js jetstream.JetStream, authors bool) (*FactsView, error) {
	kv, err := attachView(ctx, js, FactsBucket)
	if err != nil {
		return nil, err
	}
	v := NewFactsView(authors)
	v.SetBucket(kv)
	return v, nil
}

// NewFactsView is a view with no bucket yet: SetBucket gives it one.
func NewFactsView(authors bool) *FactsView {
	return &FactsView{followed: newFollowed(), withAuthors: authors, cur: newFactsCopy(),
		moved: make(chan struct{}), ready: make(chan struct{})}
}

// Ready is closed once the watcher delivered every key that existed when
// it started.
func (v *FactsView) Ready() <-chan struct{} { return v.ready }

// Run watches the facts until ctx ends.
func (v *FactsView) Run(ctx context.Context) error {
	filters := []string{factsArticlePrefix + ">", checkpointKey}
	if v.withAuthors {
		filters = append(filters, authorPrefix+">")
	}
	return watchKeys(ctx, &v.followed, filters, v.ready, v.begin, v.install, v.apply)
}

// begin starts a new copy, filled by a new watch while the current one
// keeps answering.
func (v *FactsView) begin() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.next = newFactsCopy()
}

// install makes the new copy, now complete, the one reads see.
func (v *FactsView) install() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.next == nil {
		return
	}
	moved := v.next.applied != v.cur.applied
	v.cur, v.next = v.next, nil
	if moved {
		close(v.moved)
		v.moved = make(chan struct{})
	}
}

func (v *FactsView) apply(e jetstream.KeyValueEntry) {
	del := e.Operation() != jetstream.KeyValuePut
	v.mu.Lock()
	defer v.mu.Unlock()
	st := v.next
	if st == nil {
		st = v.cur
	}
	switch key := e.Key(); {
	case key == checkpointKey:
		var seq uint64
		if _, err := fmt.Sscan(string(e.Value()), &seq); err == nil && !del {
			st.applied = seq
			if st == v.cur {
				close(v.moved)
				v.moved = make(chan struct{})
			}
		}
	case strings.HasPrefix(key, factsArticlePrefix):
		id := key[len(factsArticlePrefix):]
		var a ArticleFacts
		if del || json.Unmarshal(e.Value(), &a) != nil {
			delete(st.articles, id)
			return
		}
		st.articles[id] = a.ArticleSettings
	case strings.HasPrefix(key, authorPrefix):
		var a AuthorFacts
		if del || json.Unmarshal(e.Value(), &a) != nil {
			if b, err := base64.RawURLEncoding.DecodeString(key[len(authorPrefix):]); err == nil {
				delete(st.authors, string(b))
			}
			return
		}
		a.Ban.AuthorID = "" // known from the key; kept small in memory
		st.authors[a.ID] = a
	}
}

// Applied is the facts view's checkpoint as last seen by the watcher: the
// copy reflects the stream at least up to there.
func (v *FactsView) Applied() uint64 {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.cur.applied
}

// WaitApplied returns once the view reflects the stream up to seq (its
// checkpoint, watched, is at or past it), or ctx ends. A worker waits so
// after a start, so that it never decides on stale author facts.
func (v *FactsView) WaitApplied(ctx context.Context, seq uint64) error {
	select {
	case <-v.ready:
	case <-ctx.Done():
		return ctx.Err()
	}
	for {
		v.mu.RLock()
		applied, moved := v.cur.applied, v.moved
		v.mu.RUnlock()
		if applied >= seq {
			return nil
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// ArticleSettings are the current settings of an article; the zero value
// (open, not pre-moderated) for an article never configured.
func (v *FactsView) ArticleSettings(article string) events.ArticleSettings {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.cur.articles[article]
}

// Author is what is known of an author, from memory (a view that watches
// authors): the zero value for one never seen.
func (v *FactsView) Author(authorID string) AuthorStats {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.cur.authors[authorID].Stats()
}

// AuthorFacts reads one author's facts from the bucket; found is false
// for an author never seen, and for no author (an erased comment's).
func (v *FactsView) AuthorFacts(ctx context.Context, authorID string) (a AuthorFacts, found bool, err error) {
	if authorID == "" {
		return a, false, nil
	}
	found, err = getJSON(ctx, v.bucket(), authorPrefix+AuthorToken(authorID), &a)
	return a, found, err
}

// AuthorComments reads the comments the view names of one author.
func (v *FactsView) AuthorComments(ctx context.Context, authorID string) (AuthorComments, error) {
	var c AuthorComments
	if authorID == "" {
		return c, nil
	}
	_, err := getJSON(ctx, v.bucket(), authoredPrefix+AuthorToken(authorID), &c)
	return c, err
}

// Checkpoint reads the view's checkpoint from the bucket.
func (v *FactsView) Checkpoint(ctx context.Context) (uint64, error) {
	return readCheckpoint(ctx, v.bucket())
}
