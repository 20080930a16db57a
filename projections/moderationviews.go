package projections

import (
	"context"
	"errors"
	"sync"

	"github.com/newsroom/commentd/events"
)

// Moderation answers the moderators' reads from the views: the queues
// from an api process's memory, a comment, its reports and its author from
// their buckets.
type Moderation struct {
	Queues   *QueuesView
	Facts    *FactsView
	Comments interface {
		// Comment is the comment view's state of one comment
		// (StatusView, StatusReader); events.ErrNotFound if none.
		Comment(ctx context.Context, id string) (CommentState, error)
	}
}

// Queue is a page of a queue with each item's author stats.
func (m *Moderation) Queue(ctx context.Context, q Queue, article string, after uint64, limit int) (QueuePage, error) {
	p := m.Queues.Queue(q, article, after, limit)
	stats := make(map[string]AuthorStats)
	for _, it := range p.Items {
		stats[it.AuthorID] = AuthorStats{}
	}
	ids := make([]string, 0, len(stats))
	for id := range stats {
		ids = append(ids, id)
	}
	got := make([]AuthorStats, len(ids))
	if err := parallel(ctx, len(ids), func(ctx context.Context, i int) error {
		a, _, err := m.Facts.AuthorFacts(ctx, ids[i])
		got[i] = a.Stats()
		return err
	}); err != nil {
		return QueuePage{}, err
	}
	for i, id := range ids {
		stats[id] = got[i]
	}
	for i := range p.Items {
		p.Items[i].Stats = stats[p.Items[i].AuthorID]
	}
	return p, nil
}

// QueueCounts is the number of items in each queue, of one article when
// article is not empty.
func (m *Moderation) QueueCounts(article string) map[Queue]int { return m.Queues.QueueCounts(article) }

// ArticleSettings are an article's current settings.
func (m *Moderation) ArticleSettings(article string) events.ArticleSettings {
	return m.Facts.ArticleSettings(article)
}

// Item returns a comment with its reports and its author's stats, or
// events.ErrNotFound.
func (m *Moderation) Item(ctx context.Context, id string) (QueueItem, error) {
	c, err := m.Comments.Comment(ctx, id)
	if err != nil {
		return QueueItem{}, err
	}
	it := QueueItem{Comment: c.Comment}
	r, err := m.Queues.Reports(ctx, id)
	if err != nil {
		return QueueItem{}, err
	}
	it.Reports = r.Summary()
	a, _, err := m.Facts.AuthorFacts(ctx, c.AuthorID)
	if err != nil {
		return QueueItem{}, err
	}
	it.Stats = a.Stats()
	return it, nil
}

// AuthorRecord returns an author's record with up to limit of their
// newest comments (at most AuthorCommentsKept), or events.ErrNotFound for
// an author never seen.
func (m *Moderation) AuthorRecord(ctx context.Context, authorID string, limit int) (AuthorRecord, error) {
	a, found, err := m.Facts.AuthorFacts(ctx, authorID)
	if err != nil {
		return AuthorRecord{}, err
	}
	if !found {
		return AuthorRecord{}, events.ErrNotFound
	}
	rec := AuthorRecord{ID: authorID, Name: a.Name, Stats: a.Stats(), Total: a.Total}
	if a.Ban.Banned {
		rec.BanReason, rec.BannedBy, rec.BannedAt, rec.BannedUntil = a.Ban.Reason, a.Ban.By, a.Ban.At, a.Ban.Until
	}
	if limit <= 0 {
		return rec, nil
	}
	list, err := m.Facts.AuthorComments(ctx, authorID)
	if err != nil {
		return AuthorRecord{}, err
	}
	var ids []string
	for i := len(list.Recent) - 1; i >= 0 && len(ids) < limit; i-- {
		ids = append(ids, list.Recent[i].ID)
	}
	got := make([]Comment, len(ids))
	if err := parallel(ctx, len(ids), func(ctx context.Context, i int) error {
		c, err := m.Comments.Comment(ctx, ids[i])
		if errors.Is(err, events.ErrNotFound) {
			return nil // not written yet: the comment view lags the facts by a moment at most
		}
		got[i] = c.Comment
		return err
	}); err != nil {
		return AuthorRecord{}, err
	}
	rec.Comments = make([]Comment, 0, len(got))
	for _, c := range got {
		if c.ID != "" {
			rec.Comments = append(rec.Comments, c)
		}
	}
	return rec, nil
}

// AuthorKnown reports whether the facts view has seen the author.
func (m *Moderation) AuthorKnown(ctx context.Context, authorID string) (bool, error) {
	_, found, err := m.Facts.AuthorFacts(ctx, authorID)
	return found, err
}

// Undecided returns the author's comments that wait for a decision
// (pending or held): those a ban may reject. The caller judges each by
// the log: the views may lag.
func (m *Moderation) Undecided(ctx context.Context, authorID string) ([]Comment, error) {
	list, err := m.Facts.AuthorComments(ctx, authorID)
	if err != nil {
		return nil, err
	}
	got := make([]Comment, len(list.Waiting))
	if err := parallel(ctx, len(got), func(ctx context.Context, i int) error {
		c, err := m.Comments.Comment(ctx, list.Waiting[i])
		if errors.Is(err, events.ErrNotFound) {
			return nil
		}
		got[i] = c.Comment
		return err
	}); err != nil {
		return nil, err
	}
	out := got[:0]
	for _, c := range got {
		if c.ID != "" {
			out = append(out, c)
		}
	}
	return out, nil
}

// parallel runs f for 0..n-1, a few at a time, and returns the first
// error.
func parallel(ctx context.Context, n int, f func(ctx context.Context, i int) error) error {
	const width = 16
	if n == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	sem := make(chan struct{}, width)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := f(ctx, i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		})
	}
	wg.Wait()
	return first
}

// Items are cs with their reports and their authors' stats, in cs's order.
func (m *Moderation) Items(ctx context.Context, cs []Comment) ([]QueueItem, error) {
	out := make([]QueueItem, len(cs))
	err := parallel(ctx, len(cs), func(ctx context.Context, i int) error {
		out[i].Comment = cs[i]
		r, err := m.Queues.Reports(ctx, cs[i].ID)
		if err != nil {
			return err
		}
		out[i].Reports = r.Summary()
		a, _, err := m.Facts.AuthorFacts(ctx, cs[i].AuthorID)
		out[i].Stats = a.Stats()
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
