package backtest

import (
	"time"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/moderation"
	"github.com/newsroom/commentd/projections"
)

// facts is what the worker knew of authors and articles, folded from the
// log in order while the backtest replays it: at each submission it holds
// the author's stats and the article's settings as they were just before.
// Comment states come from the one fold, projections.Fold; each is kept
// without its text, which the facts never need.
type facts struct {
	comments map[string]*known
	authors  map[string]*author
	articles map[string]moderation.ArticleSettings
}

type known struct {
	c      projections.Comment
	author *author
}

// author is one author's record: counts, first comment, ban and their
// comments in submission order (for the recent-rejections window).
type author struct {
	approved  int
	firstSeen time.Time
	banned    bool
	comments  []*known
}

func newFacts() *facts {
	return &facts{comments: make(map[string]*known), authors: make(map[string]*author), articles: make(map[string]moderation.ArticleSettings)}
}

// fold is what the one fold makes of a comment's event, without
// changing the facts yet: commit does.
func (f *facts) fold(e events.Envelope) (k *known, ch projections.CommentChange) {
	k = f.comments[e.Comment]
	var before projections.Comment
	if k != nil {
		before = k.c
	}
	return k, projections.Fold(before, e)
}

// commit records a comment's change from fold.
func (f *facts) commit(id string, k *known, ch projections.CommentChange) {
	if !ch.Known() {
		return
	}
	after := ch.After
	after.Text, after.Evidence, after.Message = "", nil, "" // never needed here
	if k == nil {
		a := f.author(after.AuthorID)
		if a.firstSeen.IsZero() {
			a.firstSeen = after.CreatedAt
		}
		k = &known{author: a}
		a.comments = append(a.comments, k)
		f.comments[id] = k
	}
	if ch.Before.Status == projections.Approved {
		k.author.approved--
	}
	if after.Status == projections.Approved {
		k.author.approved++
	}
	k.c = after
}

// apply folds one event into the facts.
func (f *facts) apply(e events.Envelope) {
	switch {
	case e.Type == events.CommentSubmitted, e.Type.IsDecision():
		k, ch := f.fold(e)
		f.commit(e.Comment, k, ch)
	case e.Type == events.AuthorBanned || e.Type == events.AuthorUnbanned:
		var p events.AuthorAction
		if e.Payload(&p) == nil && p.AuthorID != "" {
			f.author(p.AuthorID).banned = e.Type == events.AuthorBanned
		}
	case e.Type == events.ArticleSettingsChanged:
		var s events.ArticleSettings
		if e.Payload(&s) == nil {
			f.articles[e.Article] = moderation.ArticleSettings{Closed: s.Closed, Premoderated: s.Premoderated}
		}
	}
}

func (f *facts) author(id string) *author {
	a, ok := f.authors[id]
	if !ok {
		a = &author{}
		f.authors[id] = a
	}
	return a
}

// stats are an author's stats as the rules see them (what
// projections.AuthorStats holds): the zero value for an author never seen.
func (f *facts) stats(authorID string) moderation.AuthorStats {
	a, ok := f.authors[authorID]
	if !ok {
		return moderation.AuthorStats{}
	}
	st := moderation.AuthorStats{ApprovedCount: a.approved, FirstSeen: a.firstSeen, Banned: a.banned}
	decided, rejected := 0, 0
	for i := len(a.comments) - 1; i >= 0 && decided < projections.RecentDecisions; i-- {
		switch a.comments[i].c.Status {
		case projections.Approved:
			decided++
		case projections.Rejected:
			decided++
			rejected++
		}
	}
	if decided > 0 {
		st.RecentRejectionRate = float64(rejected) / float64(decided)
	}
	return st
}
