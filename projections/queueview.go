package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsroom/commentd/events"
)

// QueuesBucket is the moderation queues view. Its keys:
//
//	held.<comment>      QueueEntry: a comment waiting for a person
//	reported.<comment>  QueueEntry: a visible comment readers reported since a person last decided it
//	reports.<comment>   ReportsEntry: the readers who reported it, each once
//	pending.<comment>   PendingEntry: a comment the rules have not decided yet
//	checkpoint          the stream sequence the view reflects
//
// The queues and pending keys are few (what waits), so an api process
// watches them into memory; reports are read one comment at a time. The
// projector role is the only writer.
const QueuesBucket = "VIEW_QUEUES"

const (
	reportsPrefix = "reports."
	pendingPrefix = "pending."
	// MaxReporters bounds the reporter ids one comment's reports keep, so
	// a comment the whole internet reports stays one value of a few
	// hundred kilobytes. Past it each further report is counted as a new
	// reader (readers who report twice may then count twice).
	MaxReporters = 5000
	// markerTTL is how long the marker of a removed key stays (the
	// queues' keys, an erased author's facts): every comment's pending key
	// is removed at its first decision, and a marker kept for ever would
	// leave one subject per comment in the bucket. Only a watch in
	// progress needs it: a reader copies the whole view again at every
	// new watch (watchKeys), and the stall check restarts a watch two
	// ticks behind once it has loaded. A watch still loading when a
	// marker expires misses that removal; the first load takes seconds
	// (2 s for an api at 1M comments). Every watch starting delivers the
	// markers still there: at 1,000 comments a second 60,000 of them,
	// rather than 900,000 with 15 minutes.
	markerTTL = time.Minute
)

// queueKey is the key of comment id in queue q.
func queueKey(q Queue, id string) string { return string(q) + "." + id }

// QueueEntry is the value of held.<id> and reported.<id>: the comment as
// a moderator sees it in the queue, with its reports.
type QueueEntry struct {
	Comment Comment `json:"comment"`
	Reports Reports `json:"reports"`
	Seq     uint64  `json:"seq"`
}

// ReportsEntry is the value of reports.<id>.
type ReportsEntry struct {
	// Reporters are the readers who ever reported the comment, at most
	// MaxReporters of them; Total counts every one.
	Reporters []string `json:"reporters"`
	Total     int      `json:"total"`
	// Open are the reports since a person last decided the comment.
	Open []Report `json:"open,omitempty"`
	Seq  uint64   `json:"seq"`
}

// Summary is what a moderator sees of the reports.
func (r ReportsEntry) Summary() Reports {
	out := Reports{Open: len(r.Open), Total: r.Total}
	if len(r.Open) > 0 {
		out.Reasons = make(map[string]int)
		for _, o := range r.Open {
			out.Reasons[o.Reason]++
		}
	}
	return out
}

// PendingEntry is the value of pending.<id>: when a comment the rules
// have not decided was submitted.
type PendingEntry struct {
	CreatedAt time.Time `json:"created_at"`
	Seq       uint64    `json:"seq"`
}

// OpenQueuesView creates the bucket, or updates it to replicas. It is for
// provisioning (the operator's identity); the roles attach.
func OpenQueuesView(ctx context.Context, js jetstream.JetStream, replicas int) error {
	return openView(ctx, js, jetstream.KeyValueConfig{
		Bucket:      QueuesBucket,
		Description: "Moderation queues view: held.<comment>, reported.<comment>, reports.<comment>, pending.<comment>, checkpoint.",
		// Removed keys leave markers that expire (Batch.Remove).
		LimitMarkerTTL: markerTTL,
	}, replicas)
}

func openView(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig, replicas int) error {
	if replicas == 0 {
		replicas = 1
	}
	cfg.Storage, cfg.Replicas, cfg.History = jetstream.FileStorage, replicas, 1
	bucket := cfg.Bucket
	_, err := js.CreateOrUpdateKeyValue(ctx, cfg)
	if err != nil {
		return fmt.Errorf("projections: %s bucket: %w", bucket, err)
	}
	return nil
}

// attachView opens a provisioned bucket without changing it.
func attachView(ctx context.Context, js jetstream.JetStream, bucket string) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, bucket)
	if err != nil {
		return nil, fmt.Errorf("projections: view bucket %s: %w", bucket, err)
	}
	return kv, nil
}

// getJSON reads key into v; found is false when the key does not exist.
func getJSON(ctx context.Context, kv jetstream.KeyValue, key string, v any) (found bool, err error) {
	e, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		// A view that cannot be read now: an outage, retried (503).
		return false, fmt.Errorf("%w: projections: %s %s: %w", events.ErrUnavailable, kv.Bucket(), key, err)
	}
	if err := json.Unmarshal(e.Value(), v); err != nil {
		return false, fmt.Errorf("projections: %s %s: %w", kv.Bucket(), key, err)
	}
	return true, nil
}

// viewCacheSize is how many values a writer keeps: more than an event
// touches between two checkpoints, so a value written since the last
// checkpoint (perhaps not yet stored) is never read back from the bucket.
const viewCacheSize = 8 * checkpointEvery

// reportsState is a cached reports.<id> with its reporters as a set.
type reportsState struct {
	entry ReportsEntry
	set   map[string]bool
}

// QueuesWriter writes VIEW_QUEUES for the projector.
type QueuesWriter struct {
	kv      jetstream.KeyValue
	reports *lru[string, *reportsState]
}

var _ ViewWriter = (*QueuesWriter)(nil)

// NewQueuesWriter writes the view in kv (attached by the projector role).
func NewQueuesWriter(kv jetstream.KeyValue) *QueuesWriter {
	return newQueuesWriter(kv, viewCacheSize)
}

func newQueuesWriter(kv jetstream.KeyValue, cache int) *QueuesWriter {
	return &QueuesWriter{kv: kv, reports: newLRU[string, *reportsState](max(cache, viewCacheSize), nil)}
}

// AttachQueuesWriter attaches the provisioned bucket for writing.
func AttachQueuesWriter(ctx context.Context, js jetstream.JetStream) (*QueuesWriter, error) {
	kv, err := attachView(ctx, js, QueuesBucket)
	if err != nil {
		return nil, err
	}
	return NewQueuesWriter(kv), nil
}

func (w *QueuesWriter) Bucket() jetstream.KeyValue { return w.kv }

// Into is the same view written into kv, for a rebuild (Rebuildable).
func (w *QueuesWriter) Into(kv jetstream.KeyValue, keys int) ViewWriter {
	return newQueuesWriter(kv, keys)
}
func (w *QueuesWriter) Reset() { w.reports.clear() }

func (w *QueuesWriter) loadReports(ctx context.Context, id string) (*reportsState, error) {
	if rs, ok := w.reports.get(id); ok {
		return rs, nil
	}
	rs := &reportsState{set: make(map[string]bool)}
	if _, err := getJSON(ctx, w.kv, reportsPrefix+id, &rs.entry); err != nil {
		return nil, err
	}
	for _, r := range rs.entry.Reporters {
		rs.set[r] = true
	}
	w.reports.put(id, rs)
	return rs, nil
}

// putReports writes rs.entry, which changes only with the next
// putReports of the same comment (PutJSON may marshal it later).
func (w *QueuesWriter) putReports(b *Batch, id string, rs *reportsState) error {
	return b.PutJSON(reportsPrefix+id, &rs.entry)
}

// Apply writes what one event changed in the queues.
func (w *QueuesWriter) Apply(ctx context.Context, u *Update, b *Batch) error {
	e, ch := u.Event, u.Change
	if ch.After.ID == "" {
		return nil // no comment, or one never submitted
	}
	id := ch.After.ID
	if u.Erased() {
		// The author was erased: a queued item is written again without
		// its personal fields (the comment's newest state, as the
		// articles view does).
		rs, err := w.loadReports(ctx, id)
		if err != nil {
			return err
		}
		rep := rs.entry.Summary()
		return w.requeue(b, u.Latest.Comment, rep, u.Latest.Comment, rep, u.Latest.Seq, false)
	}
	// ahead: the view holds writes of later events already (they came
	// again after a crash); deletes are then made whether or not the
	// key is there, and later events set what stays.
	ahead := u.Latest.Seq > ch.After.Seq
	switch {
	case e.Type == events.CommentSubmitted || e.Type == events.CommentEdited || e.Type.IsDecision():
		if !u.Touched() {
			return nil
		}
		// Touched but not changed (a duplicate submission, a rules
		// decision after a person's): only the comment's seq moved, the
		// next decision's expected sequence, which a queue entry shows.
		if e.Type == events.CommentSubmitted {
			if ch.Changed && ch.Before.ID == "" && ch.After.Status == Pending {
				if err := b.Create(pendingPrefix+id, PendingEntry{CreatedAt: ch.After.CreatedAt, Seq: e.Seq}); err != nil {
					return err
				}
			}
			if ch.Before.ID == "" {
				return nil // new: in no queue
			}
		}
		if ch.Changed && ch.After.Status != Pending && (ch.Before.Status == Pending || ahead) {
			b.Remove(pendingPrefix+id, markerTTL)
		}
		human := ch.Changed && e.Type.IsDecision() && events.IsHuman(e.Actor)
		// Readers report only visible comments, so a comment's first
		// decision (from pending) finds no reports: no read then, which
		// is every submission's case.
		var before, after Reports
		var rs *reportsState
		if ch.Before.Status != Pending || human {
			var err error
			if rs, err = w.loadReports(ctx, id); err != nil {
				return err
			}
			ahead = ahead || rs.entry.Seq >= e.Seq
			before = rs.entry.Summary()
			if human && !ahead && len(rs.entry.Open) > 0 {
				// A person looked at it: the reports so far are answered.
				rs.entry.Open, rs.entry.Seq = nil, e.Seq
			} else {
				rs = nil // unchanged
			}
			after = before
			if rs != nil {
				after = rs.entry.Summary()
			}
		}
		// The queue keys before the reports key: a crash between them
		// leaves the reports key older, and the event is applied again.
		if err := w.requeue(b, ch.Before.Comment, before, ch.After.Comment, after, e.Seq, ahead); err != nil {
			return err
		}
		if rs != nil {
			return w.putReports(b, id, rs)
		}
	case e.Type == events.CommentReported:
		var p events.Reported
		if e.Payload(&p) != nil || p.ReporterID == "" {
			return nil
		}
		rs, err := w.loadReports(ctx, id)
		if err != nil {
			return err
		}
		if rs.entry.Seq >= e.Seq {
			// Applied before a crash: the queue keys may have been
			// written since by an event that came again without reading
			// the reports (a first decision); set them from what is.
			return w.requeue(b, ch.After.Comment, rs.entry.Summary(), ch.After.Comment, rs.entry.Summary(), e.Seq, true)
		}
		if rs.set[p.ReporterID] {
			return nil // a reader counts once
		}
		before := rs.entry.Summary()
		if len(rs.entry.Reporters) < MaxReporters {
			rs.entry.Reporters = append(rs.entry.Reporters, p.ReporterID)
			rs.set[p.ReporterID] = true
		}
		rs.entry.Total++
		rs.entry.Open = append(rs.entry.Open, Report{Reason: p.Reason, ReporterID: p.ReporterID, At: e.OccurredAt})
		rs.entry.Seq = e.Seq
		if err := w.requeue(b, ch.After.Comment, before, ch.After.Comment, rs.entry.Summary(), e.Seq, ahead); err != nil {
			return err
		}
		return w.putReports(b, id, rs)
	}
	return nil
}

// inQueue says whether a comment in that state, with those reports,
// belongs in queue q.
func inQueue(q Queue, c Comment, r Reports) bool {
	switch q {
	case QueueHeld:
		return c.AwaitsModerator()
	case QueueReported:
		return c.Status == Approved && r.Open > 0
	}
	return false
}

// requeue puts the comment into the queues it belongs in now and removes
// it from those it left. A key is removed only when it was there (or the
// view is ahead): even an expiring marker is a message the bucket keeps
// for a while.
func (w *QueuesWriter) requeue(b *Batch, before Comment, beforeRep Reports, after Comment, afterRep Reports, seq uint64, ahead bool) error {
	for _, q := range Queues {
		was, now := inQueue(q, before, beforeRep), inQueue(q, after, afterRep)
		switch {
		case now:
			if err := b.PutJSON(queueKey(q, after.ID), QueueEntry{Comment: after, Reports: afterRep, Seq: seq}); err != nil {
				return err
			}
		case was || ahead:
			b.Remove(queueKey(q, after.ID), markerTTL)
		}
	}
	return nil
}

// sortedQueue is a queue's entries in submission order.
type sortedQueue []*QueueEntry

func (l sortedQueue) find(seq uint64) (int, bool) {
	return slices.BinarySearchFunc(l, seq, func(e *QueueEntry, s uint64) int {
		switch {
		case e.Comment.SubmittedSeq < s:
			return -1
		case e.Comment.SubmittedSeq > s:
			return 1
		}
		return 0
	})
}

func (l *sortedQueue) set(e *QueueEntry) {
	i, ok := l.find(e.Comment.SubmittedSeq)
	if ok {
		(*l)[i] = e
		return
	}
	*l = slices.Insert(*l, i, e)
}

func (l *sortedQueue) remove(seq uint64) {
	if i, ok := l.find(seq); ok {
		*l = slices.Delete(*l, i, i+1)
	}
}

// queueIndex is one queue in memory: by id, and in submission order.
type queueIndex struct {
	byID  map[string]*QueueEntry
	order sortedQueue
}

// queuesCopy is one watch's copy of the queues and pending keys.
type queuesCopy struct {
	queues  map[Queue]*queueIndex
	pending map[string]time.Time
	applied uint64 // the checkpoint, as last watched
}

func newQueuesCopy() *queuesCopy {
	c := &queuesCopy{queues: make(map[Queue]*queueIndex), pending: make(map[string]time.Time)}
	for _, q := range Queues {
		c.queues[q] = &queueIndex{byID: make(map[string]*QueueEntry)}
	}
	return c
}

// QueuesView is an api process's copy of the queues and pending keys of
// VIEW_QUEUES, kept current by one watcher; reports are read on demand.
// It follows the bucket serving the view (SetBucket, Catalog.FollowQueues):
// after a rebuild, a copy of the new bucket is made while the old copy
// keeps answering, and replaces it once complete.
type QueuesView struct {
	followed

	mu    sync.RWMutex
	cur   *queuesCopy // what reads see
	next  *queuesCopy // being filled by a new watch, until complete
	ready chan struct{}

	onChange func(QueueChange)
}

// QueueChange is one queue entry the watcher applied: Before and After are
// nil where the queue did not hold the comment.
type QueueChange struct {
	Queue         Queue
	ID            string
	Before, After *QueueEntry
}

// OnChange sets f, told of each change of a queue the watcher applies
// once the view is loaded, on the watcher's goroutine, outside the view's
// lock. Set it before Run.
func (v *QueuesView) OnChange(f func(QueueChange)) { v.onChange = f }

// AttachQueues opens the provisioned bucket under its own name; Run fills
// the view. A process that must follow rebuilds uses Catalog.FollowQueues.
func AttachQueues(ctx context.Context, js jetstream.JetStream) (*QueuesView, error) {
	kv, err := attachView(ctx, js, QueuesBucket)
	if err != nil {
		return nil, err
	}
	v := NewQueuesView()
	v.SetBucket(kv)
	return v, nil
}

// NewQueuesView is a view with no bucket yet: SetBucket gives it one.
func NewQueuesView() *QueuesView {
	return &QueuesView{followed: newFollowed(), cur: newQueuesCopy(), ready: make(chan struct{})}
}

// Ready is closed once the watcher delivered every key that existed when
// it started.
func (v *QueuesView) Ready() <-chan struct{} { return v.ready }

// Run watches the queues and pending keys until ctx ends.
func (v *QueuesView) Run(ctx context.Context) error {
	return watchKeys(ctx, &v.followed, []string{string(QueueHeld) + ".>", string(QueueReported) + ".>", pendingPrefix + ">", checkpointKey}, v.ready, v.begin, v.install, v.apply)
}

// begin starts a new copy, filled by a new watch while the current one
// keeps answering.
func (v *QueuesView) begin() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.next = newQueuesCopy()
}

// install makes the new copy, now complete, the one reads see.
func (v *QueuesView) install() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.next != nil {
		v.cur, v.next = v.next, nil
	}
}

// followed is the bucket a watched view reads: a rebuild moves the view
// to another bucket (SetBucket), and the watcher starts over there.
type followed struct {
	kv       atomic.Pointer[jetstream.KeyValue]
	switched chan struct{} // a new bucket was set
}

func newFollowed() followed { return followed{switched: make(chan struct{}, 1)} }

// SetBucket makes kv the bucket the view reads (Catalog.Follow calls it
// after a rebuild): the watcher copies it, and the copy replaces the old
// one once complete; reads on demand go to kv at once.
func (f *followed) SetBucket(kv jetstream.KeyValue) {
	f.kv.Store(&kv)
	select {
	case f.switched <- struct{}{}:
	default:
	}
}

func (f *followed) bucket() jetstream.KeyValue {
	if p := f.kv.Load(); p != nil {
		return *p
	}
	return nil
}

// errSwitched ends a watch whose bucket no longer serves the view.
var errSwitched = errors.New("projections: the view moved to another bucket")

// watchKeys feeds apply every current value of the keys matching filters
// (which name the checkpoint key) into a new copy (begin), makes it the
// one that answers once complete (install), closes ready after the first
// such copy, then feeds every change until ctx ends. A watch is made anew,
// into a new copy while the old one keeps answering, when the view moves
// to another bucket (SetBucket), and when it falls silent while the
// bucket's checkpoint moves on (its consumer lost with a server, and not
// recovered).
func watchKeys(ctx context.Context, f *followed, filters []string, ready chan struct{}, begin, install func(), apply func(jetstream.KeyValueEntry)) error {
	first := true
	for {
		kv := f.bucket()
		for kv == nil {
			select {
			case <-ctx.Done():
				return nil
			case <-f.switched:
			}
			kv = f.bucket()
		}
		select {
		case <-f.switched: // kv is the newest
		default:
		}
		begin()
		err := watchOnce(ctx, kv, filters, f.switched, func() {
			install()
			if first {
				first = false
				close(ready)
			}
		}, apply)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, errSwitched) {
			slog.Default().Info("view moved; watching the new bucket", "from", kv.Bucket(), "to", f.bucket().Bucket())
			continue
		}
		slog.Default().Warn("view watch stalled or ended; watching again", "bucket", kv.Bucket(), "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// stallCheck is how often a watch compares the checkpoint it saw with the
// bucket's.
const stallCheck = 2 * time.Second

// keyWatch is the merged delivery of one watch per filter: the entry,
// or nil once that filter's watch delivered every key it started with.
type keyWatch struct {
	e      jetstream.KeyValueEntry
	closed bool
}

// watchEach starts one KV watch per filter, the checkpoint's first, and
// merges what they deliver into one channel. One consumer with several
// filter subjects is what a KV watch of several filters makes, and the
// server delivers such a consumer's messages slowly when many subjects
// match and other subjects come between them (as in a view written
// comment by comment): 20,000 keys took 4–25 s here, against 60 ms for
// one filter. Each watch is ordered; the order between them is not.
func watchEach(ctx context.Context, kv jetstream.KeyValue, filters []string) (<-chan keyWatch, func(), error) {
	filters = slices.Clone(filters)
	slices.SortStableFunc(filters, func(a, b string) int {
		// The checkpoint first: what the key watches then deliver is at
		// least as new as the checkpoint the first delivers.
		switch {
		case a == checkpointKey && b != checkpointKey:
			return -1
		case b == checkpointKey && a != checkpointKey:
			return 1
		}
		return 0
	})
	out := make(chan keyWatch)
	done := make(chan struct{})
	var wg sync.WaitGroup
	var watchers []jetstream.KeyWatcher
	stop := func() {
		close(done)
		for _, w := range watchers {
			w.Stop()
		}
		wg.Wait()
	}
	for _, f := range filters {
		w, err := kv.Watch(ctx, f)
		if err != nil {
			stop()
			return nil, nil, fmt.Errorf("projections: watch %s %s: %w", kv.Bucket(), f, err)
		}
		watchers = append(watchers, w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				var kw keyWatch
				select {
				case <-done:
					return
				case e, ok := <-w.Updates():
					kw = keyWatch{e: e, closed: !ok}
				}
				select {
				case <-done:
					return
				case out <- kw:
				}
				if kw.closed {
					return
				}
			}
		}()
	}
	return out, stop, nil
}

func watchOnce(ctx context.Context, kv jetstream.KeyValue, filters []string, switched chan struct{}, loaded func(), apply func(jetstream.KeyValueEntry)) error {
	updates, stop, err := watchEach(ctx, kv, filters)
	if err != nil {
		return err
	}
	defer stop()
	tick := time.NewTicker(stallCheck)
	defer tick.Stop()
	var seen, behindAt uint64 // the checkpoint watched; the bucket's when it was found ahead
	// A watch that delivers is not stalled, and the first delivery of a
	// big view takes longer than a tick.
	loading, moved, toLoad := true, false, len(filters)
	began, keys := time.Now(), 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-switched:
			// Put back for watchKeys, which takes the new bucket.
			select {
			case switched <- struct{}{}:
			default:
			}
			return errSwitched
		case <-tick.C:
			if loading || moved {
				moved, behindAt = false, 0
				continue
			}
			stored, err := readCheckpoint(ctx, kv)
			switch {
			case err != nil:
			case stored <= seen:
				behindAt = 0
			case behindAt != 0 && seen < behindAt:
				return fmt.Errorf("projections: watch of %s at checkpoint %d, the bucket at %d", kv.Bucket(), seen, stored)
			default:
				behindAt = stored
			}
		case kw := <-updates:
			if kw.closed {
				return fmt.Errorf("projections: watch %s ended", kv.Bucket())
			}
			moved = true
			e := kw.e
			if e == nil {
				if toLoad--; toLoad == 0 {
					loading = false
					loaded()
					slog.Default().Info("view loaded", "bucket", kv.Bucket(), "keys", keys, "took", time.Since(began).Round(time.Millisecond))
				}
				continue
			}
			if loading {
				keys++
			}
			if e.Key() == checkpointKey && e.Operation() == jetstream.KeyValuePut {
				if seq, err := strconv.ParseUint(string(e.Value()), 10, 64); err == nil {
					seen = seq
				}
			}
			apply(e)
		}
	}
}

func (v *QueuesView) apply(e jetstream.KeyValueEntry) {
	if ch, live := v.applyEntry(e); live && v.onChange != nil {
		v.onChange(ch)
	}
}

// applyEntry applies one key; live: it changed a queue of the copy reads
// see.
func (v *QueuesView) applyEntry(e jetstream.KeyValueEntry) (ch QueueChange, live bool) {
	prefix, id, _ := strings.Cut(e.Key(), ".")
	del := e.Operation() != jetstream.KeyValuePut
	v.mu.Lock()
	defer v.mu.Unlock()
	st := v.next
	if st == nil {
		st = v.cur
	}
	if e.Key() == checkpointKey {
		if seq, err := strconv.ParseUint(string(e.Value()), 10, 64); err == nil && !del {
			st.applied = seq
		}
		return ch, false
	}
	if prefix+"." == pendingPrefix {
		if del {
			delete(st.pending, id)
			return ch, false
		}
		var p PendingEntry
		if json.Unmarshal(e.Value(), &p) == nil {
			st.pending[id] = p.CreatedAt
		}
		return ch, false
	}
	q := st.queues[Queue(prefix)]
	if q == nil {
		return ch, false
	}
	ch = QueueChange{Queue: Queue(prefix), ID: id}
	if old := q.byID[id]; old != nil {
		q.order.remove(old.Comment.SubmittedSeq)
		delete(q.byID, id)
		ch.Before = old
	}
	live = st == v.cur
	if del {
		return ch, live && ch.Before != nil
	}
	var qe QueueEntry
	if json.Unmarshal(e.Value(), &qe) != nil || qe.Comment.ID != id {
		return ch, live && ch.Before != nil
	}
	q.byID[id] = &qe
	q.order.set(&qe)
	ch.After = &qe
	return ch, live
}

// Applied is the view's checkpoint as this copy last saw it: the copy
// reflects the stream at least up to there, but for writes still in
// flight (each prefix is watched apart, the checkpoint too: watchEach).
func (v *QueuesView) Applied() uint64 {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.cur.applied
}

// Queue returns up to limit entries of queue q after the cursor (a
// SubmittedSeq from QueuePage.Next; 0 for the first page), oldest first,
// only of article when it is not empty. The items' author stats are not
// filled (Moderation.Queue does).
func (v *QueuesView) Queue(q Queue, article string, after uint64, limit int) QueuePage {
	v.mu.RLock()
	defer v.mu.RUnlock()
	idx := v.cur.queues[q]
	if idx == nil {
		return QueuePage{}
	}
	var p QueuePage
	if article == "" {
		p.Total = len(idx.order)
	}
	start, _ := idx.order.find(after + 1)
	for i, qe := range idx.order {
		if article != "" && qe.Comment.Article != article {
			continue
		}
		if article != "" {
			p.Total++
		}
		if i < start {
			continue
		}
		if len(p.Items) == limit {
			p.Next = p.Items[limit-1].SubmittedSeq
			if article == "" {
				break
			}
			continue
		}
		p.Items = append(p.Items, QueueItem{Comment: qe.Comment, Reports: qe.Reports})
	}
	return p
}

// QueueCounts is the number of items in each queue, of one article when
// article is not empty.
func (v *QueuesView) QueueCounts(article string) map[Queue]int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make(map[Queue]int, len(v.cur.queues))
	for q, idx := range v.cur.queues {
		if article == "" {
			out[q] = len(idx.order)
			continue
		}
		for _, qe := range idx.order {
			if qe.Comment.Article == article {
				out[q]++
			}
		}
	}
	return out
}

// OldestUndecided is when the oldest comment the rules have not decided
// was submitted; ok is false when every comment is decided.
func (v *QueuesView) OldestUndecided() (at time.Time, ok bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	for _, t := range v.cur.pending {
		if !ok || t.Before(at) {
			at, ok = t, true
		}
	}
	return at, ok
}

// UndecidedCollector answers comments_oldest_undecided_seconds from the
// view's pending keys.
func (v *QueuesView) UndecidedCollector() prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "comments_oldest_undecided_seconds", Help: "Age of the oldest submission the rules have not decided, from the queues view; 0 when none waits.",
	}, func() float64 {
		at, ok := v.OldestUndecided()
		if !ok {
			return 0
		}
		return max(time.Since(at).Seconds(), 0)
	})
}

// Reports reads the reports of one comment; the zero value when none.
func (v *QueuesView) Reports(ctx context.Context, id string) (ReportsEntry, error) {
	var r ReportsEntry
	if !ValidCommentKey(id) {
		return r, nil
	}
	_, err := getJSON(ctx, v.bucket(), reportsPrefix+id, &r)
	return r, err
}
