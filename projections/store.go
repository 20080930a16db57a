// Package projections holds the read models — what readers, moderators and
// operators see — as pure state machines built from the event log, and the
// projector that feeds them from the log and snapshots them.
package projections

import (
	"sort"
	"sync"
	"time"

	"github.com/newsroom/commentd/events"
)

// Status is where a comment stands.
type Status string

const (
	Pending  Status = "pending"
	Approved Status = "approved"
	Rejected Status = "rejected"
	Held     Status = "held"
)

var statusOf = map[events.Type]Status{
	events.CommentApproved: Approved,
	events.CommentRejected: Rejected,
	events.CommentHeld:     Held,
}

// Comment is what the read models know of one comment.
type Comment struct {
	ID        string    `json:"id"`
	Article   string    `json:"article"`
	ParentID  string    `json:"parent_id,omitempty"`
	Author    string    `json:"author"`
	AuthorID  string    `json:"author_id"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`

	Status    Status            `json:"status"`
	Reason    string            `json:"reason,omitempty"`
	Message   string            `json:"message,omitempty"`
	DecidedBy string            `json:"decided_by,omitempty"`
	DecidedAt time.Time         `json:"decided_at,omitzero"`
	Rules     []string          `json:"rules,omitempty"`
	Evidence  []events.Evidence `json:"evidence,omitempty"`

	// SubmittedSeq orders comments (oldest first); Seq is the comment's
	// last applied event, the expected sequence for its next decision.
	SubmittedSeq uint64 `json:"submitted_seq"`
	Seq          uint64 `json:"seq"`
	// Erased: the author was erased; Author and Text read events.Removed
	// and nothing identifies them (no author id, no evidence spans).
	Erased bool `json:"erased,omitempty"`

	// EditedAt is when the author last changed the text readers see (an
	// edit approved, or made before the comment was first decided); zero
	// for a comment never edited.
	EditedAt time.Time `json:"edited_at,omitzero"`
	// Edit is the author's newest edit of a published comment while it
	// waits for a decision, is held for a moderator, or was refused:
	// readers go on seeing Text, the approved one, until it is approved.
	Edit *Edit `json:"edit,omitempty"`
	// LastEdit is the id of the newest CommentEdited applied: a decision
	// on an older one decides nothing.
	LastEdit string `json:"last_edit,omitempty"`
}

// Edit is an edit of a published comment and what was decided of it.
type Edit struct {
	ID        string            `json:"id"` // the CommentEdited event's id
	Text      string            `json:"text"`
	At        time.Time         `json:"at"`
	Status    Status            `json:"status"` // pending, held or rejected
	Reason    string            `json:"reason,omitempty"`
	Message   string            `json:"message,omitempty"`
	DecidedBy string            `json:"decided_by,omitempty"`
	Rules     []string          `json:"rules,omitempty"`
	Evidence  []events.Evidence `json:"evidence,omitempty"`
}

// AwaitsModerator reports whether a person must look at the comment: it
// is held, or its edit is.
func (c Comment) AwaitsModerator() bool {
	return c.Status == Held || c.Status == Approved && c.Edit != nil && c.Edit.Status == Held
}

// HumanDecided reports whether a person made the comment's current
// decision; automatic decisions never override it.
func (c *Comment) HumanDecided() bool { return c.DecidedBy != "" && events.IsHuman(c.DecidedBy) }

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

// Store holds every read model. Apply is idempotent by stream sequence:
// an event at or below the applied sequence changes nothing, so redelivery
// and replays are harmless. Safe for concurrent use.
type Store struct {
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

// NewStore returns empty read models.
func NewStore() *Store {
	return &Store{comments: make(map[string]*Comment), articles: make(map[string]*article), mod: newModState(), undecided: make(map[string]*Comment)}
}

// Applied is the stream sequence of the last event applied.
func (s *Store) Applied() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.applied
}

// Apply folds one event into the read models.
func (s *Store) Apply(e events.Envelope) Change {
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
func (s *Store) erase(e events.Envelope) {
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

func (s *Store) submit(e events.Envelope, ch *Change) {
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

func (s *Store) decide(e events.Envelope, ch *Change) {
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

func (s *Store) article(id string) *article {
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
func (s *Store) Comment(id string) (Comment, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.comments[id]
	if !ok {
		return Comment{}, false
	}
	return *c, true
}

// Page is one page of an article's approved comments.
type Page struct {
	Total    int
	Comments []Comment
	// Next is the cursor of the following page; 0 when this is the last.
	Next uint64
	// Version changes whenever the article's approved view changes.
	Version uint64
}

// Approved returns up to limit approved comments of an article after the
// cursor (a SubmittedSeq from Page.Next; 0 for the first page), oldest
// first, or newest first when newest is set.
func (s *Store) Approved(articleID string, after uint64, limit int, newest bool) Page {
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
func (s *Store) ArticleVersion(articleID string) uint64 {
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
func (s *Store) OldestUndecided() (at time.Time, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, c := range s.undecided {
		if !ok || c.CreatedAt.Before(at) {
			at, ok = c.CreatedAt, true
		}
	}
	return at, ok
}
