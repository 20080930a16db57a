package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
)

// StatusBucket is the comment view: one key per comment, status.<comment
// id>, with the comment's whole state (CommentState), and the key
// checkpoint, the stream sequence the view reflects. The projector role is
// its only writer; api processes answer GET /api/comments/{id} from it
// (with only what its author may learn: StatusEntry).
const StatusBucket = "VIEW_STATUS"

const (
	statusPrefix  = "status."
	checkpointKey = "checkpoint"
	// checkpointEvery bounds how many events a restart may apply to the
	// views a second time (harmlessly: each key's seq guards it).
	checkpointEvery = 256
)

// StatusEntry is what GET /api/comments/{id} tells of status.<id>.
type StatusEntry struct {
	Status  Status `json:"status"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	Article string `json:"article"`
	// EditedAt and Edit: the author's edits (Comment's).
	EditedAt time.Time `json:"edited_at,omitzero"`
	Edit     *Edit     `json:"edit,omitempty"`
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
	js jetstream.JetStream
	kv jetstream.KeyValue
}

// AttachStatusView opens the provisioned bucket without changing it.
func AttachStatusView(ctx context.Context, js jetstream.JetStream) (*StatusView, error) {
	kv, err := js.KeyValue(ctx, StatusBucket)
	if err != nil {
		return nil, fmt.Errorf("projections: status view bucket %s: %w", StatusBucket, err)
	}
	return &StatusView{js: js, kv: kv}, nil
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
		return StatusEntry{}, fmt.Errorf("%w: status view: %w", events.ErrUnavailable, err)
	}
	var st StatusEntry
	if err := json.Unmarshal(e.Value(), &st); err != nil {
		return StatusEntry{}, fmt.Errorf("projections: status view: key %s: %w", e.Key(), err)
	}
	return st, nil
}

// state returns the comment's whole state; events.ErrNotFound if the
// view has none, errStatusOnly (with the article) for an entry of the
// older status-only format, which the projector rewrites from the log.
func (v *StatusView) state(ctx context.Context, id string) (CommentState, error) {
	e, err := v.kv.Get(ctx, statusPrefix+id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return CommentState{}, events.ErrNotFound
	}
	if err != nil {
		return CommentState{}, fmt.Errorf("%w: comment view: %w", events.ErrUnavailable, err)
	}
	var c CommentState
	if err := json.Unmarshal(e.Value(), &c); err != nil {
		return CommentState{}, fmt.Errorf("projections: comment view: key %s: %w", e.Key(), err)
	}
	if c.ID == "" {
		// Written before the view held whole states: only the article
		// is known; the projector folds the rest from the log.
		return CommentState{Comment: Comment{Article: c.Article}}, errStatusOnly
	}
	return c, nil
}

// errStatusOnly: the entry holds a status, not the comment's state.
var errStatusOnly = errors.New("projections: comment view entry holds only a status")

// Comment returns the comment view's state of one comment;
// events.ErrNotFound if it has none.
func (v *StatusView) Comment(ctx context.Context, id string) (CommentState, error) {
	if !ValidCommentKey(id) {
		return CommentState{}, events.ErrNotFound
	}
	c, err := v.state(ctx, id)
	if errors.Is(err, errStatusOnly) {
		return CommentState{}, events.ErrNotFound
	}
	return c, err
}

// Checkpoint is the stream sequence the view reflects, 0 for a new view.
func (v *StatusView) Checkpoint(ctx context.Context) (uint64, error) {
	return readCheckpoint(ctx, v.kv)
}
