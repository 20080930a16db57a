package main

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/accounts"
	"github.com/newsroom/commentd/moderation"
	"github.com/newsroom/commentd/projections"
	"github.com/newsroom/commentd/web"
)

// moderationConfig opens the accounts buckets (api role only) and
// gathers the moderators' settings.
func moderationConfig(ctx context.Context, js jetstream.JetStream, cfg Config) (web.ModerationConfig, error) {
	mc := web.ModerationConfig{
		AdminToken: cfg.AdminToken, SessionTTL: cfg.SessionTTL,
		ReportsToHold: cfg.ReportsToHold, RateLimitReports: cfg.RateLimitReports,
	}
	if !cfg.has(roleAPI) {
		return mc, nil
	}
	st, err := accounts.Open(ctx, js, accounts.Config{Replicas: cfg.Replicas, SessionTTL: cfg.SessionTTL})
	if err != nil {
		return mc, err
	}
	mc.Accounts = st
	if cfg.Secret != "" {
		mc.Secret = []byte(cfg.Secret)
	} else if mc.Secret, err = st.Secret(ctx, "reporters"); err != nil {
		return mc, err
	}
	return mc, nil
}

// ruleContext gives the rules what the read models of this process know
// of an author, so a banned author's next comment is rejected at once,
// and of an article's settings, so a pre-moderated article's comments are
// held (the default rule set's "premoderated" rule).
type ruleContext struct{ views *projections.Store }

func (c ruleContext) Author(authorID string) moderation.AuthorStats {
	a := c.views.Author(authorID)
	return moderation.AuthorStats{
		ApprovedCount: a.ApprovedCount, FirstSeen: a.FirstSeen,
		RecentRejectionRate: a.RecentRejectionRate, Banned: a.Banned,
	}
}

func (c ruleContext) Article(article string) moderation.ArticleSettings {
	set := c.views.ArticleSettings(article)
	return moderation.ArticleSettings{Closed: set.Closed, Premoderated: set.Premoderated}
}
