package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/embedded"
	"github.com/newsroom/commentd/internal/natsconn"
	"github.com/newsroom/commentd/internal/natsperm"
)

// Who creates what: the roles' credentials may use the stream, consumers
// and buckets but not create, change or delete them (internal/natsperm).
// So they are provisioned with the operator's credential: by the
// all-in-one itself, on its embedded server, before it connects as each
// role; on a cluster, by commentd --roles setup, run once (and again
// after an upgrade) before the roles start. The worker's durable consumer
// is the exception: the worker may create its own, and does.

// notProvisioned is the hint when a role finds nothing to attach to.
const notProvisioned = "has commentd --roles setup run with the operator's credential?"

// conn is a NATS connection and a channel closed when it is.
type conn struct {
	nc     *nats.Conn
	closed <-chan struct{}
}

func (n NATSConfig) conn() natsconn.Config {
	return natsconn.Config{
		CredsFile: n.Creds, User: n.User, Password: n.Password,
		CAFile: n.CA, CertFile: n.Cert, KeyFile: n.Key, ConnectTimeout: n.ConnectTimeout,
	}
}

// connect opens a connection as identity: on the embedded server
// (in-process, no TCP) the user of that name, whose password the server
// keeps in the data dir; on --nats-url the one credential given, whatever
// the identity.
func (a *app) connect(ctx context.Context, name, identity string, refused func(error)) (jetstream.JetStream, error) {
	c := a.cfg.NATS.conn()
	c.Name, c.URL, c.Logger, c.Refused = name, a.cfg.NATSURL, a.logger, refused
	var extra []nats.Option
	if a.ns != nil {
		pw, err := embedded.Password(a.cfg.DataDir, identity)
		if err != nil {
			return nil, err
		}
		c.User, c.Password = identity, pw
		extra = append(extra, nats.InProcessServer(a.ns))
	}
	// A role may subscribe only under its own inbox prefix.
	if slices.Contains(natsperm.Roles, c.User) {
		c.InboxPrefix = natsperm.InboxPrefix(c.User)
	}
	nc, closed, err := natsconn.Dial(ctx, c, extra...)
	if err != nil {
		return nil, err
	}
	a.conns = append(a.conns, &conn{nc: nc, closed: closed})
	return jetstream.New(nc)
}

// jsFor returns the connection of role, one per identity: on the
// embedded server each role has its own; on --nats-url they share one.
func (a *app) jsFor(ctx context.Context, role string) (jetstream.JetStream, error) {
	name := "commentd"
	if a.ns != nil {
		name += "-" + role
	} else {
		role = ""
	}
	if js, ok := a.js[role]; ok {
		return js, nil
	}
	js, err := a.connect(ctx, name, role, nil)
	if err != nil {
		return nil, err
	}
	if a.js == nil {
		a.js = map[string]jetstream.JetStream{}
	}
	a.js[role] = js
	return js, nil
}

// attach returns the log as role sees it.
func (a *app) attach(ctx context.Context, role string) (*events.Log, error) {
	js, err := a.jsFor(ctx, role)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	log, err := events.Attach(ctx, js)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, notProvisioned)
	}
	return log, nil
}

// provision creates, or updates to the configuration, the stream, the
// dead letters, the buckets and the secret, as the operator, on a
// connection closed when done.
func (a *app) provision(ctx context.Context) error {
	// A credential that may not provision is refused at once, not after
	// the timeout.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	js, err := a.connect(ctx, "commentd-setup", natsperm.Operator, func(err error) {
		cancel(fmt.Errorf("provisioning needs the operator's credential: %w", err))
	})
	if err != nil {
		return err
	}
	c := a.conns[len(a.conns)-1]
	defer func() {
		c.nc.Close()
		a.conns = a.conns[:len(a.conns)-1]
	}()
	tctx, stop := context.WithTimeout(ctx, 30*time.Second)
	defer stop()
	if err := natsperm.Provision(tctx, js, natsperm.Setup{Replicas: a.cfg.Replicas, SessionTTL: a.cfg.SessionTTL}); err != nil {
		if cause := context.Cause(ctx); cause != nil {
			return cause
		}
		return err
	}
	a.logger.Info("provisioned the stream and buckets", "replicas", a.cfg.Replicas)
	return nil
}
