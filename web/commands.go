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
		cc.Views = commands.StoreViews(s.cfg.Views)
		if f, ok := s.modv.(authorFacts); ok {
			cc.Views = factsViews{Views: cc.Views, facts: f, settings: s.modv}
		}
		cc.Registry = s.cfg.Registry
	}
	if s.cfg.Status != nil {
		cc.Status = s.cfg.Status
	}
	return commands.New(cc)
}

// authorFacts are the commands' reads of the facts view
// (projections.Moderation).
type authorFacts interface {
	AuthorKnown(ctx context.Context, authorID string) (bool, error)
	Undecided(ctx context.Context, authorID string) ([]projections.Comment, error)
}

// factsViews answers authors and articles' settings from the facts view,
// the rest from Views.
type factsViews struct {
	commands.Views
	facts    authorFacts
	settings ModerationViews
}

func (v factsViews) AuthorKnown(ctx context.Context, authorID string) (bool, error) {
	return v.facts.AuthorKnown(ctx, authorID)
}

func (v factsViews) Undecided(ctx context.Context, authorID string) ([]projections.Comment, error) {
	return v.facts.Undecided(ctx, authorID)
}

func (v factsViews) ArticleSettings(_ context.Context, article string) (events.ArticleSettings, error) {
	return v.settings.ArticleSettings(article), nil
}
