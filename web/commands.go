package web

import (
	"context"

	"github.com/newsroom/commentd/commands"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// newCommands builds the write side the handlers call, over the log and
// the views this server reads.
func (s *Server) newCommands() *commands.Service {
	cc := commands.Config{
		Log: s.cfg.Log, Secret: s.cfg.Secret, MaxReplyDepth: s.cfg.MaxReplyDepth,
		Logger: s.log,
	}
	if s.cfg.Views != nil {
		cc.Views = commandViews{s.cfg.Comments, s.cfg.Views}
		cc.Registry = s.cfg.Registry
	}
	if s.cfg.Status != nil {
		cc.Status = s.cfg.Status
	}
	return commands.New(cc)
}

// commandViews are what the commands read: one comment's state from the
// comment view, the rest from the moderators' views.
type commandViews struct {
	comments CommentViews
	mod      ModerationViews
}

func (v commandViews) Comment(ctx context.Context, id string) (projections.Comment, error) {
	c, err := v.comments.Comment(ctx, id)
	return c.Comment, err
}

func (v commandViews) Depth(ctx context.Context, id string) (int, error) {
	c, err := v.comments.Comment(ctx, id)
	if err != nil {
		return 0, err
	}
	return c.Depth, nil
}

func (v commandViews) ArticleSettings(_ context.Context, article string) (events.ArticleSettings, error) {
	return v.mod.ArticleSettings(article), nil
}

func (v commandViews) AuthorKnown(ctx context.Context, authorID string) (bool, error) {
	return v.mod.AuthorKnown(ctx, authorID)
}

func (v commandViews) Undecided(ctx context.Context, authorID string) ([]projections.Comment, error) {
	return v.mod.Undecided(ctx, authorID)
}
