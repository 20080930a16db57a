package deadletter_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/newsroom/commentd/deadletter"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/internal/poll"
)

func setup(t *testing.T) (*events.Log, *deadletter.Queue) {
	t.Helper()
	_, js := natstest.Connect(t, natstest.Server(t))
	ctx := context.Background()
	log, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	q, err := deadletter.Open(ctx, js, log, deadletter.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return log, q
}

func submit(t *testing.T, log *events.Log) (events.Envelope, uint64) {
	t.Helper()
	e, err := events.New(uuid.NewString(), events.CommentSubmitted, "a1", uuid.NewString(), events.ActorReader, "", time.Now(),
		events.Submitted{Author: "Anna", AuthorID: "name:anna", Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	seq, err := log.Append(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	return e, seq
}

func consumer(t *testing.T, log *events.Log, name string, maxDeliver int) jetstream.Consumer {
	t.Helper()
	c, err := log.Stream().CreateOrUpdateConsumer(context.Background(), jetstream.ConsumerConfig{
		Durable: name, FilterSubject: events.SubmittedSubjects, AckPolicy: jetstream.AckExplicitPolicy, MaxDeliver: maxDeliver,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func next(t *testing.T, c jetstream.Consumer) jetstream.Msg {
	t.Helper()
	msg, err := c.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// waitLetters polls until the queue holds n letters: advisories travel
// asynchronously from the consumer to the stream.
func waitLetters(t *testing.T, q *deadletter.Queue, n int) []deadletter.Letter {
	t.Helper()
	var got []deadletter.Letter
	poll.Until(t, 10*time.Second, func() error {
		var err error
		if got, err = q.List(context.Background()); err == nil && len(got) != n {
			err = fmt.Errorf("%d dead letters, want %d: %+v", len(got), n, got)
		}
		return err
	})
	return got
}

func TestTerminatedEventBecomesADeadLetter(t *testing.T) {
	log, q := setup(t)
	_, seq := submit(t, log)
	if err := next(t, consumer(t, log, "judge", 5)).TermWithReason("undecodable"); err != nil {
		t.Fatal(err)
	}
	got := waitLetters(t, q, 1)[0]
	if got.Kind != deadletter.Terminated || got.Consumer != "judge" || got.Stream != events.StreamName ||
		got.StreamSeq != seq || got.Reason != "undecodable" || got.Deliveries != 1 ||
		!strings.HasSuffix(got.Subject, ".submitted") || got.At.IsZero() {
		t.Fatalf("letter = %+v", got)
	}
	if one, err := q.Get(context.Background(), got.Seq); err != nil || one != got {
		t.Fatalf("Get = %+v, %v; want %+v", one, err, got)
	}
}

func TestMaxDeliveriesBecomesADeadLetter(t *testing.T) {
	log, q := setup(t)
	_, seq := submit(t, log)
	c := consumer(t, log, "flaky", 2)
	for range 2 {
		if err := next(t, c).Nak(); err != nil {
			t.Fatal(err)
		}
	}
	// The server gives up when it would deliver a third time, which takes
	// a pull, as a running worker always has one waiting.
	if b, err := c.Fetch(1, jetstream.FetchMaxWait(time.Second)); err == nil {
		for range b.Messages() {
			t.Fatal("delivered more than MaxDeliver times")
		}
	}
	got := waitLetters(t, q, 1)[0]
	if got.Kind != deadletter.MaxDeliveries || got.Consumer != "flaky" || got.StreamSeq != seq || got.Deliveries != 2 {
		t.Fatalf("letter = %+v", got)
	}
}

func TestReplayDeliversOnceAndNeverAfterADecision(t *testing.T) {
	ctx := context.Background()
	log, q := setup(t)
	sub, seq := submit(t, log)
	c := consumer(t, log, "judge", 5)
	if err := next(t, c).Term(); err != nil {
		t.Fatal(err)
	}
	letter := waitLetters(t, q, 1)[0]

	newSeq, err := q.Replay(ctx, letter.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if newSeq <= seq {
		t.Fatalf("replayed at %d, want after %d", newSeq, seq)
	}
	// The consumer gets the same event again, as a new message.
	msg := next(t, c)
	meta, _ := msg.Metadata()
	again, err := events.Decode(msg.Data())
	if err != nil || again.ID != sub.ID || meta.Sequence.Stream != newSeq || msg.Headers().Get(events.RedeliveredFromHeader) == "" {
		t.Fatalf("redelivered %+v at %d (%v), want event %s at %d", again, meta.Sequence.Stream, err, sub.ID, newSeq)
	}
	if _, err := q.Get(ctx, letter.Seq); !errors.Is(err, events.ErrNotFound) {
		t.Fatalf("letter still there after replay: %v", err)
	}

	// A decision after the copy: deciding works against the copy's
	// sequence, and nothing can be redelivered over it.
	dec, _ := events.New(uuid.NewString(), events.CommentApproved, sub.Article, sub.Comment, events.RulesActor("v1"), sub.ID, time.Now(), events.Decision{Reason: "ok"})
	if _, err := log.AppendAfter(ctx, dec, newSeq); err != nil {
		t.Fatal(err)
	}
	if _, err := log.Redeliver(ctx, newSeq); !errors.Is(err, events.ErrConflict) {
		t.Fatalf("redeliver after a decision: %v, want ErrConflict", err)
	}
	if _, err := q.Replay(ctx, letter.Seq); !errors.Is(err, events.ErrNotFound) {
		t.Fatalf("second replay: %v, want ErrNotFound", err)
	}
}

func TestCollectorCountsByKindAndConsumer(t *testing.T) {
	log, q := setup(t)
	reg := prometheus.NewRegistry()
	deadletter.NewCollector(reg, q, nil, "moderation")
	submit(t, log)
	submit(t, log)
	c := consumer(t, log, "judge", 5)
	next(t, c).Term()
	next(t, c).Term()
	waitLetters(t, q, 2)

	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %v", problems, err)
	}
	want := `
# HELP comments_dead_letters Events a consumer gave up on (max deliveries, terminated) and that wait in the DEADLETTERS stream to be replayed or deleted.
# TYPE comments_dead_letters gauge
comments_dead_letters{consumer="judge",kind="terminated"} 2
comments_dead_letters{consumer="moderation",kind="max_deliveries"} 0
comments_dead_letters{consumer="moderation",kind="terminated"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "comments_dead_letters"); err != nil {
		t.Fatal(err)
	}
}
