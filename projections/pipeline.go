package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
)

// ViewWriter is one view the projector writes: a KV bucket of its own,
// with its own checkpoint key, fed one event at a time in stream order.
//
// How to add a view:
//
//  1. Provision its bucket beside VIEW_STATUS (natsperm.Provision, History
//     1, the deployment's replicas) and give the projector role write
//     access and its readers read access in the natsperm table. Roles
//     attach to it (js.KeyValue), never create it.
//  2. Implement ViewWriter. Apply looks at one Update and adds the puts
//     and deletes it implies to the Batch; it never writes to KV itself
//     and never waits for acknowledgements (the pipeline does, before each
//     checkpoint). Every value carries "seq": a writer skips a key whose
//     value's seq is at or above the event's, which makes the events
//     between a checkpoint and a crash harmless when they come again,
//     counters included. A writer that keeps values it wrote in a cache
//     (a bounded one: an LRU) reads a miss with a KV get; a value it wrote
//     since the last checkpoint may not be stored yet, so before such a
//     get it calls Batch.Wait. Apply's error stops the pipeline.
//  3. Reset drops every cache: the pipeline calls it after a failed write,
//     then resumes from the checkpoints, so what was cached may be ahead
//     of what is stored.
//  4. Add it to Projector.Views (cmd/commentd, the projector role). The
//     pipeline calls Apply only for events above the view's checkpoint,
//     and writes the checkpoint (decimal stream sequence, key
//     "checkpoint") only after all of its writes up to it are
//     acknowledged.
type ViewWriter interface {
	// Bucket is the view's bucket, where its checkpoint key lives too.
	Bucket() jetstream.KeyValue
	Apply(ctx context.Context, u *Update, b *Batch) error
	Reset()
}

// Update is one event as the views see it.
type Update struct {
	Event events.Envelope
	// Change is the Fold of Event for the comment it names, its depth and
	// ancestors included; the zero value when the event names no
	// comment, or a comment never submitted.
	Change StateChange
	// Latest is the newest state of that comment the comment view holds:
	// Change.After, except while events that were written before a crash
	// come again, when the comment view is ahead of the event. A view
	// whose keys are a function of the comment's state (the approved
	// view) writes Latest, so it never goes back in time.
	Latest CommentState
	// Live is false while the projector replays history to catch up.
	Live bool
}

// StateChange is a CommentChange with the comment view's full states.
type StateChange struct {
	Before, After CommentState
	Changed       bool
}

// Touched reports whether the event was applied to the comment (its Seq
// moved to the event's), whether or not anything seen changed.
func (u *Update) Touched() bool {
	return u.Change.After.ID != "" && u.Change.After.Seq == u.Event.Seq
}

// Erased reports whether the update is one comment of an AuthorErased
// event that removed its personal fields (Change.After.Erased). Such an
// update is not Touched: the comment's Seq stays its own last event's. A
// view that shows a comment's text rewrites it from Latest.
func (u *Update) Erased() bool {
	return u.Event.Type == events.AuthorErased && u.Change.Changed
}

// CommentState is a comment as the comment view stores it: the fold's
// state, with where it sits in its thread (fixed when it is submitted).
type CommentState struct {
	Comment
	// Depth is how many replies deep the comment is (Store.Depth).
	Depth int `json:"depth,omitempty"`
	// Ancestors are its parent, the parent's parent and so on, nearest
	// first, while on the same article, at most maxStoredAncestors: a
	// reader's thread hangs a reply under its nearest visible one.
	Ancestors []string `json:"ancestors,omitempty"`
}

// maxStoredAncestors bounds the ancestors a comment keeps; replies nest
// at most --max-reply-depth (≤ 50) deep.
const maxStoredAncestors = 64

// Batch collects one view's writes for the pipeline to publish. Writes
// are published asynchronously in the order made; a failed one stops the
// pipeline.
type Batch struct {
	p      *pipeline
	prefix string               // $KV.<bucket>.
	n      int                  // writes since the last checkpoint
	held   map[string]heldWrite // coalesced writes not yet published, by subject
}

// heldWrite is a coalesced write: the message, and for PutJSON the value
// its data is marshalled from when the step ends; created: the key is
// not in the bucket before it (Create).
type heldWrite struct {
	m       *nats.Msg
	v       any
	created bool
}

// flush publishes the coalesced writes, marshalling the values PutJSON
// held, and adds what the server will answer for each to acks.
func (b *Batch) flush(acks []jetstream.PubAckFuture) []jetstream.PubAckFuture {
	for _, h := range b.held {
		if h.v != nil {
			data, err := json.Marshal(h.v)
			if err != nil {
				b.p.fail(fmt.Errorf("projections: write %s: %w", h.m.Subject, err))
				continue
			}
			h.m.Data = data
		}
		f, err := b.p.js.PublishMsgAsync(h.m, jetstream.WithStallWait(b.p.stall))
		if err != nil {
			b.p.fail(fmt.Errorf("projections: write %s: %w", h.m.Subject, err))
			continue
		}
		acks = append(acks, f)
	}
	clear(b.held)
	return acks
}

// Put stores value at key.
func (b *Batch) Put(key string, value []byte) {
	b.publish(&nats.Msg{Subject: b.prefix + key, Data: value})
}

// PutJSON stores v, marshalled, at key. A rebuild marshals only the last
// value of each key per checkpoint step, when the step ends: until the
// next write of the same key or the next checkpoint, v must not change
// (a pointer to a value that changes only with a later PutJSON of the same
// key is fine: what is marshalled is then the newest).
func (b *Batch) PutJSON(key string, v any) error { return b.putJSON(key, v, false) }

// Create is PutJSON of a key that cannot be in the bucket yet (a new
// comment's). In a rebuild from sequence 1 into empty buckets, a removal
// of it before the step ends cancels both: nothing is written.
func (b *Batch) Create(key string, v any) error {
	return b.putJSON(key, v, b.p.coalesce && b.p.assumeNew)
}

func (b *Batch) putJSON(key string, v any, created bool) error {
	if b.p.coalesce {
		b.n++
		if b.held == nil {
			b.held = map[string]heldWrite{}
		}
		b.held[b.prefix+key] = heldWrite{m: &nats.Msg{Subject: b.prefix + key}, v: v, created: created}
		return nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b.Put(key, data)
	return nil
}

// Delete removes key (a delete marker; the bucket keeps no history).
func (b *Batch) Delete(key string) { b.DeleteWith(key, nil) }

// DeleteWith removes key with a note in the delete marker, which
// watchers see (KeyValueEntry.Value) and gets do not.
func (b *Batch) DeleteWith(key string, note []byte) {
	m := &nats.Msg{Subject: b.prefix + key, Header: nats.Header{}, Data: note}
	m.Header.Set("KV-Operation", "DEL")
	b.publish(m)
}

// Remove removes key and leaves a purge marker that the server drops
// after markerTTL, so a key that comes and goes (one per comment) leaves
// no subject behind in the bucket. The bucket must allow message TTLs
// (its LimitMarkerTTL set). Readers watching then see the removal; one
// that was away longer than markerTTL misses it.
func (b *Batch) Remove(key string, markerTTL time.Duration) {
	m := &nats.Msg{Subject: b.prefix + key, Header: nats.Header{}}
	m.Header.Set("KV-Operation", "PURGE")
	m.Header.Set(jetstream.MsgRollup, jetstream.MsgRollupSubject)
	m.Header.Set(jetstream.MsgTTLHeader, markerTTL.String())
	b.publish(m)
}

// Wait returns once every write published so far is acknowledged, or the
// first failure.
func (b *Batch) Wait(ctx context.Context) error { return b.p.wait(ctx) }

func (b *Batch) publish(m *nats.Msg) {
	b.n++
	if b.p.coalesce {
		// Only the last write of a key before the step ends is
		// published (flush): a rebuild writes most comments twice in a
		// few events, submitted then decided.
		if b.held == nil {
			b.held = map[string]heldWrite{}
		}
		if h, ok := b.held[m.Subject]; ok && h.created && m.Header.Get("KV-Operation") != "" {
			delete(b.held, m.Subject) // created and removed in one step
			return
		}
		b.held[m.Subject] = heldWrite{m: m}
		return
	}
	if _, err := b.p.js.PublishMsgAsync(m, jetstream.WithStallWait(b.p.stall)); err != nil {
		b.p.fail(fmt.Errorf("projections: write %s: %w", m.Subject, err))
	}
}

// WriteError is a view write the server did not acknowledge. The
// projector drops its caches and resumes from the views' checkpoints.
type WriteError struct{ Err error }

func (e *WriteError) Error() string { return e.Err.Error() }
func (e *WriteError) Unwrap() error { return e.Err }

type pipelineView struct {
	w     ViewWriter
	batch *Batch
	saved uint64 // the checkpoint in the bucket
}

// pipeline writes the views from the log: it folds each event into the
// state of the comment it names (from a bounded cache, or the comment
// view), hands the update to every view above its checkpoint, and
// checkpoints every view once its writes are acknowledged.
type pipeline struct {
	log      *events.Log
	comments *StatusView
	views    []*pipelineView // the comment view first
	js       jetstream.JetStream
	logger   *slog.Logger
	stall    time.Duration
	timeout  time.Duration
	cache    *lru[string, *cachedComment]
	applied  uint64 // the newest sequence handed to the views
	pending  int    // events since the last checkpoint

	// every is how many events go between checkpoints (checkpointEvery
	// for the live pipeline; a rebuild takes larger steps). assumeNew: the
	// comment view started empty at sequence 1 (a rebuild), so a
	// submission's comment is new and needs no KV get to learn so.
	every     int
	assumeNew bool
	// coalesce holds each view's writes until the step ends and publishes
	// only the last of each key (a rebuild: nobody reads its buckets yet).
	coalesce bool
	// overlap is how many ended steps may wait for their acknowledgements
	// while the next is folded (a rebuild); 0: each step's checkpoint
	// waits for its writes before the next event (the live pipeline).
	overlap int
	steps   []*step // ended steps not all acknowledged yet, oldest first

	// applyMu is held while an event is applied, and by a rebuild while
	// it switches views (rebuild.go): views, comments and cache change
	// only under it.
	applyMu sync.Mutex

	// observe, when set, is shown every update after its fold (the
	// projector's latency metrics).
	observe func(*Update)
	// dirtySince is when the oldest event not yet checkpointed was applied
	// (unix nanos; 0 when every view is checkpointed).
	dirtySince atomic.Int64

	mu     sync.Mutex
	failed error
}

// cachedComment is the comment's state after the last event the pipeline
// folded, and what the comment view holds when that is newer.
type cachedComment struct {
	state  CommentState
	stored *CommentState
	// legacy: the view's entry is of the status-only format; the state
	// comes from the log at the next event.
	legacy bool
}

// step is the writes of one checkpoint step of a rebuild, published when
// it ended. Its checkpoint is published once every write of it and of the
// steps before it is acknowledged.
type step struct {
	seq          uint64 // the last sequence folded into it
	acks         []jetstream.PubAckFuture
	acked        int  // acks[:acked] are acknowledged
	checkpointed bool // its checkpoints are among acks
}

const (
	// pipelineWindow bounds the writes in flight.
	pipelineWindow = 4096
	// minCommentCache keeps every comment written since the last
	// checkpoint in the cache (an event touches at most two), so that a
	// miss never reads a key whose write is still in flight.
	minCommentCache = 4 * checkpointEvery
	// DefaultCommentCache is how many comment states the projector keeps.
	DefaultCommentCache = 20000
)

func newPipeline(log *events.Log, comments *StatusView, views []ViewWriter, cacheSize int, logger *slog.Logger) (*pipeline, error) {
	// A write to a bucket whose leader just died is answered by nobody:
	// after 5 s (kv.Put's own default) the pipeline resumes from the
	// checkpoints, by then on the new leader.
	p := &pipeline{log: log, comments: comments, logger: logger, stall: 5 * time.Second, timeout: 5 * time.Second, every: checkpointEvery}
	js, err := jetstream.New(comments.js.Conn(),
		jetstream.WithPublishAsyncMaxPending(pipelineWindow),
		jetstream.WithPublishAsyncTimeout(p.timeout),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, m *nats.Msg, err error) {
			p.fail(fmt.Errorf("projections: write %s: %w", m.Subject, err))
		}))
	if err != nil {
		return nil, err
	}
	p.js = js
	p.cache = newLRU[string, *cachedComment](max(cacheSize, minCommentCache), nil)
	all := append([]ViewWriter{commentWriter{comments}}, views...)
	for _, w := range all {
		p.views = append(p.views, &pipelineView{w: w, batch: &Batch{p: p, prefix: "$KV." + w.Bucket().Bucket() + "."}})
	}
	return p, nil
}

func (p *pipeline) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failed == nil {
		p.failed = err
	}
}

func (p *pipeline) err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failed != nil {
		return &WriteError{p.failed}
	}
	return nil
}

// start reads the checkpoints after a start or a failure, drops the
// caches, and returns the sequence to follow from.
func (p *pipeline) start(ctx context.Context) (uint64, error) {
	p.applyMu.Lock()
	defer p.applyMu.Unlock()
	p.mu.Lock()
	p.failed = nil
	p.mu.Unlock()
	p.cache.clear()
	p.steps = nil
	from := uint64(0)
	for i, v := range p.views {
		v.w.Reset()
		v.batch.n = 0
		clear(v.batch.held)
		cp, err := readCheckpoint(ctx, v.w.Bucket())
		if err != nil {
			return 0, err
		}
		if i == 0 {
			// The comment view is checked against the log before it is
			// trusted; one that does not match it (its keys lost, or
			// another log's) is rebuilt in place with the others, from
			// sequence 1: the per-key seq guard keeps what still holds.
			if err := verifyAgainstLog(ctx, p.log, cp, func(id string) (bool, error) { return p.knownComment(ctx, id) }); errors.Is(err, errMismatch) {
				p.logger.Warn("views do not match the log; rebuilding them from sequence 1", "err", err)
				for _, v := range p.views {
					v.saved = 0
				}
				p.applied, p.pending = 0, 0
				return 1, nil
			} else if err != nil {
				return 0, err
			}
		}
		v.saved = cp
		if i == 0 || cp < from {
			from = cp
		}
	}
	p.applied, p.pending = from, 0
	return from + 1, nil
}

// knownComment reports whether the comment view holds id (an entry from
// before it kept whole states counts; ids it never stores count too).
func (p *pipeline) knownComment(ctx context.Context, id string) (bool, error) {
	if !ValidCommentKey(id) {
		return true, nil
	}
	_, err := p.comments.state(ctx, id)
	switch {
	case err == nil, errors.Is(err, errStatusOnly):
		return true, nil
	case errors.Is(err, events.ErrNotFound):
		return false, nil
	}
	return false, err
}

// wait returns once every write so far is acknowledged, or the first
// failure.
func (p *pipeline) wait(ctx context.Context) error {
	if p.overlap > 0 {
		if err := p.endStep(ctx); err != nil {
			return err
		}
		return p.settle(ctx, 0)
	}
	for _, v := range p.views {
		v.batch.flush(nil)
	}
	if p.js.PublishAsyncPending() > 0 {
		t := time.NewTimer(p.timeout + time.Second)
		defer t.Stop()
		select {
		case <-p.js.PublishAsyncComplete():
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			p.fail(errors.New("projections: view writes not acknowledged in time"))
		}
	}
	return p.err()
}

// apply hands one event to the views; caughtUp says that the stream has
// nothing after it (a checkpoint is due). An undecodable event (err set)
// only moves the checkpoints on.
func (p *pipeline) apply(ctx context.Context, e events.Envelope, decodeErr error, live, caughtUp bool) error {
	p.applyMu.Lock()
	defer p.applyMu.Unlock()
	if e.Seq <= p.applied {
		return nil
	}
	if decodeErr == nil {
		// An erasure is one update per comment it names, each folded and
		// written like a comment's own event.
		each := []events.Envelope{e}
		if e.Type == events.AuthorErased {
			if err := p.destroyKeys(ctx, e); err != nil {
				return err
			}
			each = ErasedComments(e)
		}
		for _, e := range each {
			if err := p.update(ctx, e, live); err != nil {
				return err
			}
		}
		if err := p.err(); err != nil {
			return err
		}
	}
	p.applied = e.Seq
	if p.pending == 0 {
		p.dirtySince.Store(time.Now().UnixNano())
	}
	p.pending++
	switch {
	case caughtUp:
		return p.checkpoint(ctx)
	case p.pending < p.every:
		return nil
	case p.overlap > 0:
		return p.endStep(ctx)
	}
	return p.checkpoint(ctx)
}

// endStep publishes the step's writes and returns while their
// acknowledgements come, so that the next step is folded meanwhile; it
// waits only while more than overlap ended steps are not acknowledged.
func (p *pipeline) endStep(ctx context.Context) error {
	s := &step{seq: p.applied}
	for _, v := range p.views {
		s.acks = v.batch.flush(s.acks)
	}
	p.steps = append(p.steps, s)
	p.pending = 0
	return p.settle(ctx, p.overlap)
}

// settle publishes the checkpoints of the ended steps whose writes are
// acknowledged, oldest first, and forgets a step once its checkpoints are
// acknowledged too; it waits for the oldest while more than keep are left.
// A view's checkpoint is so never ahead of a write the server has not
// stored: a crash resumes at a sequence whose writes all landed.
func (p *pipeline) settle(ctx context.Context, keep int) error {
	for len(p.steps) > 0 {
		s := p.steps[0]
		done, err := p.acknowledged(ctx, s, len(p.steps) > keep)
		if err != nil || !done {
			return err
		}
		if s.checkpointed {
			p.steps = p.steps[1:]
			continue
		}
		s.checkpointed = true
		cp := []byte(strconv.FormatUint(s.seq, 10))
		for _, v := range p.views {
			if s.seq <= v.saved {
				continue
			}
			f, err := p.js.PublishMsgAsync(&nats.Msg{Subject: v.batch.prefix + checkpointKey, Data: cp}, jetstream.WithStallWait(p.stall))
			if err != nil {
				return &WriteError{fmt.Errorf("projections: %s checkpoint: %w", v.w.Bucket().Bucket(), err)}
			}
			s.acks = append(s.acks, f)
			v.saved, v.batch.n = s.seq, 0
		}
	}
	return p.err()
}

// acknowledged reports whether the server acknowledged every write of s;
// with block it waits for them (at most the write timeout).
func (p *pipeline) acknowledged(ctx context.Context, s *step, block bool) (bool, error) {
	var timeout <-chan time.Time
	for ; s.acked < len(s.acks); s.acked++ {
		f := s.acks[s.acked]
		select {
		case <-f.Ok():
			continue
		case err := <-f.Err():
			return false, &WriteError{fmt.Errorf("projections: write %s: %w", f.Msg().Subject, err)}
		default:
		}
		if !block {
			return false, nil
		}
		if timeout == nil {
			t := time.NewTimer(p.timeout + time.Second)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return false, &WriteError{fmt.Errorf("projections: write %s: %w", f.Msg().Subject, err)}
		case <-ctx.Done():
			return false, ctx.Err()
		case <-timeout:
			return false, &WriteError{errors.New("projections: view writes not acknowledged in time")}
		}
	}
	return true, nil
}

// destroyKeys destroys the keys an erasure names before the views are
// rewritten: an admin's erasure through the api appends the event, and the
// projector, which holds the permission the api lacks, destroys the keys.
// An operator's erasure destroyed them already; again is harmless.
func (p *pipeline) destroyKeys(ctx context.Context, e events.Envelope) error {
	keys := p.log.Keys()
	var x events.Erasure
	if keys == nil || e.Payload(&x) != nil {
		return nil
	}
	if err := keys.Destroy(ctx, x.AuthorKey, x.Keys); err != nil {
		return &WriteError{fmt.Errorf("projections: erasure %s: %w", e.ID, err)}
	}
	return nil
}

func (p *pipeline) update(ctx context.Context, e events.Envelope, live bool) error {
	u := &Update{Event: e, Live: live}
	if e.Comment != "" && ValidCommentKey(e.Comment) {
		if err := p.fold(ctx, u); err != nil {
			return err
		}
	}
	if p.observe != nil {
		p.observe(u)
	}
	for _, v := range p.views {
		if e.Seq <= v.saved {
			continue
		}
		if err := v.w.Apply(ctx, u, v.batch); err != nil {
			return err
		}
	}
	return nil
}

// fold sets u's Change and Latest from the comment's state before the
// event.
func (p *pipeline) fold(ctx context.Context, u *Update) error {
	e := u.Event
	var c *cachedComment
	var err error
	if _, cached := p.cache.get(e.Comment); p.assumeNew && !cached && e.Type == events.CommentSubmitted {
		c = &cachedComment{}
		p.cache.put(e.Comment, c)
	} else if c, err = p.load(ctx, e.Comment); err != nil {
		return err
	}
	if c.legacy {
		before, err := p.replayed(ctx, c.state, e.Seq)
		if err != nil {
			return err
		}
		if before.ID != "" {
			if err := p.place(ctx, &before); err != nil {
				return err
			}
		}
		c.state, c.legacy = before, false
	} else if c.state.ID != "" && c.state.Seq >= e.Seq {
		// The comment view got ahead of this event: its write landed
		// before a crash, after the last checkpoint. The state before
		// the event comes from the comment's history in the log.
		stored := c.state
		before, err := p.replayed(ctx, stored, e.Seq)
		if err != nil {
			return err
		}
		c.state, c.stored = before, &stored
	}
	f := Fold(c.state.Comment, e)
	ch := StateChange{Before: c.state, After: CommentState{Comment: f.After, Depth: c.state.Depth, Ancestors: c.state.Ancestors}, Changed: f.Changed}
	if f.Changed && f.Before.ID == "" {
		if err := p.place(ctx, &ch.After); err != nil {
			return err
		}
	}
	c.state = ch.After
	if c.stored != nil && c.state.Seq >= c.stored.Seq {
		c.stored = nil
	}
	u.Change, u.Latest = ch, ch.After
	if c.stored != nil {
		u.Latest = *c.stored
	}
	if c.state.ID == "" {
		p.cache.remove(e.Comment) // an event of an unknown comment: keep nothing
	}
	return nil
}

// place sets a new comment's depth and ancestors from its parent's.
func (p *pipeline) place(ctx context.Context, c *CommentState) error {
	if c.ParentID == "" {
		return nil
	}
	c.Depth = 1
	if !ValidCommentKey(c.ParentID) {
		return nil
	}
	parent, err := p.load(ctx, c.ParentID)
	if err != nil {
		return err
	}
	if parent.state.ID == "" {
		p.cache.remove(c.ParentID)
		return nil
	}
	c.Depth = parent.state.Depth + 1
	if parent.state.Article == c.Article {
		c.Ancestors = append([]string{c.ParentID}, parent.state.Ancestors...)
		if len(c.Ancestors) > maxStoredAncestors {
			c.Ancestors = c.Ancestors[:maxStoredAncestors]
		}
	}
	return nil
}

// load returns the cached state of a comment, reading the comment view on
// a miss.
func (p *pipeline) load(ctx context.Context, id string) (*cachedComment, error) {
	if c, ok := p.cache.get(id); ok {
		return c, nil
	}
	st, err := p.comments.state(ctx, id)
	legacy := errors.Is(err, errStatusOnly)
	if err != nil && !legacy && !errors.Is(err, events.ErrNotFound) {
		return nil, err
	}
	c := &cachedComment{state: st, legacy: legacy}
	if legacy {
		c.state.ID = id
	}
	p.cache.put(id, c)
	return c, nil
}

// replayed folds the comment's history before seq: its state then.
func (p *pipeline) replayed(ctx context.Context, stored CommentState, seq uint64) (CommentState, error) {
	hist, err := p.log.History(ctx, stored.Article, stored.ID)
	if err != nil && !errors.Is(err, events.ErrNotFound) {
		return CommentState{}, err
	}
	var c Comment
	for _, e := range hist {
		if e.Seq >= seq {
			break
		}
		c = Fold(c, e).After
	}
	if c.ID == "" {
		return CommentState{}, nil
	}
	return CommentState{Comment: c, Depth: stored.Depth, Ancestors: stored.Ancestors}, nil
}

// checkpoint waits until every write is acknowledged, then saves each
// view's checkpoint.
func (p *pipeline) checkpoint(ctx context.Context) error {
	if err := p.wait(ctx); err != nil {
		return err
	}
	seq := p.applied
	for _, v := range p.views {
		if seq <= v.saved {
			continue
		}
		if _, err := v.w.Bucket().Put(ctx, checkpointKey, []byte(strconv.FormatUint(seq, 10))); err != nil {
			return &WriteError{fmt.Errorf("projections: %s checkpoint: %w", v.w.Bucket().Bucket(), err)}
		}
		v.saved, v.batch.n = seq, 0
	}
	p.pending = 0
	p.dirtySince.Store(0)
	return nil
}

// uncheckpointedFor is how long the oldest event not yet checkpointed has
// waited; 0 when every view is checkpointed.
func (p *pipeline) uncheckpointedFor() time.Duration {
	at := p.dirtySince.Load()
	if at == 0 {
		return 0
	}
	return max(time.Since(time.Unix(0, at)), 0)
}

func readCheckpoint(ctx context.Context, kv jetstream.KeyValue) (uint64, error) {
	e, err := kv.Get(ctx, checkpointKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("projections: %s checkpoint: %w", kv.Bucket(), err)
	}
	seq, err := strconv.ParseUint(string(e.Value()), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("projections: %s checkpoint %q: %w", kv.Bucket(), e.Value(), err)
	}
	return seq, nil
}

// commentWriter writes the comment view: status.<id> → the comment's full
// state, whenever an event was applied to it.
type commentWriter struct{ v *StatusView }

func (w commentWriter) Bucket() jetstream.KeyValue { return w.v.kv }
func (w commentWriter) Reset()                     {}

func (w commentWriter) Apply(_ context.Context, u *Update, b *Batch) error {
	// Latest ahead of the change: the view holds that event already. An
	// erasure leaves the comment's Seq as it was (Fold) and is written
	// when it changed the comment.
	if !u.Touched() && !u.Erased() || u.Latest.Seq > u.Change.After.Seq {
		return nil
	}
	return b.PutJSON(statusPrefix+u.Change.After.ID, u.Change.After)
}
