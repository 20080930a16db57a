package main

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/accounts"
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
