package projections

import (
	"context"
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

// AuthorToken is an author id as a key token: events.AuthorKey, a
// truncated SHA-256 of the id, the same token as the log's
// authors.<key> subjects and the keys bucket's author.<key>. An author id
// is personal data (an anonymous reader's is their display name): the
// token does not spell it, and an erasure, which names the author by this
// token only (events.Erasure.AuthorKey), finds the author's facts by it.
func AuthorToken(authorID string) string { return events.AuthorKey(authorID) }

// AuthorFacts is the value of author.<token>. It holds no author id: the
// key is a hash of it, and whoever reads the facts asked for an id.
type AuthorFacts struct {
	// ID is the author id the facts were read for (not stored).
	ID        string    `json:"-"`
	Name      string    `json:"name,omitempty"`
	Approved  int       `json:"approved"`
	Rejected  int       `json:"rejected"`
	Total     int       `json:"total"`
	FirstSeen time.Time `json:"first_seen,omitzero"`
	// RecentRejectionRate: see AuthorStats.
	RecentRejectionRate float64   `json:"recent_rejection_rate"`
	Ban                 AuthorBan `json:"ban,omitzero"`
	Seq                 uint64    `json:"seq"`
}

// AuthorBan is an author's ban as the last AuthorBanned or AuthorUnbanned
// left it. A timed ban is still Banned after Until: whether it holds is a
// question of when (BannedAt), answered by whoever decides, with the time
// of what they decide on. No event marks the end.
type AuthorBan struct {
	Banned bool      `json:"banned"`
	Reason string    `json:"reason,omitempty"`
	By     string    `json:"by,omitempty"`
	At     time.Time `json:"at,omitzero"`
	Until  time.Time `json:"until,omitzero"`
}

// BannedAt reports whether the ban holds at t.
func (b AuthorBan) BannedAt(t time.Time) bool { return b.Banned && events.BanHolds(b.Until, t) }

// BannedAt reports whether the author's ban holds at t.
func (s AuthorStats) BannedAt(t time.Time) bool { return s.Banned && events.BanHolds(s.BannedUntil, t) }

// Stats is what the rules and moderators know of the author.
func (a AuthorFacts) Stats() AuthorStats {
	return AuthorStats{ApprovedCount: a.Approved, RejectedCount: a.Rejected, FirstSeen: a.FirstSeen,
		Banned: a.Ban.Banned, BannedUntil: a.Ban.Until, RecentRejectionRate: a.RecentRejectionRate}
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

// AuthorEntry is everything the facts view holds of one author: the
// values of author.<token> and authored.<token>.
type AuthorEntry struct {
	Facts    AuthorFacts
	Comments AuthorComments
}

// Empty reports whether the entry holds nothing worth a key: no comment
// and no ban (what an erasure leaves of an author never banned).
func (a AuthorEntry) Empty() bool {
	return a.Facts.Total == 0 && len(a.Comments.Recent) == 0 && len(a.Comments.Waiting) == 0 && !a.Facts.Ban.Banned
}

// AuthorChange is what FoldAuthor changed: which of the entry's two
// values, and whether the author was erased.
type AuthorChange struct {
	Facts, Comments bool
	Erased          bool
}

// FactsAuthor is the token (AuthorToken) of the author whose facts e
// changes, given ch, the one fold's change of e's comment (zero for an
// event of no comment): the banned or unbanned author, the erased author,
// or the author of the comment. "" when none: an erased comment has no
// author id any more, so its events count for nobody.
func FactsAuthor(e events.Envelope, ch CommentChange) string {
	switch {
	case e.Type == events.AuthorBanned || e.Type == events.AuthorUnbanned:
		var p events.AuthorAction
		if e.Payload(&p) != nil || p.AuthorID == "" {
			return ""
		}
		return AuthorToken(p.AuthorID)
	case e.Type == events.AuthorErased:
		var x events.Erasure
		if e.Payload(&x) != nil || x.AuthorKey == "" || !ValidCommentKey(x.AuthorKey) {
			return ""
		}
		return x.AuthorKey
	case e.Type == events.CommentSubmitted || e.Type == events.CommentEdited || e.Type.IsDecision():
		if !ch.Changed || ch.After.AuthorID == "" || ch.After.Erased {
			return ""
		}
		return AuthorToken(ch.After.AuthorID)
	}
	return ""
}

// FoldAuthor is the one fold of an author's facts: given the entry of the
// author FactsAuthor names before e (the zero entry for one never seen)
// and ch, the one fold's change of e's comment, it returns the entry
// after and what changed. The facts view (FactsWriter) and the backtest
// (which replays what the worker knew at each submission) both fold with
// it. It is pure. Each of the two values carries the sequence of the last
// event applied to it, and an event at or below it changes nothing, so a
// value written before a crash is not counted twice when the events after
// the checkpoint come again.
//
// An erasure (AuthorErased, once or once per comment it names) forgets
// what the author wrote: the name, the counts, the first comment, the
// comments; it keeps a ban in force, a moderator's decision about the
// author and no text of theirs. Every comment of the author up to the
// erasure was sealed with the key it destroys, so this is also what a
// rebuild from sequence 1 arrives at, where those comments fold with no
// author.
//
// Like append, FoldAuthor may reuse the slices of a: the caller keeps
// the result, not a.
func FoldAuthor(a AuthorEntry, e events.Envelope, ch CommentChange) (AuthorEntry, AuthorChange) {
	var did AuthorChange
	switch {
	case e.Type == events.AuthorErased:
		if a.Facts.Seq >= e.Seq && a.Comments.Seq >= e.Seq {
			return a, did
		}
		ban := a.Facts.Ban
		if !ban.Banned {
			ban = AuthorBan{}
		}
		a = AuthorEntry{Facts: AuthorFacts{ID: a.Facts.ID, Ban: ban, Seq: e.Seq}, Comments: AuthorComments{Seq: e.Seq}}
		did = AuthorChange{Facts: true, Comments: true, Erased: true}
	case e.Type == events.AuthorBanned || e.Type == events.AuthorUnbanned:
		var p events.AuthorAction
		if a.Facts.Seq >= e.Seq || e.Payload(&p) != nil {
			return a, did
		}
		a.Facts.Ban = AuthorBan{Banned: e.Type == events.AuthorBanned, Reason: p.Reason, By: e.Actor, At: e.OccurredAt}
		if a.Facts.Ban.Banned {
			a.Facts.Ban.Until = p.Until
		}
		a.Facts.Seq = e.Seq
		did.Facts = true
	case e.Type == events.CommentSubmitted && ch.Changed && ch.Before.ID == "":
		c := ch.After
		if a.Comments.Seq < e.Seq {
			recent := append(a.Comments.Recent, AuthoredComment{ID: c.ID, SubmittedSeq: c.SubmittedSeq, Status: c.Status})
			if n := len(recent); n > AuthorCommentsKept {
				recent = append(recent[:0], recent[n-AuthorCommentsKept:]...)
			}
			a.Comments.Recent = recent
			a.Comments.Waiting = append(a.Comments.Waiting, c.ID)
			a.Comments.Seq = e.Seq
			did.Comments = true
		}
		if a.Facts.Seq < e.Seq {
			a.Facts.Name = c.Author
			if a.Facts.FirstSeen.IsZero() {
				a.Facts.FirstSeen = c.CreatedAt
			}
			a.Facts.Total++
			a.Facts.Seq = e.Seq
			did.Facts = true
		}
	case (e.Type.IsDecision() || e.Type == events.CommentEdited) && ch.Changed:
		before, c := ch.Before, ch.After
		if a.Comments.Seq < e.Seq {
			for i := len(a.Comments.Recent) - 1; i >= 0; i-- {
				if a.Comments.Recent[i].ID == c.ID {
					a.Comments.Recent[i].Status = c.Status
					break
				}
			}
			waiting := c.Status == Pending || c.Status == Held
			switch i := slices.Index(a.Comments.Waiting, c.ID); {
			case waiting && i < 0:
				// Held again (by reports, or by a person): submission
				// order is lost for it, which a ban does not need.
				a.Comments.Waiting = append(a.Comments.Waiting, c.ID)
			case !waiting && i >= 0:
				a.Comments.Waiting = slices.Delete(a.Comments.Waiting, i, i+1)
			}
			a.Comments.Seq = e.Seq
			did.Comments = true
		}
		if a.Facts.Seq < e.Seq {
			a.Facts.count(before.Status, -1)
			a.Facts.count(c.Status, +1)
			a.Facts.RecentRejectionRate = recentRejectionRate(a.Comments.Recent)
			a.Facts.Seq = e.Seq
			did.Facts = true
		}
	}
	return a, did
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
		// An erased author's keys are removed (Batch.Remove): their
		// markers expire.
		LimitMarkerTTL: markerTTL,
	}, replicas)
}

// FactsWriter writes VIEW_FACTS for the projector.
type FactsWriter struct {
	kv      jetstream.KeyValue
	authors *lru[string, *AuthorEntry] // by token
}

var _ ViewWriter = (*FactsWriter)(nil)

// NewFactsWriter writes the view in kv (attached by the projector role).
func NewFactsWriter(kv jetstream.KeyValue) *FactsWriter {
	return newFactsWriter(kv, viewCacheSize)
}

func newFactsWriter(kv jetstream.KeyValue, cache int) *FactsWriter {
	return &FactsWriter{kv: kv, authors: newLRU[string, *AuthorEntry](max(cache, viewCacheSize), nil)}
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
func (w *FactsWriter) Into(kv jetstream.KeyValue, keys int) ViewWriter {
	return newFactsWriter(kv, keys)
}
func (w *FactsWriter) Reset() { w.authors.clear() }

func (w *FactsWriter) load(ctx context.Context, tok string) (*AuthorEntry, error) {
	if a, ok := w.authors.get(tok); ok {
		return a, nil
	}
	a := &AuthorEntry{}
	if _, err := getJSON(ctx, w.kv, authorPrefix+tok, &a.Facts); err != nil {
		return nil, err
	}
	if _, err := getJSON(ctx, w.kv, authoredPrefix+tok, &a.Comments); err != nil {
		return nil, err
	}
	w.authors.put(tok, a)
	return a, nil
}

// Apply writes what one event changed in the facts: FoldAuthor of the
// author the event concerns, and an article's settings.
func (w *FactsWriter) Apply(ctx context.Context, u *Update, b *Batch) error {
	e := u.Event
	if e.Type == events.ArticleSettingsChanged {
		var set events.ArticleSettings
		if e.Payload(&set) != nil || !events.ValidArticleID(e.Article) {
			return nil
		}
		return b.PutJSON(factsArticlePrefix+e.Article, ArticleFacts{ArticleSettings: set, Seq: e.Seq})
	}
	ch := CommentChange{Before: u.Change.Before.Comment, After: u.Change.After.Comment, Changed: u.Change.Changed}
	tok := FactsAuthor(e, ch)
	if tok == "" {
		return nil
	}
	a, err := w.load(ctx, tok)
	if err != nil {
		return err
	}
	after, did := FoldAuthor(*a, e, ch)
	if !did.Facts && !did.Comments {
		return nil
	}
	// a is the cached entry: its two values are written from it (PutJSON
	// may marshal them when the step ends), and every later change of
	// either comes with a write of it.
	*a = after
	if did.Erased {
		// Nothing of the author stays behind, not even in the bucket's
		// history: a removal purges the key (its marker expires), and a
		// ban in force is written again without name or comments.
		b.Remove(authoredPrefix+tok, markerTTL)
		if a.Empty() {
			b.Remove(authorPrefix+tok, markerTTL)
			return nil
		}
		return b.PutJSON(authorPrefix+tok, &a.Facts)
	}
	if did.Comments {
		if err := b.PutJSON(authoredPrefix+tok, &a.Comments); err != nil {
			return err
		}
	}
	if did.Facts {
		return b.PutJSON(authorPrefix+tok, &a.Facts)
	}
	return nil
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
	authors  map[string]AuthorFacts // by token (AuthorToken); with withAuthors
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

	onSettings func(article string, set events.ArticleSettings)
}

// OnSettings sets f, told of each article's settings the watcher applies
// once the view is loaded, on the watcher's goroutine, outside the view's
// lock. Set it before Run.
func (v *FactsView) OnSettings(f func(article string, set events.ArticleSettings)) {
	v.onSettings = f
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
	if settled := v.applyEntry(e); settled != nil {
		settled()
	}
}

// applyEntry applies one key; settled, when not nil, tells OnSettings of
// it once the lock is released.
func (v *FactsView) applyEntry(e jetstream.KeyValueEntry) (settled func()) {
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
			return nil
		}
		st.articles[id] = a.ArticleSettings
		if st == v.cur {
			settled = func() {
				if v.onSettings != nil {
					v.onSettings(id, a.ArticleSettings)
				}
			}
		}
	case strings.HasPrefix(key, authorPrefix):
		tok := key[len(authorPrefix):]
		var a AuthorFacts
		if del || json.Unmarshal(e.Value(), &a) != nil {
			delete(st.authors, tok)
			return nil
		}
		a.Name = "" // the rules never need it; kept small in memory
		st.authors[tok] = a
	}
	return settled
}

// Applied is the facts view's checkpoint as last seen by the watcher: the
// copy reflects the stream at least up to there, but for writes still in
// flight (each prefix is watched apart, the checkpoint too: watchEach).
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
	return v.cur.authors[AuthorToken(authorID)].Stats()
}

// AuthorFacts reads one author's facts from the bucket; found is false
// for an author never seen, and for no author (an erased comment's).
func (v *FactsView) AuthorFacts(ctx context.Context, authorID string) (a AuthorFacts, found bool, err error) {
	if authorID == "" {
		return a, false, nil
	}
	found, err = getJSON(ctx, v.bucket(), authorPrefix+AuthorToken(authorID), &a)
	a.ID = authorID
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
