package projections

import (
	"cmp"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/newsroom/commentd/events"
)

// This file holds the moderators' read models: the review queues, readers'
// reports, and what is known of each author. They are folded by the same
// Apply as the readers' views (see Store.moderate), under the same lock
// and the same idempotence by stream sequence.

// Queue names a moderation queue.
type Queue string

const (
	// QueueHeld: comments waiting for a person (held by the rules, by
	// reports, or by a moderator).
	QueueHeld Queue = "held"
	// QueueReported: visible comments readers reported since a moderator
	// last decided them.
	QueueReported Queue = "reported"
)

// Queues lists every queue, in display order.
var Queues = []Queue{QueueHeld, QueueReported}

// RecentDecisions is how many of an author's latest decided comments
// RecentRejectionRate looks at.
const RecentDecisions = 20

// AuthorStats is what the rules and the moderators know of an author. The
// zero value is an author never seen.
type AuthorStats struct {
	ApprovedCount int       `json:"approved_count"`
	RejectedCount int       `json:"rejected_count"`
	FirstSeen     time.Time `json:"first_seen,omitzero"`
	Banned        bool      `json:"banned"`
	// BannedUntil is when a timed ban ends (zero: it does not); whether
	// it holds is BannedAt.
	BannedUntil time.Time `json:"banned_until,omitzero"`
	// RecentRejectionRate is the share rejected among the author's last
	// RecentDecisions approved or rejected comments (0 with none).
	RecentRejectionRate float64 `json:"recent_rejection_rate"`
}

// Report is one reader's report of a comment.
type Report struct {
	Reason     string    `json:"reason"`
	ReporterID string    `json:"reporter_id"`
	At         time.Time `json:"at"`
}

// Reports summarizes the reports of one comment. Each reader counts once
// per comment, however often they report it.
type Reports struct {
	// Open is the number of readers who reported the comment since a
	// moderator last decided it; Reasons counts their reasons.
	Open    int            `json:"open"`
	Reasons map[string]int `json:"reasons,omitempty"`
	// Total is every reader who ever reported it.
	Total int `json:"total"`
}

// QueueItem is one comment in a queue, with what a moderator needs to
// decide it at a glance.
type QueueItem struct {
	Comment
	Reports Reports     `json:"reports"`
	Stats   AuthorStats `json:"author_stats"`
}

// QueuePage is one page of a queue.
type QueuePage struct {
	Items []QueueItem
	// Total is the number of items in the queue (for the article, when
	// filtered).
	Total int
	// Next is the cursor of the following page; 0 when this is the last.
	Next uint64
}

// AuthorRecord is an author's page: stats, ban and comments.
type AuthorRecord struct {
	ID        string      `json:"id"`
	Name      string      `json:"name"`
	Stats     AuthorStats `json:"stats"`
	BanReason string      `json:"ban_reason,omitempty"`
	BannedBy  string      `json:"banned_by,omitempty"`
	BannedAt  time.Time   `json:"banned_at,omitzero"`
	// BannedUntil is when the ban ends; zero for a ban with no end.
	BannedUntil time.Time `json:"banned_until,omitzero"`
	// Comments are the newest first, at most the limit asked for.
	Comments []Comment `json:"comments"`
	Total    int       `json:"total"`
}

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
func (s *Store) moderate(e events.Envelope, ch *Change) {
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
func (s *Store) Queue(q Queue, article string, after uint64, limit int) QueuePage {
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
func (s *Store) QueueCounts(article string) map[Queue]int {
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
func (s *Store) Item(id string) (QueueItem, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.comments[id]
	if !ok {
		return QueueItem{}, false
	}
	return s.mod.item(c), true
}

// Reports summarizes the reports of one comment.
func (s *Store) Reports(commentID string) Reports {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mod.summary(commentID)
}

// Author returns what is known of an author; the zero value for one never
// seen. The rules read it for every submission.
func (s *Store) Author(authorID string) AuthorStats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if a, ok := s.mod.authors[authorID]; ok {
		return a.stats()
	}
	return AuthorStats{}
}

// AuthorRecord returns an author's record with up to limit of their
// comments, newest first.
func (s *Store) AuthorRecord(authorID string, limit int) (AuthorRecord, bool) {
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
func (s *Store) Undecided(authorID string) []Comment {
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

// modSnapshot is the part of the moderators' views that cannot be derived
// from the comments: reports and bans.
type modSnapshot struct {
	Reports map[string]*reportState `json:"reports,omitempty"`
	Bans    []banState              `json:"bans,omitempty"`
}

func (m *modState) snapshot() modSnapshot {
	snap := modSnapshot{Reports: make(map[string]*reportState, len(m.reports))}
	for id, r := range m.reports {
		snap.Reports[id] = &reportState{Reporters: maps.Clone(r.Reporters), Open: slices.Clone(r.Open)}
	}
	for _, a := range m.authors {
		if a.ban.AuthorID != "" {
			snap.Bans = append(snap.Bans, a.ban)
		}
	}
	return snap
}

// restore rebuilds the moderators' views from restored comments and the
// snapshot's reports and bans.
func (m *modState) restore(comments map[string]*Comment, snap modSnapshot) {
	all := slices.SortedFunc(maps.Values(comments), func(a, b *Comment) int {
		return cmp.Compare(a.SubmittedSeq, b.SubmittedSeq)
	})
	for id, r := range snap.Reports {
		if r != nil && r.Reporters != nil {
			m.reports[id] = r
		}
	}
	for _, c := range all {
		a := m.author(c.AuthorID)
		a.Name = c.Author
		if a.FirstSeen.IsZero() {
			a.FirstSeen = c.CreatedAt
		}
		a.comments = append(a.comments, c)
		a.count(c.Status, +1)
		for q, l := range m.queues {
			if m.inQueue(c, q) {
				*l = append(*l, c) // already in submission order
			}
		}
	}
	for _, b := range snap.Bans {
		m.author(b.AuthorID).ban = b
	}
}
