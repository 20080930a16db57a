package backtest

import (
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/moderation"
	"github.com/newsroom/commentd/projections"
)

// facts is what the worker knew of authors and articles, folded from the
// log in order while the backtest replays it: at each submission it holds
// the author's stats and the article's settings as they were just before.
// Comment states come from the one comment fold, projections.Fold, and
// authors from the one facts fold, projections.FoldAuthor, which the
// worker's facts view (VIEW_FACTS) is written with: timed bans, erasures
// and the recent-rejections window are what the worker saw. Each comment
// is kept without its text, which the facts never need.
type facts struct {
	comments map[string]projections.Comment
	authors  map[string]*projections.AuthorEntry // by projections.AuthorToken
	articles map[string]moderation.ArticleSettings
}

func newFacts() *facts {
	return &facts{comments: make(map[string]projections.Comment), authors: make(map[string]*projections.AuthorEntry),
		articles: make(map[string]moderation.ArticleSettings)}
}

// fold is what the one fold makes of a comment's event, without
// changing the facts yet: commit does. known says whether the comment was
// known before.
func (f *facts) fold(e events.Envelope) (known bool, ch projections.CommentChange) {
	before, known := f.comments[e.Comment]
	return known, projections.Fold(before, e)
}

// commit records e's change from fold, in the comment and in its author's
// facts.
func (f *facts) commit(e events.Envelope, ch projections.CommentChange) {
	if !ch.Known() {
		return
	}
	after := ch.After
	after.Text, after.Evidence, after.Message, after.Rules = "", nil, "", nil // never needed here
	f.comments[ch.After.ID] = after
	f.foldAuthor(e, ch)
}

func (f *facts) foldAuthor(e events.Envelope, ch projections.CommentChange) {
	tok := projections.FactsAuthor(e, ch)
	if tok == "" {
		return
	}
	a := f.authors[tok]
	if a == nil {
		a = &projections.AuthorEntry{}
		f.authors[tok] = a
	}
	*a, _ = projections.FoldAuthor(*a, e, ch)
}

// apply folds one event of no comment's own into the facts: bans,
// erasures, article settings.
func (f *facts) apply(e events.Envelope) {
	switch e.Type {
	case events.AuthorBanned, events.AuthorUnbanned:
		f.foldAuthor(e, projections.CommentChange{})
	case events.AuthorErased:
		for _, one := range projections.ErasedComments(e) {
			if known, ch := f.fold(one); known && ch.Changed {
				after := ch.After
				after.Evidence = nil
				f.comments[after.ID] = after
			}
		}
		f.foldAuthor(e, projections.CommentChange{})
	case events.ArticleSettingsChanged:
		var s events.ArticleSettings
		if e.Payload(&s) == nil {
			f.articles[e.Article] = moderation.ArticleSettings{Closed: s.Closed, Premoderated: s.Premoderated}
		}
	}
}

// stats are an author's stats as the rules see them (what
// projections.AuthorStats holds): the zero value for an author never seen.
func (f *facts) stats(authorID string) moderation.AuthorStats {
	if authorID == "" {
		return moderation.AuthorStats{}
	}
	a, ok := f.authors[projections.AuthorToken(authorID)]
	if !ok {
		return moderation.AuthorStats{}
	}
	st := a.Facts.Stats()
	return moderation.AuthorStats{ApprovedCount: st.ApprovedCount, FirstSeen: st.FirstSeen,
		RecentRejectionRate: st.RecentRejectionRate, Banned: st.Banned, BannedUntil: st.BannedUntil}
}
