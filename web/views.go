package web

import (
	"context"
	"errors"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// The read models the server answers from, each a small interface so a
// process serves from the views in JetStream KV (cmd/commentd wires them)
// and nothing here needs every comment in memory.

// ArticleViews answers readers' article reads: the approved view
// (projections.ArticleCache). Reads before it is loaded fail with
// projections.ErrNotReady (503 restoring).
type ArticleViews interface {
	Approved(ctx context.Context, article string, after uint64, limit int, newest bool) (projections.Page, error)
	Threads(ctx context.Context, article string, after uint64, limit int, newest bool) (projections.ThreadPage, error)
	ApprovedCounts(ctx context.Context, articles []string) ([]int, error)
	// ArticleVersion moves whenever the article's approved view changes,
	// so encoded pages are kept until then.
	ArticleVersion(ctx context.Context, article string) (uint64, error)
}

// CommentViews answers one comment's state (projections.StatusView): a
// parent to reply to, a comment to report, a retried submission. One it
// does not hold is events.ErrNotFound.
type CommentViews interface {
	Comment(ctx context.Context, id string) (projections.CommentState, error)
}

// ModerationViews are the moderators' read models and the articles'
// settings (projections.Moderation): the queues and settings from this
// process's memory, the rest read from the views' buckets. A comment or
// an author they do not hold is events.ErrNotFound.
type ModerationViews interface {
	ArticleSettings(article string) events.ArticleSettings
	QueueCounts(article string) map[projections.Queue]int
	Queue(ctx context.Context, q projections.Queue, article string, after uint64, limit int) (projections.QueuePage, error)
	Item(ctx context.Context, id string) (projections.QueueItem, error)
	Items(ctx context.Context, cs []projections.Comment) ([]projections.QueueItem, error)
	AuthorRecord(ctx context.Context, authorID string, limit int) (projections.AuthorRecord, error)
	AuthorKnown(ctx context.Context, authorID string) (bool, error)
	Undecided(ctx context.Context, authorID string) ([]projections.Comment, error)
}

// comment is the comment view's state of id; ok is false when it holds
// none.
func (s *Server) comment(ctx context.Context, id string) (c projections.CommentState, ok bool, err error) {
	c, err = s.cfg.Comments.Comment(ctx, id)
	switch {
	case err == nil:
		return c, true, nil
	case errors.Is(err, events.ErrNotFound):
		return c, false, nil
	}
	return c, false, err
}
