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
		cc.Views = storeViews{s.cfg.Views}
		cc.Registry = s.cfg.Registry
	}
	if s.cfg.Status != nil {
		cc.Status = s.cfg.Status
	}
	return commands.New(cc)
}

// storeViews is what the commands read, from the in-memory views.
type storeViews struct{ *projections.Store }

var _ commands.Views = storeViews{}

func (v storeViews) Comment(_ context.Context, id string) (projections.Comment, error) {
	c, ok := v.Store.Comment(id)
	if !ok {
		return projections.Comment{}, events.ErrNotFound
	}
	return c, nil
}

func (v storeViews) Depth(_ context.Context, id string) (int, error) { return v.Store.Depth(id), nil }

func (v storeViews) ArticleSettings(_ context.Context, article string) (events.ArticleSettings, error) {
	return v.Store.ArticleSettings(article), nil
}

func (v storeViews) AuthorKnown(_ context.Context, authorID string) (bool, error) {
	_, ok := v.Store.AuthorRecord(authorID, 0)
	return ok, nil
}

func (v storeViews) Undecided(_ context.Context, authorID string) ([]projections.Comment, error) {
	return v.Store.Undecided(authorID), nil
}
