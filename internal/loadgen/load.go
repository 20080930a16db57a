package loadgen

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/moderation"
)

// Options says how to write a history.
type Options struct {
	// Window is how many publishes may wait for their ack at once
	// (default 4096).
	Window int
	// DrainWorker acks the workers' durable consumer up to the loaded
	// events, which the loader has decided itself, and creates the
	// consumer if it does not exist yet; without it the next worker
	// would take each loaded submission, find it decided, and ack it,
	// three round trips each. Only for a log nobody else writes to now
	// (a stopped install opened in-process, a test): a submission that is
	// not the loader's stops the drain and is left to the worker.
	DrainWorker bool
	// Progress, when set, is called after every 10,000 comments.
	Progress func(Result)
}

// Result is what a load wrote.
type Result struct {
	Comments, Events         int
	Approved, Held, Rejected int
	Replies                  int
	FirstSeq, LastSeq        uint64 // the loaded events' range in the stream
	Hottest                  string // the article with the most comments
	HottestComments          int
	HottestApproved          int // of which approved: what its pages list
	// Example names one loaded comment per outcome ("approve", "hold",
	// "reject": moderation.Action.String) and one reply ("reply").
	Example              map[string]string
	ArticlesWithComments int
	Drained              int           // loaded submissions acked on the workers' consumer
	DrainStopped         bool          // the drain met a submission the loader did not write
	Took                 time.Duration // the whole load
	DrainTook            time.Duration // of which acking the workers' consumer
	perArticle           map[int]int
	approvedIn           map[int]int
}

// Load writes cfg's history into the COMMENTS stream reached through js,
// with the newest published rule set deciding each comment. js must be
// allowed to publish every comment subject (the operator's credential).
func Load(ctx context.Context, js jetstream.JetStream, cfg Config, o Options) (Result, error) {
	began := time.Now()
	log, err := events.Attach(ctx, js)
	if err != nil {
		return Result{}, fmt.Errorf("loadgen: %w (provision first: start commentd once, or commentd --roles setup)", err)
	}
	rules, err := moderation.LatestRuleset(ctx, log)
	if errors.Is(err, events.ErrNotFound) {
		return Result{}, errors.New("loadgen: no rule set in the log yet: start commentd's worker once so it publishes one")
	}
	if err != nil {
		return Result{}, fmt.Errorf("loadgen: newest rule set: %w", err)
	}
	g, err := NewGenerator(cfg, rules)
	if err != nil {
		return Result{}, err
	}
	if o.Window <= 0 {
		o.Window = 4096
	}
	before, err := log.LastSeq(ctx)
	if err != nil {
		return Result{}, err
	}
	pub, err := jetstream.New(js.Conn(), jetstream.WithPublishAsyncMaxPending(o.Window))
	if err != nil {
		return Result{}, err
	}
	r := Result{perArticle: map[int]int{}, approvedIn: map[int]int{}, Example: map[string]string{}}
	w := &window{js: pub, max: o.Window}
	for !g.Done() {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		c, err := g.Next()
		if err != nil {
			return r, err
		}
		for _, e := range []events.Envelope{c.Submitted, c.Decision} {
			seq, err := w.publish(ctx, e)
			if err != nil {
				return r, fmt.Errorf("loadgen: after %d comments: %w", r.Comments, err)
			}
			r.LastSeq = max(r.LastSeq, seq)
			r.Events++
		}
		r.count(c)
		if o.Progress != nil && r.Comments%10_000 == 0 {
			r.Took = time.Since(began)
			o.Progress(r)
		}
	}
	last, err := w.flush(ctx)
	if err != nil {
		return r, fmt.Errorf("loadgen: after %d comments: %w", r.Comments, err)
	}
	r.LastSeq = max(r.LastSeq, last)
	r.FirstSeq = before + 1
	r.summarize()
	if o.DrainWorker {
		drained := time.Now()
		if err := drain(ctx, log, &r); err != nil {
			return r, err
		}
		r.DrainTook = time.Since(drained)
	}
	r.Took = time.Since(began)
	return r, nil
}

func (r *Result) count(c Comment) {
	r.Comments++
	if _, ok := r.Example[c.Action.String()]; !ok {
		r.Example[c.Action.String()] = c.Submitted.Comment
	}
	switch c.Action {
	case moderation.Approve:
		r.Approved++
		r.approvedIn[c.ArticleRank]++
	case moderation.Hold:
		r.Held++
	case moderation.Reject:
		r.Rejected++
	}
	if c.Reply {
		r.Replies++
		if _, ok := r.Example["reply"]; !ok {
			r.Example["reply"] = c.Submitted.Comment
		}
	}
	r.perArticle[c.ArticleRank]++
}

func (r *Result) summarize() {
	r.ArticlesWithComments = len(r.perArticle)
	for k, n := range r.perArticle {
		if n > r.HottestComments || n == r.HottestComments && Article(k) < r.Hottest {
			r.Hottest, r.HottestComments, r.HottestApproved = Article(k), n, r.approvedIn[k]
		}
	}
}

// window keeps at most max async publishes unacknowledged and checks every
// ack: a publish that failed stops the load (nothing is retried out of
// order).
type window struct {
	js      jetstream.JetStream
	max     int
	pending []jetstream.PubAckFuture
}

func (w *window) publish(ctx context.Context, e events.Envelope) (uint64, error) {
	subject, err := events.Subject(e)
	if err != nil {
		return 0, err
	}
	data, err := events.Encode(e)
	if err != nil {
		return 0, err
	}
	var last uint64
	if len(w.pending) >= w.max {
		if last, err = w.flush(ctx); err != nil {
			return 0, err
		}
	}
	f, err := w.js.PublishMsgAsync(&nats.Msg{Subject: subject, Data: data},
		jetstream.WithMsgID(e.ID), jetstream.WithExpectStream(events.StreamName))
	if err != nil {
		return 0, fmt.Errorf("publish %s: %w", e.Type, err)
	}
	w.pending = append(w.pending, f)
	return last, nil
}

// flush waits for every pending ack and returns the highest sequence.
func (w *window) flush(ctx context.Context) (uint64, error) {
	var last uint64
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for _, f := range w.pending {
		select {
		case ack := <-f.Ok():
			last = max(last, ack.Sequence)
		case err := <-f.Err():
			return 0, fmt.Errorf("publish to %s: %w", f.Msg().Subject, err)
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-timeout.C:
			return 0, fmt.Errorf("publish to %s: no ack in 30s", f.Msg().Subject)
		}
	}
	w.pending = w.pending[:0]
	return last, nil
}

// drain acks the loaded submissions on the workers' durable consumer,
// creating it as the worker does if it does not exist.
func drain(ctx context.Context, log *events.Log, r *Result) error {
	cons, err := log.Stream().Consumer(ctx, moderation.ConsumerName)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		cons, err = log.Stream().CreateConsumer(ctx, moderation.ConsumerConfig(moderation.DefaultConcurrency))
	}
	if err != nil {
		return fmt.Errorf("loadgen: the workers' consumer: %w", err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return fmt.Errorf("loadgen: the workers' consumer: %w", err)
	}
	for {
		batch, err := cons.Fetch(info.Config.MaxAckPending, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return fmt.Errorf("loadgen: the workers' consumer: %w", err)
		}
		var msgs []jetstream.Msg
		for msg := range batch.Messages() {
			msgs = append(msgs, msg)
		}
		for i, msg := range msgs {
			meta, err := msg.Metadata()
			if err != nil || meta.Sequence.Stream < r.FirstSeq || meta.Sequence.Stream > r.LastSeq {
				// Not ours: the worker decides it.
				_ = msg.Nak()
				r.DrainStopped = true
				continue
			}
			// The last ack of a batch waits for the server, so the next
			// fetch or Info counts every ack before it.
			if i == len(msgs)-1 {
				err = msg.DoubleAck(ctx)
			} else {
				err = msg.Ack()
			}
			if err != nil {
				return fmt.Errorf("loadgen: ack on the workers' consumer: %w", err)
			}
			r.Drained++
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return fmt.Errorf("loadgen: the workers' consumer: %w", err)
		}
		if r.DrainStopped {
			return nil
		}
		if len(msgs) > 0 {
			continue
		}
		if info, err = cons.Info(ctx); err != nil {
			return fmt.Errorf("loadgen: the workers' consumer: %w", err)
		}
		if info.NumPending == 0 && info.NumAckPending == 0 {
			return nil
		}
		if info.NumPending == 0 {
			// Delivered to someone else and not acked: a worker is
			// running after all, or an earlier one died; it is theirs.
			r.DrainStopped = true
			return nil
		}
	}
}
