package commands

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/moderation"
)

// SetArticle appends an article's whole settings: the last change wins.
func (s *Service) SetArticle(ctx context.Context, actor, article string, set events.ArticleSettings) error {
	if !events.ValidArticleID(article) {
		return ErrArticleID
	}
	e, err := events.New(uuid.NewString(), events.ArticleSettingsChanged, article, "", actor, "", time.Now(), set)
	if err != nil {
		return err
	}
	if _, err := s.cfg.Log.Append(ctx, e); err != nil {
		return err
	}
	s.log.Info("article settings changed", "article", article, "actor", actor, "closed", set.Closed, "premoderated", set.Premoderated)
	return nil
}

// PublishRules makes a rule file the one every worker applies; published
// is false when the same rule set is in force already.
func (s *Service) PublishRules(ctx context.Context, actor, name string, source []byte) (rs *moderation.Ruleset, published bool, err error) {
	rs, published, err = moderation.PublishRuleset(ctx, s.cfg.Log, name, source, actor)
	if err == nil && published {
		s.log.Info("rule set published", "version", rs.Version, "by", actor)
	}
	return rs, published, err
}
