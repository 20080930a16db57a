package web

import (
	"context"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// ModerationViews are the moderators' reads of the views: the queues, one
// comment with its reports and its author's stats, an author's record, an
// article's settings. projections.Moderation answers them from the queues
// and facts views in JetStream KV.
type ModerationViews interface {
	// Queue is a page of a queue, oldest first, after the cursor (a
	// SubmittedSeq; 0 for the first page), only of article when it is
	// not empty.
	Queue(ctx context.Context, q projections.Queue, article string, after uint64, limit int) (projections.QueuePage, error)
	// QueueCounts are the items in each queue (of one article when
	// article is not empty); a queue with none may be missing.
	QueueCounts(article string) map[projections.Queue]int
	// Item is one comment with its reports and its author's stats;
	// events.ErrNotFound when the views do not know it.
	Item(ctx context.Context, id string) (projections.QueueItem, error)
	// AuthorRecord is an author's record with up to limit of their
	// newest comments; events.ErrNotFound for an author never seen.
	AuthorRecord(ctx context.Context, authorID string, limit int) (projections.AuthorRecord, error)
	// ArticleSettings are an article's current settings; the zero value
	// for one never configured.
	ArticleSettings(article string) events.ArticleSettings
}

var _ ModerationViews = (*projections.Moderation)(nil)

// storeModeration answers from in-memory read models, for a server given
// Views and no ModerationViews.
type storeModeration struct{ s *projections.Store }

func (m storeModeration) Queue(_ context.Context, q projections.Queue, article string, after uint64, limit int) (projections.QueuePage, error) {
	return m.s.Queue(q, article, after, limit), nil
}

func (m storeModeration) QueueCounts(article string) map[projections.Queue]int {
	return m.s.QueueCounts(article)
}

func (m storeModeration) Item(_ context.Context, id string) (projections.QueueItem, error) {
	it, ok := m.s.Item(id)
	if !ok {
		return it, events.ErrNotFound
	}
	return it, nil
}

func (m storeModeration) AuthorRecord(_ context.Context, authorID string, limit int) (projections.AuthorRecord, error) {
	rec, ok := m.s.AuthorRecord(authorID, limit)
	if !ok {
		return rec, events.ErrNotFound
	}
	return rec, nil
}

func (m storeModeration) ArticleSettings(article string) events.ArticleSettings {
	return m.s.ArticleSettings(article)
}
