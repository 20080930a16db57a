package events

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Durable creates or updates the durable consumer cfg on the log, retrying
// with back-off while the stream cannot answer (NATS reconnecting, a
// leader election on a cluster: seconds) until ctx ends. A process that
// starts, or restarts its consumer, during a failover then waits for the
// new leader instead of exiting; an error that retrying does not cure (a
// bad configuration, a refused permission) is returned at once.
func (l *Log) Durable(ctx context.Context, cfg jetstream.ConsumerConfig, logger *slog.Logger) (jetstream.Consumer, error) {
	var cons jetstream.Consumer
	err := Retry(ctx, logger, "create consumer "+cfg.Durable, func(ctx context.Context) error {
		bounded, cancel := context.WithTimeout(ctx, consumerTimeout)
		defer cancel()
		var err error
		cons, err = l.stream.CreateOrUpdateConsumer(bounded, cfg)
		return unavailable(ctx, err)
	})
	return cons, err
}

// consumerTimeout bounds one attempt to create a consumer: on a cluster
// the stream leader asks the consumer's peers to agree, which takes longer
// than an append.
const consumerTimeout = 5 * time.Second

// Retry calls f until it succeeds, fails with an error other than
// ErrUnavailable (or the stream's "temporarily unavailable" answer), or
// ctx ends, waiting longer after each failure (up to 2 s). It logs the
// first failure and every tenth, saying what it was doing.
func Retry(ctx context.Context, logger *slog.Logger, what string, f func(context.Context) error) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	wait := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := f(ctx)
		if err == nil {
			if attempt > 1 {
				logger.Info("the stream answers again", "what", what, "attempts", attempt)
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !retryable(err) {
			return err
		}
		if attempt%10 == 1 {
			logger.Warn("the stream cannot answer yet; retrying", "what", what, "attempt", attempt, "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

func retryable(err error) bool {
	if errors.Is(err, ErrUnavailable) {
		return true
	}
	var api *jetstream.APIError
	return errors.As(err, &api) && api.Code == http.StatusServiceUnavailable
}
