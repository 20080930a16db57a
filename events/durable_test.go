package events

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func TestRetryWaitsOutAnUnavailableStream(t *testing.T) {
	calls := 0
	err := Retry(context.Background(), nil, "test", func(context.Context) error {
		calls++
		switch calls {
		case 1:
			return fmt.Errorf("%w: no leader", ErrUnavailable)
		case 2:
			return &jetstream.APIError{Code: 503, ErrorCode: 10008, Description: "JetStream system temporarily unavailable"}
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("Retry = %v after %d calls, want nil after 3", err, calls)
	}
}

func TestRetryReturnsAnErrorThatRetryingDoesNotCure(t *testing.T) {
	bad := &jetstream.APIError{Code: 400, ErrorCode: 10012, Description: "consumer config invalid"}
	calls := 0
	err := Retry(context.Background(), nil, "test", func(context.Context) error {
		calls++
		return bad
	})
	if !errors.Is(err, bad) || calls != 1 {
		t.Fatalf("Retry = %v after %d calls, want %v after 1", err, calls, bad)
	}
}

func TestRetryStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := Retry(ctx, nil, "test", func(context.Context) error { return ErrUnavailable })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Retry = %v, want the context's deadline", err)
	}
}
