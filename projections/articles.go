package projections

import (
	"github.com/newsroom/commentd/events"
)

// maxAncestors bounds a walk up a reply chain. Parents always exist before
// their replies, so chains cannot loop; the bound only protects the read
// path from a corrupt log.
const maxAncestors = 1000

// applySettings folds ArticleSettingsChanged: its payload is the whole
// settings of the article after the change, so the last one wins.
func (s *Store) applySettings(e events.Envelope, ch *Change) {
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
func (s *Store) ArticleSettings(article string) events.ArticleSettings {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.settings[article]
}

// ApprovedCounts returns the number of approved comments of each article,
// in the order asked, under one lock.
func (s *Store) ApprovedCounts(articles []string) []int {
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
func (s *Store) Depth(id string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.depth(id)
}

func (s *Store) depth(id string) int {
	depth := 0
	for c := s.comments[id]; c != nil && c.ParentID != "" && depth < maxAncestors; c = s.comments[c.ParentID] {
		depth++
	}
	return depth
}

// ThreadComment is an approved comment placed in its thread. Depth is its
// place in the shown tree, which may be shallower than Store.Depth when an
// ancestor is not visible.
type ThreadComment struct {
	Comment
	Depth int
	// ReplyDepth is the comment's own depth (Store.Depth), which the
	// reply depth limit counts.
	ReplyDepth int
}

// ThreadPage is a page of an article's approved comments grouped in
// threads: pages count threads, and a thread is never split.
type ThreadPage struct {
	Total    int // approved comments of the article
	Threads  int // threads of the article
	Comments []ThreadComment
	// Next is the cursor of the following page; 0 when this is the last.
	Next uint64
}

// Threads returns up to limit threads of an article after the cursor (the
// SubmittedSeq of a thread's first comment, from ThreadPage.Next), oldest
// or newest thread first. Within a thread, replies follow their parent,
// oldest first. A reply whose parent is not visible (held, rejected)
// hangs under its nearest visible ancestor, or starts a thread of its own.
func (s *Store) Threads(articleID string, after uint64, limit int, newest bool) ThreadPage {
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
func (s *Store) visibleAncestor(c *Comment) *Comment {
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
