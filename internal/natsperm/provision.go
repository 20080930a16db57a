package natsperm

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/accounts"
	"github.com/newsroom/commentd/deadletter"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/notify"
	"github.com/newsroom/commentd/projections"
)

// Setup is what provisioning chooses.
type Setup struct {
	Replicas   int
	SessionTTL time.Duration
}

// Provision creates, or updates to s, everything the roles use but may
// not create: the stream, the dead letters, the accounts, sessions,
// secrets, notifications and view buckets, and the secrets. It needs the operator's
// credential. The worker's durable consumer is not here: the worker may
// create its own (Grants).
func Provision(ctx context.Context, js jetstream.JetStream, s Setup) error {
	log, err := events.Open(ctx, js, events.Config{Replicas: s.Replicas})
	if err != nil {
		return err
	}
	if _, err := deadletter.Open(ctx, js, log, deadletter.Config{Replicas: s.Replicas}); err != nil {
		return err
	}
	if _, err := accounts.Open(ctx, js, accounts.Config{Replicas: s.Replicas, SessionTTL: s.SessionTTL}); err != nil {
		return err
	}
	if err := accounts.ProvisionSecret(ctx, js, s.Replicas, ReportersSecret); err != nil {
		return err
	}
	if err := accounts.ProvisionSecret(ctx, js, s.Replicas, NotifySecret); err != nil {
		return err
	}
	if err := notify.Provision(ctx, js, s.Replicas); err != nil {
		return err
	}
	if err := projections.OpenQueuesView(ctx, js, s.Replicas); err != nil {
		return err
	}
	if err := projections.OpenFactsView(ctx, js, s.Replicas); err != nil {
		return err
	}
	if err := projections.OpenCatalog(ctx, js, s.Replicas); err != nil {
		return err
	}
	if err := projections.OpenStatusView(ctx, js, s.Replicas); err != nil {
		return err
	}
	if err := projections.OpenArticleView(ctx, js, s.Replicas); err != nil {
		return err
	}
	// Each view's spare, which a rebuild fills while the other serves.
	return projections.ProvisionSpares(ctx, js)
}

// ReportersSecret names the key behind the address hashes.
const ReportersSecret = "reporters"

// NotifySecret names the key of the notification mails' links and of the
// hashes that stand for readers' e-mail addresses: its own key, so the
// worker that sends the mails reads that one and not the key behind the
// hashes of client addresses.
const NotifySecret = "notify"
