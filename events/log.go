package events

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	codec "github.com/goccy/go-json"
)

// Config is what an operator may choose about the log.
type Config struct {
	Replicas int // 1 for one server, 3 on a cluster
	// DuplicateWindow is how long a retried publish with the same event id
	// is stored once. Beyond it the API and the worker rely on the read
	// models and on expected sequences to stay idempotent.
	DuplicateWindow time.Duration
	// OnAppend, when set, is called after each event is stored, for
	// metrics.
	OnAppend func(Type)
	// Timeout bounds each append and each Health check when the caller's
	// context allows longer (DefaultTimeout when 0). Without it a publish
	// with NATS down or during a leader election waits nats.go's 5 s.
	Timeout time.Duration
}

// DefaultTimeout is the bound of an append and of a Health check. A
// healthy cluster acks in milliseconds (p99 well under 25 ms); a leader
// election takes seconds, during which an answer of 503 with Retry-After
// within a second is worth more to a client than a wait.
const DefaultTimeout = time.Second

func (c *Config) setDefaults() {
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = 10 * time.Minute
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
}

// Log is the COMMENTS stream: the append-only source of truth.
type Log struct {
	js       jetstream.JetStream
	stream   jetstream.Stream
	onAppend func(Type)
	timeout  time.Duration
	// keys seals new submissions and opens stored ones (keys.go); nil
	// where the keys bucket was never provisioned: submissions are then
	// stored in plain text, and a sealed one does not open.
	keys *Keyring
	// contact: Decode opens a submission's e-mail address and language
	// too (WithContact); otherwise they read empty.
	contact bool
}

// Open creates the COMMENTS stream, or updates it to cfg, and returns the log.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*Log, error) {
	cfg.setDefaults()
	stream, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamName,
		Description: "Every event of the comment system; the source of truth.",
		Subjects:    StreamSubjects,
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Replicas:    cfg.Replicas,
		Duplicates:  cfg.DuplicateWindow,
		DenyDelete:  true,
		DenyPurge:   true,
	})
	if err != nil {
		return nil, fmt.Errorf("events: create stream %s: %w", StreamName, err)
	}
	keys, err := OpenKeys(ctx, js, cfg.Replicas)
	if err != nil {
		return nil, err
	}
	return &Log{js: js, stream: stream, onAppend: cfg.OnAppend, timeout: cfg.Timeout, keys: keys}, nil
}

// Attach returns the log of an existing COMMENTS stream without changing
// its configuration: for tools, which must not undo an operator's
// replicas or limits, and for roles, whose credentials may not.
func Attach(ctx context.Context, js jetstream.JetStream) (*Log, error) {
	stream, err := js.Stream(ctx, StreamName)
	if err != nil {
		return nil, fmt.Errorf("events: stream %s: %w", StreamName, err)
	}
	keys, err := AttachKeys(ctx, js)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	return &Log{js: js, stream: stream, timeout: DefaultTimeout, keys: keys}, nil
}

// WithContact returns the log reading as l does, but opening the e-mail
// address (and language) an author left for notifications, which every
// other reader sees empty: for the notifier, which writes to it, and the
// author's export, which gives it back to them.
func (l *Log) WithContact() *Log {
	c := *l
	c.contact = true
	return &c
}

// Keys is the log's keyring, nil when the keys bucket does not exist.
func (l *Log) Keys() *Keyring { return l.keys }

// ErrNoKeys: a sealed submission was read through a log without a
// keyring (the keys bucket is not provisioned, or the role may not read
// it). It is a deployment error, not a bad event: readers stop on it
// rather than skip the event.
var ErrNoKeys = errors.New("events: a sealed submission and no keyring (provision the " + KeysBucket + " bucket)")

// Decode is the package's Decode followed by the opening of a sealed
// submission's personal fields: how every reader of the log decodes, so
// no reader sees a sealed payload. An erased author's fields open as
// Removed. Its error is ErrInvalid for bytes that are no event (or sealed
// bytes that do not open), anything else for a key that cannot be read
// now: retry, never skip the event.
func (l *Log) Decode(ctx context.Context, b []byte) (Envelope, error) {
	e, err := Decode(b)
	if err != nil {
		return e, err
	}
	return e, l.open(ctx, &e)
}

// open restores a sealed submission's fields in e, and forgets the keys
// an erasure destroyed.
func (l *Log) open(ctx context.Context, e *Envelope) error {
	switch e.Type {
	case CommentSubmitted:
		var p Submitted
		if err := e.Payload(&p); err != nil {
			return err
		}
		if p.Key == "" {
			return nil
		}
		if l.keys == nil {
			return ErrNoKeys
		}
		if err := l.keys.Open(ctx, &p, e.ID); err != nil {
			return fmt.Errorf("events: open %s: %w", e.ID, err)
		}
		if !l.contact {
			p.Email, p.Lang = "", ""
		}
		data, err := codec.Marshal(p)
		if err != nil {
			return err
		}
		e.Data = data
	case CommentEdited:
		var p Edited
		if err := e.Payload(&p); err != nil {
			return err
		}
		if p.Sealed == nil {
			return nil
		}
		if l.keys == nil {
			return ErrNoKeys
		}
		if err := l.keys.OpenEdit(ctx, &p, e.ID); err != nil {
			return fmt.Errorf("events: open %s: %w", e.ID, err)
		}
		data, err := codec.Marshal(p)
		if err != nil {
			return err
		}
		e.Data = data
	case AuthorErased:
		var x Erasure
		if l.keys != nil && e.Payload(&x) == nil {
			l.keys.Forget(x.Keys...)
		}
	}
	return nil
}

// seal replaces a submission's personal fields with their sealed form.
// An e-mail address is never stored in plain text: without a keyring it
// is dropped (and the author is not notified).
func (l *Log) seal(ctx context.Context, e *Envelope) error {
	if e.Type == CommentEdited && l.keys != nil {
		var p Edited
		if err := e.Payload(&p); err != nil {
			return err
		}
		if p.Key == "" || p.Sealed != nil {
			return nil
		}
		if err := l.keys.SealEdit(ctx, &p, e.ID); err != nil {
			return err
		}
		data, err := codec.Marshal(p)
		if err != nil {
			return err
		}
		e.Data = data
		return nil
	}
	if e.Type != CommentSubmitted {
		return nil
	}
	var p Submitted
	if err := e.Payload(&p); err != nil {
		return err
	}
	if p.Key != "" {
		return nil
	}
	if l.keys == nil {
		if p.Email == "" && p.Lang == "" {
			return nil
		}
		p.Email, p.Lang = "", ""
	} else if err := l.keys.Seal(ctx, &p, e.ID); err != nil {
		return err
	}
	data, err := codec.Marshal(p)
	if err != nil {
		return err
	}
	e.Data = data
	return nil
}

// OnAppend sets f to be called after each event this log stores, for
// metrics; set it before the log is used.
func (l *Log) OnAppend(f func(Type)) { l.onAppend = f }

// Stream exposes the underlying stream for consumers.
func (l *Log) Stream() jetstream.Stream { return l.stream }

// Append stores e once: a retry with the same event id within the
// duplicate window returns the sequence of the first copy.
func (l *Log) Append(ctx context.Context, e Envelope) (uint64, error) {
	return l.append(ctx, e)
}

// AppendAfter stores e only if the newest event of its scope is still at
// sequence after (0: there is none yet). The scope of a comment's event is
// the comment (its comments.<article>.<comment>.* subjects); of any other
// event, its own subject. Two writers that read the same state cannot
// both win: the loser gets ErrConflict.
func (l *Log) AppendAfter(ctx context.Context, e Envelope, after uint64) (uint64, error) {
	scope, err := Subject(e)
	if err != nil {
		return 0, err
	}
	if _, ok := commentToken[e.Type]; ok {
		scope = CommentSubjects(e.Article, e.Comment)
	}
	return l.append(ctx, e, jetstream.WithExpectLastSequenceForSubject(after, scope))
}

func (l *Log) append(ctx context.Context, e Envelope, opts ...jetstream.PublishOpt) (uint64, error) {
	subject, err := Subject(e)
	if err != nil {
		return 0, err
	}
	// The key's read (or creation) is part of the append, within its
	// bound: a POST without a quorum answers 503 as fast as without keys.
	sctx, scancel := l.bound(ctx)
	err = l.seal(sctx, &e)
	scancel()
	if err != nil {
		return 0, fmt.Errorf("events: seal %s: %w", e.ID, unavailable(ctx, err))
	}
	data, err := Encode(e)
	if err != nil {
		return 0, err
	}
	opts = append(opts, jetstream.WithMsgID(e.ID), jetstream.WithExpectStream(StreamName))
	bounded, cancel := l.bound(ctx)
	defer cancel()
	ack, err := l.js.PublishMsg(bounded, &nats.Msg{Subject: subject, Data: data}, opts...)
	if err != nil {
		if lostRace(err) {
			return 0, fmt.Errorf("events: append %s to %s: %w", e.Type, e.Comment, ErrConflict)
		}
		return 0, fmt.Errorf("events: append %s to %s: %w", e.Type, subject, unavailable(ctx, err))
	}
	if l.onAppend != nil && !ack.Duplicate {
		l.onAppend(e.Type)
	}
	return ack.Sequence, nil
}

// bound gives ctx the log's deadline unless it has a sooner one.
func (l *Log) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, l.timeout)
}

// unavailable marks err as ErrUnavailable when it says the stream could
// not answer in time or at all, and not that the caller gave up: a
// request whose client left is no outage.
func unavailable(caller context.Context, err error) error {
	if caller.Err() != nil {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) || errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrConnectionReconnecting) ||
		errors.Is(err, nats.ErrConnectionDraining) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// lastMsg is the newest message on subject, within the log's deadline.
func (l *Log) lastMsg(ctx context.Context, subject string) (*jetstream.RawStreamMsg, error) {
	bounded, cancel := l.bound(ctx)
	defer cancel()
	msg, err := l.stream.GetLastMsgForSubject(bounded, subject)
	return msg, unavailable(ctx, err)
}

// LastSeq is the sequence of the newest event in the log (0 when empty).
func (l *Log) LastSeq(ctx context.Context) (uint64, error) {
	info, err := l.info(ctx)
	if err != nil {
		return 0, err
	}
	return info.State.LastSeq, nil
}

func (l *Log) info(ctx context.Context) (*jetstream.StreamInfo, error) {
	bounded, cancel := l.bound(ctx)
	defer cancel()
	info, err := l.stream.Info(bounded)
	if err != nil {
		return nil, fmt.Errorf("events: stream info: %w", unavailable(ctx, err))
	}
	return info, nil
}

// Last returns the newest event stored under subject (which may hold
// wildcards), or ErrNotFound.
func (l *Log) Last(ctx context.Context, subject string) (Envelope, error) {
	msg, err := l.lastMsg(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return Envelope{}, ErrNotFound
	}
	if err != nil {
		return Envelope{}, fmt.Errorf("events: last event on %s: %w", subject, err)
	}
	e, err := l.Decode(ctx, msg.Data)
	if err != nil {
		return Envelope{}, err
	}
	e.Seq, e.Subject, e.Stored = msg.Sequence, msg.Subject, msg.Time
	return e, nil
}

// At returns the event stored at seq, or ErrNotFound when the log holds
// none there.
func (l *Log) At(ctx context.Context, seq uint64) (Envelope, error) {
	bounded, cancel := l.bound(ctx)
	defer cancel()
	msg, err := l.stream.GetMsg(bounded, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return Envelope{}, ErrNotFound
	}
	if err != nil {
		return Envelope{}, fmt.Errorf("events: event %d: %w", seq, unavailable(ctx, err))
	}
	e, err := l.Decode(ctx, msg.Data)
	if err != nil {
		return Envelope{}, err
	}
	e.Seq, e.Subject, e.Stored = msg.Sequence, msg.Subject, msg.Time
	return e, nil
}

// CommentSeq is the sequence of the newest event of one comment, the value
// to pass to AppendAfter. It is ErrNotFound for an unknown comment.
func (l *Log) CommentSeq(ctx context.Context, article, comment string) (uint64, error) {
	if !ValidArticleID(article) || !validToken(comment) {
		return 0, ErrNotFound
	}
	msg, err := l.lastMsg(ctx, CommentSubjects(article, comment))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("events: last event of %s: %w", comment, err)
	}
	return msg.Sequence, nil
}

// History returns every event of one comment, its reports included,
// oldest first, or ErrNotFound. It reads them one message get at a time
// ("the next message on this subject from that sequence"), so it creates
// no consumer: a moderator's decision or a history lookup leaves nothing
// behind on the servers, and no consumer name reaches the exporter's
// labels. A comment has a handful of events, so the round trips are few.
func (l *Log) History(ctx context.Context, article, comment string) ([]Envelope, error) {
	out, err := l.CommentEvents(ctx, article, comment)
	if err != nil {
		return nil, err
	}
	reports, err := l.Reports(ctx, article, comment)
	if err != nil {
		return nil, err
	}
	if len(reports) > 0 {
		out = append(out, reports...)
		slices.SortFunc(out, func(a, b Envelope) int { return cmp.Compare(a.Seq, b.Seq) })
	}
	return out, nil
}

// CommentEvents returns the events of one comment's own state (its
// submission and decisions, not its reports), oldest first, or
// ErrNotFound: what a decider folds, without reading every report of a
// comment many readers reported.
func (l *Log) CommentEvents(ctx context.Context, article, comment string) ([]Envelope, error) {
	if !ValidArticleID(article) || !validToken(comment) {
		return nil, ErrNotFound
	}
	bounded, cancel := l.bound(ctx)
	defer cancel()
	out, err := l.subjectHistory(bounded, CommentSubjects(article, comment))
	if err != nil {
		return nil, fmt.Errorf("events: events of %s: %w", comment, unavailable(ctx, err))
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return out, nil
}

// Reports returns the readers' reports of one comment, oldest first (none
// for a comment nobody reported or that does not exist).
func (l *Log) Reports(ctx context.Context, article, comment string) ([]Envelope, error) {
	if !ValidArticleID(article) || !validToken(comment) {
		return nil, nil
	}
	bounded, cancel := l.bound(ctx)
	defer cancel()
	out, err := l.subjectHistory(bounded, ReportSubjects(article, comment))
	if err != nil {
		return nil, fmt.Errorf("events: reports of %s: %w", comment, unavailable(ctx, err))
	}
	return out, nil
}

// subjectHistory is every event stored on subject (which may hold
// wildcards), oldest first. Events that can never be decoded are skipped,
// as Replay skips them.
func (l *Log) subjectHistory(ctx context.Context, subject string) ([]Envelope, error) {
	var out []Envelope
	for seq := uint64(1); ; {
		msg, err := l.stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subject))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch e, err := l.Decode(ctx, msg.Data); {
		case err == nil:
			e.Seq, e.Subject, e.Stored = msg.Sequence, msg.Subject, msg.Time
			out = append(out, e)
		case !errors.Is(err, ErrInvalid):
			return nil, err
		}
		seq = msg.Sequence + 1
	}
}

var errStop = errors.New("stop")

// Replay calls fn for every event from sequence from on that matches one of
// filters (all events when empty), in order, until fn returns an error, ctx
// ends, or the events stored when Replay started have all been seen.
// Events that can never be decoded are skipped: a replay must not stop on
// one bad event. It returns nil when it reached the end.
func (l *Log) Replay(ctx context.Context, from uint64, filters []string, fn func(Envelope) error) error {
	return l.replay(ctx, from, filters, time.Time{}, false, fn)
}

// ReplaySealed is Replay with submissions left sealed (FollowConfig.Sealed).
func (l *Log) ReplaySealed(ctx context.Context, from uint64, filters []string, fn func(Envelope) error) error {
	return l.replay(ctx, from, filters, time.Time{}, true, fn)
}

// Until calls fn for every event that matches one of filters and was
// stored at or before t (the stream's clock, Envelope.Stored), oldest
// first, as Replay does: the log as it stood at t. The read is one ordered
// consumer filtered by subject, so its cost follows the events the filters
// match, not the length of the log. A t in the future reads everything
// stored now.
func (l *Log) Until(ctx context.Context, filters []string, t time.Time, fn func(Envelope) error) error {
	if t.IsZero() {
		return fmt.Errorf("%w: a time is needed", ErrInvalid)
	}
	return l.replay(ctx, 1, filters, t, false, fn)
}

// replay is Replay up to a time (none when until is zero). The stream
// stores events in sequence order with a clock that does not go back, so
// the first event stored after until ends the read.
func (l *Log) replay(ctx context.Context, from uint64, filters []string, until time.Time, sealed bool, fn func(Envelope) error) error {
	// The end is the newest event the filters match now; none: nothing to
	// replay (following would wait for one forever).
	var end uint64
	if len(filters) == 0 {
		filters = []string{">"}
	}
	for _, f := range filters {
		msg, err := l.stream.GetLastMsgForSubject(ctx, f)
		switch {
		case err == nil:
			end = max(end, msg.Sequence)
		case !errors.Is(err, jetstream.ErrMsgNotFound):
			return fmt.Errorf("events: replay: newest event on %s: %w", f, unavailable(ctx, err))
		}
	}
	if end < max(from, 1) {
		return nil
	}
	err := l.Follow(ctx, FollowConfig{From: from, Filters: filters, Sealed: sealed}, func(e Envelope, _ uint64, err error) error {
		if !until.IsZero() && e.Stored.After(until) {
			return errStop
		}
		if err == nil {
			if err := fn(e); err != nil {
				return err
			}
		}
		if e.Seq >= end {
			return errStop
		}
		return nil
	})
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// FollowConfig says where a Follow starts and what it sees.
type FollowConfig struct {
	From    uint64   // the first sequence; 0 is 1
	Filters []string // subjects to see; none: every event
	// LastPerSubject starts with the newest event of each subject that
	// matches, instead of From.
	LastPerSubject bool
	// Sealed leaves submissions sealed (their key id is still there):
	// for a scan that needs no personal field, such as finding an
	// author's comments by key id.
	Sealed bool
}

// Follow calls fn for each event that matches cfg, in stream order, as it
// is stored, until fn returns an error (which Follow returns) or ctx ends
// (Follow returns ctx's error). pending is how many matching events were
// stored after this one: 0 means fn has seen everything so far. An event
// that can never be decoded comes with err set and only Seq and Subject
// filled, so the caller can count it and go on. A sealed submission whose
// key cannot be read now ends Follow with that error: skipping it would
// lose it.
func (l *Log) Follow(ctx context.Context, cfg FollowConfig, fn func(e Envelope, pending uint64, err error) error) error {
	occ := jetstream.OrderedConsumerConfig{FilterSubjects: cfg.Filters, DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: max(cfg.From, 1)}
	if cfg.LastPerSubject {
		occ.DeliverPolicy, occ.OptStartSeq = jetstream.DeliverLastPerSubjectPolicy, 0
	}
	cons, err := l.stream.OrderedConsumer(ctx, occ)
	if err != nil {
		return fmt.Errorf("events: follow: %w", unavailable(ctx, err))
	}
	// Short pulls notice a stream leader lost to a failover within
	// seconds (two missed heartbeats), instead of ten.
	it, err := cons.Messages(jetstream.PullMaxMessages(1024), jetstream.PullExpiry(5*time.Second))
	if err != nil {
		return fmt.Errorf("events: follow: %w", unavailable(ctx, err))
	}
	// The consumer goes with the read: left to itself it would linger
	// for its inactive threshold (5 minutes), and reads that come and go
	// (a thread as_of a moment, a backtest) would pile up consumers on
	// the servers until they refuse more (10026).
	defer func() {
		it.Stop()
		if info := cons.CachedInfo(); info != nil {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.timeout)
			_ = l.stream.DeleteConsumer(dctx, info.Name)
			cancel()
		}
	}()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("events: follow: %w", err)
		}
		meta, err := msg.Metadata()
		if err != nil {
			return fmt.Errorf("events: follow: metadata of %s: %w", msg.Subject(), err)
		}
		var e Envelope
		if cfg.Sealed {
			e, err = Decode(msg.Data())
		} else {
			e, err = l.Decode(ctx, msg.Data())
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			return err
		}
		if err != nil {
			e = Envelope{}
		}
		e.Seq, e.Subject, e.Stored = meta.Sequence.Stream, msg.Subject(), meta.Timestamp
		if err := fn(e, meta.NumPending, err); err != nil {
			return err
		}
	}
}
