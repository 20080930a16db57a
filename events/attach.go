package events

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Attach opens the existing COMMENTS stream without changing its
// configuration, for tools such as commentctl that must not undo what the
// servers were set up with (replicas, limits). It is ErrNotFound when no
// commentd has created the stream yet.
func Attach(ctx context.Context, js jetstream.JetStream) (*Log, error) {
	s, err := js.Stream(ctx, StreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("events: stream %s: %w", StreamName, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("events: stream %s: %w", StreamName, err)
	}
	return &Log{js: js, stream: s}, nil
}
