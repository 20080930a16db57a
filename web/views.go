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
// settings (today's projections.Store).
type ModerationViews interface {
	ArticleSettings(article string) events.ArticleSettings
	Queue(q projections.Queue, article string, after uint64, limit int) projections.QueuePage
	QueueCounts(article string) map[projections.Queue]int
	Item(id string) (projections.QueueItem, bool)
	AuthorRecord(authorID string, limit int) (projections.AuthorRecord, bool)
	Undecided(authorID string) []projections.Comment
	Reports(commentID string) projections.Reports
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
