// Package deadletter keeps the events that a consumer of the log gave up
// on, so an operator can see them and deliver them again.
//
// JetStream announces both ways of giving up with an advisory: a message
// delivered MaxDeliver times without an ack, and a message the consumer
// terminated (Term) because it can never succeed. Advisories are plain
// core NATS messages, sent whether anyone listens or not; the DEADLETTERS
// stream captures them durably on the servers, so a dead letter is kept
// even when no commentd process runs at that moment. The original event
// stays in the COMMENTS log (it denies deletes); a dead letter points at
// it by stream sequence.
package deadletter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
)

// StreamName is the stream of dead letters.
const StreamName = "DEADLETTERS"

// The advisory subjects end in <stream>.<consumer>.
const (
	maxDeliveriesPrefix = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES."
	terminatedPrefix    = "$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED."
)

// Subjects are the advisories of every consumer of the COMMENTS stream.
var Subjects = []string{
	maxDeliveriesPrefix + events.StreamName + ".*",
	terminatedPrefix + events.StreamName + ".*",
}

// Kind says how a consumer gave up on an event.
type Kind string

const (
	// MaxDeliveries: delivered MaxDeliver times and never acknowledged.
	MaxDeliveries Kind = "max_deliveries"
	// Terminated: the consumer said it can never process the event.
	Terminated Kind = "terminated"
)

// Letter is one dead letter.
type Letter struct {
	Seq        uint64    `json:"seq"` // in the DEADLETTERS stream
	Kind       Kind      `json:"kind"`
	At         time.Time `json:"at"`
	Stream     string    `json:"stream"`
	Consumer   string    `json:"consumer"`
	StreamSeq  uint64    `json:"stream_seq"` // of the event in its stream
	Deliveries uint64    `json:"deliveries"`
	Reason     string    `json:"reason,omitempty"` // given with Term
	// Subject of the event, read from the log when listing; empty if the
	// log no longer holds it.
	Subject string `json:"subject,omitempty"`
}

// advisory holds the fields shared by the server's
// JSConsumerDeliveryExceededAdvisory and
// JSConsumerDeliveryTerminatedAdvisory.
type advisory struct {
	Type       string    `json:"type"`
	Time       time.Time `json:"timestamp"`
	Stream     string    `json:"stream"`
	Consumer   string    `json:"consumer"`
	StreamSeq  uint64    `json:"stream_seq"`
	Deliveries uint64    `json:"deliveries"`
	Reason     string    `json:"reason"`
}

// Config is what an operator may choose about the dead letters.
type Config struct {
	Replicas int // as for the log: 3 on a 3-node cluster
	// MaxLetters bounds the stream; the oldest letters go first. A poison
	// storm must not fill the disk the log lives on.
	MaxLetters int64
}

func (c *Config) setDefaults() {
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.MaxLetters == 0 {
		c.MaxLetters = 100_000
	}
}

// Queue is the dead-letter stream of a log.
type Queue struct {
	stream jetstream.Stream
	log    *events.Log
}

// Open creates the DEADLETTERS stream, or updates it to cfg.
func Open(ctx context.Context, js jetstream.JetStream, log *events.Log, cfg Config) (*Queue, error) {
	cfg.setDefaults()
	s, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamName,
		Description: "Advisories of events a consumer of " + events.StreamName + " gave up on (max deliveries, terminated).",
		Subjects:    Subjects,
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxMsgs:     cfg.MaxLetters,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("deadletter: create stream %s: %w", StreamName, err)
	}
	return &Queue{stream: s, log: log}, nil
}

// Attach opens the existing dead letters and log without changing their
// configuration, for operator tools. It is events.ErrNotFound when no
// commentd has created them yet.
func Attach(ctx context.Context, js jetstream.JetStream) (*Queue, error) {
	log, err := events.Attach(ctx, js)
	if err != nil {
		return nil, err
	}
	s, err := js.Stream(ctx, StreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("deadletter: stream %s: %w", StreamName, events.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("deadletter: stream %s: %w", StreamName, err)
	}
	return &Queue{stream: s, log: log}, nil
}

// List returns the dead letters, oldest first.
func (q *Queue) List(ctx context.Context) ([]Letter, error) {
	var out []Letter
	cons, err := q.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return nil, fmt.Errorf("deadletter: list: %w", err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("deadletter: list: %w", err)
	}
	for pending := info.NumPending; pending > 0; {
		batch, err := cons.Fetch(int(min(pending, 256)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return nil, fmt.Errorf("deadletter: list: %w", err)
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			meta, err := msg.Metadata()
			if err != nil {
				return nil, fmt.Errorf("deadletter: list: %w", err)
			}
			pending = meta.NumPending
			l, err := parse(meta.Sequence.Stream, msg.Subject(), msg.Data())
			if err != nil {
				continue // not an advisory we know; nothing to show or replay
			}
			out = append(out, q.withSubject(ctx, l))
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return nil, fmt.Errorf("deadletter: list: %w", err)
		}
		if n == 0 {
			break
		}
	}
	return out, nil
}

// Get returns one dead letter, or events.ErrNotFound.
func (q *Queue) Get(ctx context.Context, seq uint64) (Letter, error) {
	msg, err := q.stream.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return Letter{}, fmt.Errorf("deadletter %d: %w", seq, events.ErrNotFound)
	}
	if err != nil {
		return Letter{}, fmt.Errorf("deadletter %d: %w", seq, err)
	}
	l, err := parse(seq, msg.Subject, msg.Data)
	if err != nil {
		return Letter{}, err
	}
	return q.withSubject(ctx, l), nil
}

// Replay delivers the event of dead letter seq again and, once it is back
// in the log, deletes the letter. It returns the event's new sequence.
//
// It fails with events.ErrConflict, and keeps the letter, when the event's
// comment has moved on since (decided by a moderator, or already replayed):
// delivering it again would decide the comment twice. See
// events.Log.Redeliver.
func (q *Queue) Replay(ctx context.Context, seq uint64) (uint64, error) {
	l, err := q.Get(ctx, seq)
	if err != nil {
		return 0, err
	}
	if l.Stream != events.StreamName {
		return 0, fmt.Errorf("deadletter %d: event of stream %q: %w", seq, l.Stream, events.ErrInvalid)
	}
	newSeq, err := q.log.Redeliver(ctx, l.StreamSeq)
	if err != nil {
		return 0, fmt.Errorf("deadletter %d: %w", seq, err)
	}
	if err := q.Delete(ctx, seq); err != nil && !errors.Is(err, events.ErrNotFound) {
		return newSeq, err
	}
	return newSeq, nil
}

// Delete removes a dead letter, for an event that should not be delivered
// again. The event itself stays in the log.
func (q *Queue) Delete(ctx context.Context, seq uint64) error {
	err := q.stream.DeleteMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) || errors.Is(err, jetstream.ErrMsgDeleteUnsuccessful) {
		return fmt.Errorf("deadletter %d: %w", seq, events.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("deadletter %d: delete: %w", seq, err)
	}
	return nil
}

// Counts returns how many dead letters there are by kind and consumer,
// from the stream's per-subject counts: no letter is read.
func (q *Queue) Counts(ctx context.Context) (map[Kind]map[string]uint64, error) {
	info, err := q.stream.Info(ctx, jetstream.WithSubjectFilter("$JS.EVENT.ADVISORY.CONSUMER.>"))
	if err != nil {
		return nil, fmt.Errorf("deadletter: counts: %w", err)
	}
	out := map[Kind]map[string]uint64{}
	for subj, n := range info.State.Subjects {
		kind, _, consumer, ok := splitSubject(subj)
		if !ok {
			continue
		}
		if out[kind] == nil {
			out[kind] = map[string]uint64{}
		}
		out[kind][consumer] += n
	}
	return out, nil
}

func (q *Queue) withSubject(ctx context.Context, l Letter) Letter {
	if l.Stream != events.StreamName || q.log == nil {
		return l
	}
	if msg, err := q.log.Stream().GetMsg(ctx, l.StreamSeq); err == nil {
		l.Subject = msg.Subject
	}
	return l
}

// splitSubject parses an advisory subject into kind, stream and consumer.
func splitSubject(subj string) (kind Kind, stream, consumer string, ok bool) {
	var rest string
	switch {
	case strings.HasPrefix(subj, maxDeliveriesPrefix):
		kind, rest = MaxDeliveries, subj[len(maxDeliveriesPrefix):]
	case strings.HasPrefix(subj, terminatedPrefix):
		kind, rest = Terminated, subj[len(terminatedPrefix):]
	default:
		return "", "", "", false
	}
	stream, consumer, ok = strings.Cut(rest, ".")
	return kind, stream, consumer, ok && stream != "" && consumer != ""
}

// parse turns a stored advisory into a Letter.
func parse(seq uint64, subject string, data []byte) (Letter, error) {
	kind, _, _, ok := splitSubject(subject)
	if !ok {
		return Letter{}, fmt.Errorf("deadletter %d: subject %q is no consumer advisory: %w", seq, subject, events.ErrInvalid)
	}
	var a advisory
	if err := json.Unmarshal(data, &a); err != nil {
		return Letter{}, fmt.Errorf("deadletter %d: %w: %v", seq, events.ErrInvalid, err)
	}
	if a.StreamSeq == 0 || a.Stream == "" {
		return Letter{}, fmt.Errorf("deadletter %d: advisory without stream sequence: %w", seq, events.ErrInvalid)
	}
	return Letter{
		Seq: seq, Kind: kind, At: a.Time, Stream: a.Stream, Consumer: a.Consumer,
		StreamSeq: a.StreamSeq, Deliveries: a.Deliveries, Reason: a.Reason,
	}, nil
}
