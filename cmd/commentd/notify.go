package main

import (
	"context"
	"fmt"
	"net/mail"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsroom/commentd/accounts"
	"github.com/newsroom/commentd/internal/natsperm"
	"github.com/newsroom/commentd/notify"
	"github.com/newsroom/commentd/web"
)

// newNotifier builds the worker role's notifier (--smtp-addr): the
// NOTIFY bucket and the notify secret with the worker's identity.
func (a *app) newNotifier(ctx context.Context, reg prometheus.Registerer) (*notify.Notifier, error) {
	js, err := a.jsFor(ctx, roleWorker)
	if err != nil {
		return nil, err
	}
	state, err := notify.Attach(ctx, js)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, notProvisioned)
	}
	secret, err := accounts.Secret(ctx, js, natsperm.NotifySecret)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, notProvisioned)
	}
	mailer, err := a.cfg.smtpMailer()
	if err != nil {
		return nil, err
	}
	from, err := mail.ParseAddress(a.cfg.SMTP.From)
	if err != nil {
		return nil, fmt.Errorf("--smtp-from: %w", err)
	}
	n := &notify.Notifier{
		Log: a.log, State: state, Keys: notify.NewKeys(secret), Mailer: mailer, From: from, PublicURL: a.cfg.PublicURL,
		Logger: a.logger.With("component", "notify"), Metrics: notify.NewMetrics(reg),
	}
	return n, n.Validate()
}

// webNotifications is what the api role needs to take readers' addresses
// and answer the links of the mails: the bucket and the same secret.
func (a *app) webNotifications(ctx context.Context) (*web.Notifications, error) {
	js, err := a.jsFor(ctx, roleAPI)
	if err != nil {
		return nil, err
	}
	state, err := notify.Attach(ctx, js)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, notProvisioned)
	}
	secret, err := accounts.Secret(ctx, js, natsperm.NotifySecret)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, notProvisioned)
	}
	return &web.Notifications{State: state, Keys: notify.NewKeys(secret)}, nil
}
