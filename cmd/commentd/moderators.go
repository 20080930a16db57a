package main

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/accounts"
	"github.com/newsroom/commentd/internal/natsperm"
	"github.com/newsroom/commentd/moderation"
	"github.com/newsroom/commentd/projections"
	"github.com/newsroom/commentd/web"
)

// moderationConfig opens the accounts buckets and reads the secret, for
// the api role.
func moderationConfig(ctx context.Context, js jetstream.JetStream, cfg Config, mc web.ModerationConfig) (web.ModerationConfig, error) {
	st, err := accounts.Attach(ctx, js, accounts.Config{Replicas: cfg.Replicas, SessionTTL: cfg.SessionTTL})
	if err != nil {
		return mc, fmt.Errorf("%w (%s)", err, notProvisioned)
	}
	mc.Accounts = st
	if cfg.Secret != "" {
		mc.Secret = []byte(cfg.Secret)
	} else if mc.Secret, err = accounts.Secret(ctx, js, natsperm.ReportersSecret); err != nil {
		return mc, fmt.Errorf("%w (%s)", err, notProvisioned)
	}
	return mc, nil
}

// ruleContext gives the rules what the facts view knows of an author, so
// a banned author's next comment is rejected at once, and of an article's
// settings, so a pre-moderated article's comments are held (the default
// rule set's "premoderated" rule).
type ruleContext struct{ facts *projections.FactsView }

func (c ruleContext) Author(authorID string) moderation.AuthorStats {
	a := c.facts.Author(authorID)
	return moderation.AuthorStats{
		ApprovedCount: a.ApprovedCount, FirstSeen: a.FirstSeen,
		RecentRejectionRate: a.RecentRejectionRate, Banned: a.Banned, BannedUntil: a.BannedUntil,
	}
}

func (c ruleContext) Article(article string) moderation.ArticleSettings {
	set := c.facts.ArticleSettings(article)
	return moderation.ArticleSettings{Closed: set.Closed, Premoderated: set.Premoderated}
}
