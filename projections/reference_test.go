package projections

// Reference is the read models as one in-memory fold of the whole log, the
// way the product kept them before the views: the tests' oracle that the
// views answer what it answers.

import (
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/newsroom/commentd/events"
)

// Change says what one applied event did, for metrics and live updates.
type Change struct {
	Event   events.Envelope
	Comment Comment // after the event; zero when the event changed nothing
	Before  Status  // "" for a new comment
	Changed bool
}

// article is the approved view of one article: its approved comments in
// submission order, and a version that moves on every change so encoded
// pages can be cached.
type article struct {
	approved []*Comment
	version  uint64
}

// Reference holds every read model. Apply is idempotent by stream sequence:
// an event at or below the applied sequence changes nothing, so redelivery
// and replays are harmless. Safe for concurrent use.
type Reference struct {
	mu       sync.RWMutex
	applied  uint64
	comments map[string]*Comment
	articles map[string]*article
	mod      modState                          // the moderators' views (moderation.go)
	settings map[string]events.ArticleSettings // see articles.go
	// undecided are the comments still Pending: the rules have not
	// decided them. Small unless the workers stop (OldestUndecided).
	undecided map[string]*Comment
}

// NewReference returns empty read models.
func NewReference() *Reference {
	return &Reference{comments: make(map[string]*Comment), articles: make(map[string]*article), mod: newModState(), undecided: make(map[string]*Comment)}
}

// Applied is the stream sequence of the last event applied.
func (s *Reference) Applied() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.applied
}

// Apply folds one event into the read models.
func (s *Reference) Apply(e events.Envelope) Change {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := Change{Event: e}
	if e.Seq != 0 && e.Seq <= s.applied {
		return ch
	}
	if e.Seq > s.applied {
		s.applied = e.Seq
	}
	switch {
	case e.Type == events.CommentSubmitted:
		s.submit(e, &ch)
	case e.Type.IsDecision() || e.Type == events.CommentEdited:
		s.decide(e, &ch)
	case e.Type == events.ArticleSettingsChanged:
		s.applySettings(e, &ch)
	case e.Type == events.AuthorErased:
		s.erase(e)
	}
	s.moderate(e, &ch)
	return ch
}

// erase rewrites an erased author's comments in place, so the article
// lists and queues that hold them show events.Removed.
func (s *Reference) erase(e events.Envelope) {
	for _, one := range ErasedComments(e) {
		c, ok := s.comments[one.Comment]
		if !ok {
			continue
		}
		f := Fold(*c, one)
		if !f.Changed {
			continue
		}
		if a, ok := s.mod.authors[c.AuthorID]; ok {
			// The author's record forgets what they wrote and keeps a
			// ban in force, as FoldAuthor has it (and a rebuild, where
			// the erased comments have no author).
			if a.ban.Banned {
				*a = author{ID: a.ID, ban: a.ban}
			} else {
				delete(s.mod.authors, c.AuthorID)
			}
		}
		*c = f.After
		if a, ok := s.articles[c.Article]; ok {
			a.version++ // cached pages hold the old text
		}
	}
}

func (s *Reference) submit(e events.Envelope, ch *Change) {
	if c, dup := s.comments[e.Comment]; dup {
		*c = Fold(*c, e).After // a duplicate: only the sequence moves on
		return
	}
	f := Fold(Comment{}, e)
	if !f.Changed {
		return
	}
	c := &f.After
	s.comments[c.ID] = c
	s.undecided[c.ID] = c
	ch.Comment, ch.Changed = *c, true
}

func (s *Reference) decide(e events.Envelope, ch *Change) {
	c, ok := s.comments[e.Comment]
	if !ok {
		return
	}
	f := Fold(*c, e)
	*c = f.After // in place: the article and queue lists hold c
	if !f.Changed {
		return
	}
	ch.Before = f.Before.Status
	if c.Status != Pending {
		delete(s.undecided, c.ID)
	} else {
		s.undecided[c.ID] = c // edited before it was decided: the rules decide again
	}
	switch {
	case ch.Before != c.Status && c.Status == Approved:
		s.article(c.Article).insert(c)
	case ch.Before != c.Status && ch.Before == Approved:
		s.article(c.Article).remove(c)
	case c.Status == Approved && c.Text != f.Before.Text:
		if a, ok := s.articles[c.Article]; ok {
			a.version++ // an edit approved: cached pages hold the old text
		}
	}
	ch.Comment, ch.Changed = *c, true
}

func (s *Reference) article(id string) *article {
	a, ok := s.articles[id]
	if !ok {
		a = &article{}
		s.articles[id] = a
	}
	return a
}

func (a *article) insert(c *Comment) {
	if n := len(a.approved); n == 0 || a.approved[n-1].SubmittedSeq < c.SubmittedSeq {
		a.approved = append(a.approved, c) // the usual case: the newest comment
		a.version++
		return
	}
	i := sort.Search(len(a.approved), func(i int) bool { return a.approved[i].SubmittedSeq >= c.SubmittedSeq })
	a.approved = append(a.approved, nil)
	copy(a.approved[i+1:], a.approved[i:])
	a.approved[i] = c
	a.version++
}

func (a *article) remove(c *Comment) {
	i := sort.Search(len(a.approved), func(i int) bool { return a.approved[i].SubmittedSeq >= c.SubmittedSeq })
	if i < len(a.approved) && a.approved[i] == c {
		a.approved = append(a.approved[:i], a.approved[i+1:]...)
		a.version++
	}
}

// Comment returns a copy of one comment, if known.
func (s *Reference) Comment(id string) (Comment, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.comments[id]
	if !ok {
		return Comment{}, false
	}
	return *c, true
}

// Approved returns up to limit approved comments of an article after the
// cursor (a SubmittedSeq from Page.Next; 0 for the first page), oldest
// first, or newest first when newest is set.
func (s *Reference) Approved(articleID string, after uint64, limit int, newest bool) Page {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.articles[articleID]
	if !ok {
		return Page{}
	}
	list := a.approved
	p := Page{Total: len(list), Version: a.version}
	if newest {
		end := len(list)
		if after != 0 {
			end = sort.Search(len(list), func(i int) bool { return list[i].SubmittedSeq >= after })
		}
		for i := end - 1; i >= 0 && len(p.Comments) < limit; i-- {
			p.Comments = append(p.Comments, *list[i])
		}
		if n := len(p.Comments); n == limit && end-n > 0 {
			p.Next = p.Comments[n-1].SubmittedSeq
		}
		return p
	}
	start := sort.Search(len(list), func(i int) bool { return list[i].SubmittedSeq > after })
	end := min(start+limit, len(list))
	p.Comments = make([]Comment, 0, end-start)
	for _, c := range list[start:end] {
		p.Comments = append(p.Comments, *c)
	}
	if end < len(list) && end > start {
		p.Next = list[end-1].SubmittedSeq
	}
	return p
}

// ArticleVersion is the version of an article's approved view, to check a
// cached page without building it.
func (s *Reference) ArticleVersion(articleID string) uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if a, ok := s.articles[articleID]; ok {
		return a.version
	}
	return 0
}

// OldestUndecided is when the oldest comment the rules have not decided
// was submitted; ok is false when every comment is decided. It answers
// whether the workers run whatever the traffic: one comment left waiting at
// night ages as surely as a thousand in a burst.
func (s *Reference) OldestUndecided() (at time.Time, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, c := range s.undecided {
		if !ok || c.CreatedAt.Before(at) {
			at, ok = c.CreatedAt, true
		}
	}
	return at, ok
}

// applySettings folds ArticleSettingsChanged: its payload is the whole
// settings of the article after the change, so the last one wins.
func (s *Reference) applySettings(e events.Envelope, ch *Change) {
	var set events.ArticleSettings
	if e.Payload(&set) != nil {
		return
	}
	if s.settings == nil {
		s.settings = make(map[string]events.ArticleSettings)
	}
	s.settings[e.Article] = set
	ch.Changed = true
}

// ArticleSettings are the current settings of an article; the zero value
// (open, not pre-moderated) for an article never configured.
func (s *Reference) ArticleSettings(article string) events.ArticleSettings {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.settings[article]
}

// ApprovedCounts returns the number of approved comments of each article,
// in the order asked, under one lock.
func (s *Reference) ApprovedCounts(articles []string) []int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]int, len(articles))
	for i, id := range articles {
		if a, ok := s.articles[id]; ok {
			out[i] = len(a.approved)
		}
	}
	return out
}

// Depth is how many replies deep a comment is: 0 for a top-level comment,
// 1 for a reply to it, and so on. Ancestors count whatever their status, so
// a reply's depth never changes after it was accepted.
func (s *Reference) Depth(id string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.depth(id)
}

func (s *Reference) depth(id string) int {
	depth := 0
	for c := s.comments[id]; c != nil && c.ParentID != "" && depth < maxAncestors; c = s.comments[c.ParentID] {
		depth++
	}
	return depth
}

// Threads returns up to limit threads of an article after the cursor (the
// SubmittedSeq of a thread's first comment, from ThreadPage.Next), oldest
// or newest thread first. Within a thread, replies follow their parent,
// oldest first. A reply whose parent is not visible (held, rejected)
// hangs under its nearest visible ancestor, or starts a thread of its own.
func (s *Reference) Threads(articleID string, after uint64, limit int, newest bool) ThreadPage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.articles[articleID]
	if !ok {
		return ThreadPage{}
	}
	var roots []*Comment
	children := make(map[string][]*Comment)
	for _, c := range a.approved { // submission order, so children end up oldest first
		if p := s.visibleAncestor(c); p != nil {
			children[p.ID] = append(children[p.ID], c)
		} else {
			roots = append(roots, c)
		}
	}
	p := ThreadPage{Total: len(a.approved), Threads: len(roots)}
	var page []*Comment
	if newest {
		for i := len(roots) - 1; i >= 0 && len(page) < limit; i-- {
			if after == 0 || roots[i].SubmittedSeq < after {
				page = append(page, roots[i])
			}
		}
		if n := len(page); n == limit && page[n-1] != roots[0] {
			p.Next = page[n-1].SubmittedSeq
		}
	} else {
		for i := 0; i < len(roots) && len(page) < limit; i++ {
			if roots[i].SubmittedSeq > after {
				page = append(page, roots[i])
			}
		}
		if n := len(page); n == limit && page[n-1] != roots[len(roots)-1] {
			p.Next = page[n-1].SubmittedSeq
		}
	}
	var walk func(c *Comment, depth int)
	walk = func(c *Comment, depth int) {
		p.Comments = append(p.Comments, ThreadComment{Comment: *c, Depth: depth, ReplyDepth: s.depth(c.ID)})
		for _, r := range children[c.ID] {
			walk(r, depth+1)
		}
	}
	for _, root := range page {
		walk(root, 0)
	}
	return p
}

// visibleAncestor is the nearest approved ancestor of c on its article, or
// nil.
func (s *Reference) visibleAncestor(c *Comment) *Comment {
	id := c.ParentID
	for range maxAncestors {
		if id == "" {
			return nil
		}
		p, ok := s.comments[id]
		if !ok || p.Article != c.Article {
			return nil
		}
		if p.Status == Approved {
			return p
		}
		id = p.ParentID
	}
	return nil
}

// This file holds the moderators' read models: the review queues, readers'
// reports, and what is known of each author. They are folded by the same
// Apply as the readers' views (see Reference.moderate), under the same lock
// and the same idempotence by stream sequence.

// reportState is what the log says of one comment's reports.
type reportState struct {
	Reporters map[string]bool `json:"reporters"`
	Open      []Report        `json:"open,omitempty"`
}

// author is one author's record. Comments are in submission order.
type author struct {
	ID        string
	Name      string
	Approved  int
	Rejected  int
	FirstSeen time.Time
	ban       banState
	comments  []*Comment
}

// banState is an author's ban, as the last AuthorBanned/Unbanned left it.
type banState struct {
	AuthorID string    `json:"author_id"`
	Banned   bool      `json:"banned"`
	Reason   string    `json:"reason,omitempty"`
	By       string    `json:"by,omitempty"`
	At       time.Time `json:"at,omitzero"`
	Until    time.Time `json:"until,omitzero"`
}

// queueList is a queue's comments in submission order.
type queueList []*Comment

type modState struct {
	queues  map[Queue]*queueList
	reports map[string]*reportState
	authors map[string]*author
}

func newModState() modState {
	return modState{
		queues:  map[Queue]*queueList{QueueHeld: {}, QueueReported: {}},
		reports: make(map[string]*reportState),
		authors: make(map[string]*author),
	}
}

// moderate folds e into the moderators' views, after Apply updated the
// comment itself. ch says what Apply did; moderate may add to it.
func (s *Reference) moderate(e events.Envelope, ch *Change) {
	m := &s.mod
	switch {
	case e.Type == events.CommentSubmitted && ch.Changed:
		c := s.comments[e.Comment]
		if c.Erased {
			return // nobody's: no author record
		}
		a := m.author(c.AuthorID)
		a.Name = c.Author
		if a.FirstSeen.IsZero() {
			a.FirstSeen = c.CreatedAt
		}
		a.comments = append(a.comments, c)
	case (e.Type.IsDecision() || e.Type == events.CommentEdited) && ch.Changed:
		c := s.comments[e.Comment]
		if !c.Erased {
			a := m.author(c.AuthorID)
			a.count(ch.Before, -1)
			a.count(c.Status, +1)
		}
		if e.Type.IsDecision() && events.IsHuman(e.Actor) {
			// A person looked at it: the reports so far are answered.
			if r := m.reports[c.ID]; r != nil {
				r.Open = nil
			}
		}
		m.requeue(c)
	case e.Type == events.CommentReported:
		c, ok := s.comments[e.Comment]
		var p events.Reported
		if !ok || e.Payload(&p) != nil || p.ReporterID == "" {
			return
		}
		r := m.reports[c.ID]
		if r == nil {
			r = &reportState{Reporters: make(map[string]bool)}
			m.reports[c.ID] = r
		}
		if r.Reporters[p.ReporterID] {
			return // one report per reader per comment counts
		}
		r.Reporters[p.ReporterID] = true
		r.Open = append(r.Open, Report{Reason: p.Reason, ReporterID: p.ReporterID, At: e.OccurredAt})
		m.requeue(c)
		ch.Comment, ch.Before, ch.Changed = *c, c.Status, true
	case e.Type == events.AuthorBanned || e.Type == events.AuthorUnbanned:
		var p events.AuthorAction
		if e.Payload(&p) != nil || p.AuthorID == "" {
			return
		}
		a := m.author(p.AuthorID)
		a.ban = banState{AuthorID: p.AuthorID, Banned: e.Type == events.AuthorBanned, Reason: p.Reason, By: e.Actor, At: e.OccurredAt}
		if a.ban.Banned {
			a.ban.Until = p.Until
		}
		ch.Changed = true
	}
}

func (m *modState) author(id string) *author {
	a, ok := m.authors[id]
	if !ok {
		a = &author{ID: id}
		m.authors[id] = a
	}
	return a
}

func (a *author) count(st Status, by int) {
	switch st {
	case Approved:
		a.Approved += by
	case Rejected:
		a.Rejected += by
	}
}

func (a *author) stats() AuthorStats {
	st := AuthorStats{ApprovedCount: a.Approved, RejectedCount: a.Rejected, FirstSeen: a.FirstSeen, Banned: a.ban.Banned, BannedUntil: a.ban.Until}
	decided, rejected := 0, 0
	for i := len(a.comments) - 1; i >= 0 && decided < RecentDecisions; i-- {
		switch a.comments[i].Status {
		case Approved:
			decided++
		case Rejected:
			decided++
			rejected++
		}
	}
	if decided > 0 {
		st.RecentRejectionRate = float64(rejected) / float64(decided)
	}
	return st
}

// inQueue says which queue a comment belongs in now.
func (m *modState) inQueue(c *Comment, q Queue) bool {
	switch q {
	case QueueHeld:
		return c.AwaitsModerator()
	case QueueReported:
		r := m.reports[c.ID]
		return c.Status == Approved && r != nil && len(r.Open) > 0
	}
	return false
}

func (m *modState) requeue(c *Comment) {
	for q, l := range m.queues {
		if m.inQueue(c, q) {
			l.insert(c)
		} else {
			l.remove(c)
		}
	}
}

func (l *queueList) find(c *Comment) int {
	return sort.Search(len(*l), func(i int) bool { return (*l)[i].SubmittedSeq >= c.SubmittedSeq })
}

func (l *queueList) insert(c *Comment) {
	i := l.find(c)
	if i < len(*l) && (*l)[i] == c {
		return
	}
	*l = slices.Insert(*l, i, c)
}

func (l *queueList) remove(c *Comment) {
	if i := l.find(c); i < len(*l) && (*l)[i] == c {
		*l = slices.Delete(*l, i, i+1)
	}
}

func (m *modState) summary(id string) Reports {
	r := m.reports[id]
	if r == nil {
		return Reports{}
	}
	out := Reports{Open: len(r.Open), Total: len(r.Reporters)}
	if len(r.Open) > 0 {
		out.Reasons = make(map[string]int)
		for _, o := range r.Open {
			out.Reasons[o.Reason]++
		}
	}
	return out
}

func (m *modState) item(c *Comment) QueueItem {
	it := QueueItem{Comment: *c, Reports: m.summary(c.ID)}
	if a, ok := m.authors[c.AuthorID]; ok {
		it.Stats = a.stats()
	}
	return it
}

// Queue returns up to limit items of queue q after the cursor (a
// SubmittedSeq from QueuePage.Next; 0 for the first page), oldest first,
// only of article when it is not empty.
func (s *Reference) Queue(q Queue, article string, after uint64, limit int) QueuePage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l := s.mod.queues[q]
	if l == nil {
		return QueuePage{}
	}
	var p QueuePage
	if article == "" {
		p.Total = len(*l)
	}
	start := sort.Search(len(*l), func(i int) bool { return (*l)[i].SubmittedSeq > after })
	for i, c := range *l {
		if article != "" && c.Article != article {
			continue
		}
		if article != "" {
			p.Total++
		}
		if i < start {
			continue
		}
		if len(p.Items) == limit {
			// One more exists: this page is full.
			p.Next = p.Items[limit-1].SubmittedSeq
			if article == "" {
				break
			}
			continue
		}
		p.Items = append(p.Items, s.mod.item(c))
	}
	return p
}

// QueueCounts is the number of items in each queue, of one article when
// article is not empty.
func (s *Reference) QueueCounts(article string) map[Queue]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[Queue]int, len(s.mod.queues))
	for q, l := range s.mod.queues {
		if article == "" {
			out[q] = len(*l)
			continue
		}
		for _, c := range *l {
			if c.Article == article {
				out[q]++
			}
		}
	}
	return out
}

// Item returns a comment with its reports and its author's stats.
func (s *Reference) Item(id string) (QueueItem, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.comments[id]
	if !ok {
		return QueueItem{}, false
	}
	return s.mod.item(c), true
}

// Reports summarizes the reports of one comment.
func (s *Reference) Reports(commentID string) Reports {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mod.summary(commentID)
}

// Author returns what is known of an author; the zero value for one never
// seen. The rules read it for every submission.
func (s *Reference) Author(authorID string) AuthorStats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if a, ok := s.mod.authors[authorID]; ok {
		return a.stats()
	}
	return AuthorStats{}
}

// AuthorRecord returns an author's record with up to limit of their
// comments, newest first.
func (s *Reference) AuthorRecord(authorID string, limit int) (AuthorRecord, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.mod.authors[authorID]
	if !ok {
		return AuthorRecord{}, false
	}
	rec := AuthorRecord{ID: a.ID, Name: a.Name, Stats: a.stats(), Total: len(a.comments)}
	if a.ban.Banned {
		rec.BanReason, rec.BannedBy, rec.BannedAt, rec.BannedUntil = a.ban.Reason, a.ban.By, a.ban.At, a.ban.Until
	}
	for i := len(a.comments) - 1; i >= 0 && len(rec.Comments) < limit; i-- {
		rec.Comments = append(rec.Comments, *a.comments[i])
	}
	return rec, true
}

// Undecided returns the author's comments that wait for a decision
// (pending or held), oldest first: those a ban may reject.
func (s *Reference) Undecided(authorID string) []Comment {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.mod.authors[authorID]
	if !ok {
		return nil
	}
	var out []Comment
	for _, c := range a.comments {
		if c.Status == Pending || c.Status == Held {
			out = append(out, *c)
		}
	}
	return out
}
