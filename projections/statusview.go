package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
)

// StatusBucket is the comment status view: one key per comment,
// status.<comment id>, with what its author may learn of it, and the key
// checkpoint, the stream sequence the view reflects. The projector role is
// its only writer; api processes answer GET /api/comments/{id} from it.
const StatusBucket = "VIEW_STATUS"

const (
	statusPrefix  = "status."
	checkpointKey = "checkpoint"
	// checkpointEvery bounds how many events a restart may apply to the
	// view a second time (harmlessly: a key holds the state, not a delta).
	checkpointEvery = 256
)

// StatusEntry is the value of status.<id>.
type StatusEntry struct {
	Status  Status `json:"status"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	Article string `json:"article"`
	// Seq is the stream sequence of the last event the entry reflects.
	Seq uint64 `json:"seq"`
}

// OpenStatusView creates the bucket, or updates it to replicas. It is for
// provisioning (the operator's identity); the roles attach.
func OpenStatusView(ctx context.Context, js jetstream.JetStream, replicas int) error {
	if replicas == 0 {
		replicas = 1
	}
	_, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      StatusBucket,
		Description: "Comment status view: status.<comment> and the stream sequence it reflects (checkpoint).",
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
		History:     1,
	})
	if err != nil {
		return fmt.Errorf("projections: status view bucket: %w", err)
	}
	return nil
}

// StatusView reads (and, for the projector, writes) the status view.
type StatusView struct {
	kv jetstream.KeyValue
}

// AttachStatusView opens the provisioned bucket without changing it.
func AttachStatusView(ctx context.Context, js jetstream.JetStream) (*StatusView, error) {
	kv, err := js.KeyValue(ctx, StatusBucket)
	if err != nil {
		return nil, fmt.Errorf("projections: status view bucket %s: %w", StatusBucket, err)
	}
	return &StatusView{kv: kv}, nil
}

// ValidCommentKey reports whether id can be a key of the view: anything
// else is not a comment this system stored (ids are UUIDs), so a reader
// may answer "not found" without asking.
func ValidCommentKey(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '=':
		default:
			return false
		}
	}
	return true
}

// Status returns the view's entry for a comment; events.ErrNotFound if the
// view has none.
func (v *StatusView) Status(ctx context.Context, id string) (StatusEntry, error) {
	if !ValidCommentKey(id) {
		return StatusEntry{}, events.ErrNotFound
	}
	e, err := v.kv.Get(ctx, statusPrefix+id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return StatusEntry{}, events.ErrNotFound
	}
	if err != nil {
		return StatusEntry{}, fmt.Errorf("projections: status view: %w", err)
	}
	var st StatusEntry
	if err := json.Unmarshal(e.Value(), &st); err != nil {
		return StatusEntry{}, fmt.Errorf("projections: status view: key %s: %w", e.Key(), err)
	}
	return st, nil
}

// Checkpoint is the stream sequence the view reflects, 0 for a new view.
func (v *StatusView) Checkpoint(ctx context.Context) (uint64, error) {
	e, err := v.kv.Get(ctx, checkpointKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("projections: status view checkpoint: %w", err)
	}
	seq, err := strconv.ParseUint(string(e.Value()), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("projections: status view checkpoint %q: %w", e.Value(), err)
	}
	return seq, nil
}

// statusWriter is the projector's side of the view: it writes the state of
// the comment each event touched, and the checkpoint, in stream order.
type statusWriter struct {
	view    *StatusView
	logger  *slog.Logger
	saved   uint64 // the checkpoint in the bucket
	applied uint64 // the newest sequence whose key is written
}

func (w *statusWriter) start(ctx context.Context) error {
	seq, err := w.view.Checkpoint(ctx)
	if err != nil {
		return err
	}
	w.saved, w.applied = seq, seq
	return nil
}

// apply writes c's entry for the event at seq; events at or below the
// checkpoint were written before and are skipped. found is false for an
// event that names no comment the views know.
func (w *statusWriter) apply(ctx context.Context, seq uint64, c Comment, found bool) error {
	if seq <= w.applied {
		return nil
	}
	if found && ValidCommentKey(c.ID) {
		val, _ := json.Marshal(StatusEntry{Status: c.Status, Reason: c.Reason, Message: c.Message, Article: c.Article, Seq: seq})
		if err := retry(ctx, w.logger, "status view", func() error {
			_, err := w.view.kv.Put(ctx, statusPrefix+c.ID, val)
			return err
		}); err != nil {
			return err
		}
	}
	w.applied = seq
	return nil
}

// checkpoint saves the applied sequence if it moved on; force saves even
// when fewer than checkpointEvery events went by.
func (w *statusWriter) checkpoint(ctx context.Context, force bool) error {
	if w.applied == w.saved || (!force && w.applied-w.saved < checkpointEvery) {
		return nil
	}
	seq := w.applied
	if err := retry(ctx, w.logger, "status view checkpoint", func() error {
		_, err := w.view.kv.Put(ctx, checkpointKey, []byte(strconv.FormatUint(seq, 10)))
		return err
	}); err != nil {
		return err
	}
	w.saved = seq
	return nil
}

// retry runs op until it succeeds or ctx ends: an unreachable NATS must
// not lose a view write, it delays it.
func retry(ctx context.Context, logger *slog.Logger, what string, op func() error) error {
	wait := 50 * time.Millisecond
	for {
		err := op()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		logger.Warn("write failed; retrying", "what", what, "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}
