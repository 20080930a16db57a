package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
)

// CatalogBucket is the views' catalog: which bucket serves each view now,
// and the operator's request to rebuild views. Each view has two buckets,
// its name (VIEW_STATUS) and a spare (VIEW_STATUS_B); a rebuild fills the
// one not serving from sequence 1 while the other keeps serving, then the
// projector points the catalog at it, readers follow, and commentctl
// deletes the old one. Keys:
//
//	current.<view>  the bucket serving <view> (absent: <view> itself); the projector writes it
//	rebuild         the operator's request (RebuildRequest); commentctl writes it
//	progress        the projector's answer to it (RebuildProgress)
const CatalogBucket = "VIEWS"

const (
	currentPrefix = "current."
	rebuildKey    = "rebuild"
	progressKey   = "progress"
	spareSuffix   = "_B"
)

// ViewBuckets are the two buckets of view: its own name and its spare.
// Permissions name both.
func ViewBuckets(view string) []string { return []string{view, view + spareSuffix} }

// SpareOf is the other bucket of the view that bucket serves.
func SpareOf(bucket string) string {
	if base, ok := strings.CutSuffix(bucket, spareSuffix); ok {
		return base
	}
	return bucket + spareSuffix
}

// ViewOf is the view a bucket (either of its two) holds.
func ViewOf(bucket string) string { return strings.TrimSuffix(bucket, spareSuffix) }

// OpenCatalog creates the catalog bucket, or updates it to replicas: for
// provisioning (the operator); the roles attach.
func OpenCatalog(ctx context.Context, js jetstream.JetStream, replicas int) error {
	_, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      CatalogBucket,
		Description: "Which bucket serves each view (current.<view>), and rebuild requests.",
		Storage:     jetstream.FileStorage,
		Replicas:    max(replicas, 1),
		History:     1,
	})
	if err != nil {
		return fmt.Errorf("projections: catalog bucket: %w", err)
	}
	return nil
}

// Catalog reads (and, for the projector, writes) the views' catalog.
type Catalog struct {
	js jetstream.JetStream
	kv jetstream.KeyValue
}

// AttachCatalog opens the provisioned catalog without changing it.
func AttachCatalog(ctx context.Context, js jetstream.JetStream) (*Catalog, error) {
	kv, err := js.KeyValue(ctx, CatalogBucket)
	if err != nil {
		return nil, fmt.Errorf("projections: catalog bucket %s: %w", CatalogBucket, err)
	}
	return &Catalog{js: js, kv: kv}, nil
}

// Current is the bucket serving view now.
func (c *Catalog) Current(ctx context.Context, view string) (string, error) {
	e, err := c.kv.Get(ctx, currentPrefix+view)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return view, nil
	}
	if err != nil {
		return "", fmt.Errorf("projections: catalog: %w", err)
	}
	return string(e.Value()), nil
}

// Bucket opens the bucket serving view now.
func (c *Catalog) Bucket(ctx context.Context, view string) (jetstream.KeyValue, error) {
	name, err := c.Current(ctx, view)
	if err != nil {
		return nil, err
	}
	kv, err := c.js.KeyValue(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("projections: view %s in bucket %s: %w", view, name, err)
	}
	return kv, nil
}

// Follow calls moved with the bucket serving view now, and again each
// time the projector points the catalog elsewhere, until ctx ends. It
// returns once the first call is made. A reader that keeps what it
// loaded from a view (a cache, a watch) reloads it from the new bucket
// in moved; the old bucket stays readable for a grace period (commentctl
// rebuild --grace), so reads in flight finish.
func (c *Catalog) Follow(ctx context.Context, view string, moved func(jetstream.KeyValue)) error {
	w, err := c.kv.Watch(ctx, currentPrefix+view)
	if err != nil {
		return fmt.Errorf("projections: catalog watch: %w", err)
	}
	current := ""
	first := true
	next := func(e jetstream.KeyValueEntry) error {
		name := view
		if e != nil && e.Operation() == jetstream.KeyValuePut {
			name = string(e.Value())
		}
		if name == current {
			return nil
		}
		kv, err := c.js.KeyValue(ctx, name)
		if err != nil {
			return fmt.Errorf("projections: view %s in bucket %s: %w", view, name, err)
		}
		current = name
		moved(kv)
		return nil
	}
	// The initial value (or its absence: nil after the initial values).
	var last jetstream.KeyValueEntry
	for e := range w.Updates() {
		if e == nil {
			break
		}
		last = e
	}
	if err := next(last); err != nil {
		w.Stop()
		return err
	}
	first = false
	go func() {
		defer w.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e == nil || first {
					continue
				}
				// A bucket that cannot be opened keeps the old one
				// serving: better stale than nothing.
				_ = next(e)
			}
		}
	}()
	return nil
}

// BucketConfig is the configuration of an existing view bucket, under
// the name bucket: what its spare is made with.
func BucketConfig(ctx context.Context, js jetstream.JetStream, from, bucket string) (jetstream.KeyValueConfig, error) {
	s, err := js.Stream(ctx, "KV_"+from)
	if err != nil {
		return jetstream.KeyValueConfig{}, fmt.Errorf("projections: bucket %s: %w", from, err)
	}
	cfg := s.CachedInfo().Config
	return jetstream.KeyValueConfig{
		Bucket: bucket, Description: cfg.Description, Storage: cfg.Storage, Replicas: cfg.Replicas,
		History: 1, MaxBytes: cfg.MaxBytes, Compression: cfg.Compression != jetstream.NoCompression,
		// The queues view's removed keys leave markers that expire.
		LimitMarkerTTL: cfg.SubjectDeleteMarkerTTL,
	}, nil
}

// ProvisionSpares makes (or updates) each view's spare with the
// configuration of the view's own bucket, just provisioned: for
// provisioning (the operator), after the views' buckets. A projector
// started with --rebuild-projections fills them (it may empty a bucket,
// not make one).
func ProvisionSpares(ctx context.Context, js jetstream.JetStream) error {
	for _, view := range RebuildableViews {
		cfg, err := BucketConfig(ctx, js, view, view+spareSuffix)
		if err != nil {
			return err
		}
		if _, err := js.CreateOrUpdateKeyValue(ctx, cfg); err != nil {
			return fmt.Errorf("projections: spare %s: %w", cfg.Bucket, err)
		}
	}
	return nil
}

// CatalogWrites are the subjects the projector publishes to in the
// catalog: the current.<view> pointers and the progress answer, not the
// operator's requests.
func CatalogWrites() []string {
	return []string{"$KV." + CatalogBucket + "." + currentPrefix + ">", "$KV." + CatalogBucket + "." + progressKey}
}

// setCurrent points view at bucket (the projector, after a rebuild).
func (c *Catalog) setCurrent(ctx context.Context, view, bucket string) error {
	if _, err := c.kv.Put(ctx, currentPrefix+view, []byte(bucket)); err != nil {
		return fmt.Errorf("projections: catalog: point %s at %s: %w", view, bucket, err)
	}
	return nil
}

// RebuildRequest asks the projector to rebuild views from sequence 1.
type RebuildRequest struct {
	ID string `json:"id"`
	// Into maps each view to rebuild to the bucket to fill: its spare,
	// empty, made by the operator with the serving bucket's configuration.
	Into map[string]string `json:"into"`
	// Scratch is where the rebuild keeps comment states when the comment
	// view itself is not rebuilt: the comment view's spare, deleted
	// afterwards.
	Scratch     string    `json:"scratch,omitempty"`
	RequestedAt time.Time `json:"requested_at"`
}

// Rebuild states.
const (
	RebuildBuilding = "building"
	RebuildSwitched = "switched"
	RebuildFailed   = "failed"
)

// RebuildProgress is the projector's answer to a RebuildRequest.
type RebuildProgress struct {
	ID    string `json:"id"`
	State string `json:"state"`
	// Applied is the newest sequence the new buckets reflect; Events how
	// many events the rebuild read since it started, in Seconds.
	Applied uint64  `json:"applied"`
	Events  uint64  `json:"events"`
	Seconds float64 `json:"seconds"`
	Error   string  `json:"error,omitempty"`
	// Old maps each rebuilt view to the bucket that served it before: the
	// operator deletes those once readers moved.
	Old       map[string]string `json:"old,omitempty"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// Request stores a rebuild request (the operator).
func (c *Catalog) Request(ctx context.Context, r RebuildRequest) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := c.kv.Put(ctx, rebuildKey, b); err != nil {
		return fmt.Errorf("projections: catalog: rebuild request: %w", err)
	}
	return nil
}

// Progress is the projector's latest answer to a request;
// events.ErrNotFound before its first.
func (c *Catalog) Progress(ctx context.Context) (RebuildProgress, error) {
	var p RebuildProgress
	e, err := c.kv.Get(ctx, progressKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return p, events.ErrNotFound
	}
	if err != nil {
		return p, fmt.Errorf("projections: catalog: %w", err)
	}
	if err := json.Unmarshal(e.Value(), &p); err != nil {
		return p, fmt.Errorf("projections: catalog: progress: %w", err)
	}
	return p, nil
}

func (c *Catalog) setProgress(ctx context.Context, p RebuildProgress) error {
	p.UpdatedAt = time.Now().UTC()
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = c.kv.Put(ctx, progressKey, b)
	return err
}

// StatusReader answers comments' status from whichever bucket the catalog
// names for the comment view now (web's StatusView).
type StatusReader struct{ cur atomic.Pointer[StatusView] }

// FollowStatus returns a StatusReader that follows the catalog until ctx
// ends.
func (c *Catalog) FollowStatus(ctx context.Context) (*StatusReader, error) {
	r := &StatusReader{}
	err := c.Follow(ctx, StatusBucket, func(kv jetstream.KeyValue) {
		r.cur.Store(&StatusView{js: c.js, kv: kv})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Status is StatusView.Status on the bucket serving now.
func (r *StatusReader) Status(ctx context.Context, id string) (StatusEntry, error) {
	return r.cur.Load().Status(ctx, id)
}

// Comment is StatusView.Comment on the bucket serving now.
func (r *StatusReader) Comment(ctx context.Context, id string) (CommentState, error) {
	return r.cur.Load().Comment(ctx, id)
}

// Bucket is the name of the bucket serving now.
func (r *StatusReader) Bucket() string { return r.cur.Load().kv.Bucket() }

// AttachCurrentStatusView opens the comment view in the bucket the catalog
// names now: the projector's, which it switches itself after a rebuild.
func AttachCurrentStatusView(ctx context.Context, c *Catalog) (*StatusView, error) {
	kv, err := c.Bucket(ctx, StatusBucket)
	if err != nil {
		return nil, err
	}
	return &StatusView{js: c.js, kv: kv}, nil
}

// FollowQueues is the queues view in whichever bucket the catalog names,
// following it until ctx ends; Run fills it.
func (c *Catalog) FollowQueues(ctx context.Context) (*QueuesView, error) {
	v := NewQueuesView()
	if err := c.Follow(ctx, QueuesBucket, v.SetBucket); err != nil {
		return nil, err
	}
	return v, nil
}

// FollowFacts is the facts view in whichever bucket the catalog names,
// following it until ctx ends; Run fills it. authors: see AttachFacts.
func (c *Catalog) FollowFacts(ctx context.Context, authors bool) (*FactsView, error) {
	v := NewFactsView(authors)
	if err := c.Follow(ctx, FactsBucket, v.SetBucket); err != nil {
		return nil, err
	}
	return v, nil
}

// RebuildableViews are the views a projector can rebuild into a spare
// while the old bucket serves: their writers are Rebuildable and their
// readers follow the catalog.
var RebuildableViews = []string{ArticlesBucket, FactsBucket, QueuesBucket, StatusBucket}

var (
	_ Rebuildable = (*ArticleWriter)(nil)
	_ Rebuildable = (*QueuesWriter)(nil)
	_ Rebuildable = (*FactsWriter)(nil)
)
