package commands

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/internal/poll"
	"github.com/newsroom/commentd/projections"
)

type holdFixture struct {
	t   *testing.T
	log *events.Log
	js  jetstream.JetStream
}

func newHoldFixture(t *testing.T) *holdFixture {
	t.Helper()
	_, js := natstest.Connect(t, natstest.Server(t))
	l, err := events.Open(context.Background(), js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return &holdFixture{t: t, log: l, js: js}
}

// run starts a consumer with threshold n, stopped at the end of the test
// or by the returned function.
func (f *holdFixture) run(n int) (stop func()) {
	f.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	h := &ReportsHold{Log: f.log, Threshold: n, Metrics: NewReportsHoldMetrics(prometheus.NewRegistry())}
	go func() { done <- h.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				f.t.Errorf("reports consumer: %v", err)
			}
		})
	}
	f.t.Cleanup(stop)
	return stop
}

func (f *holdFixture) append(typ events.Type, comment, actor string, payload any) uint64 {
	f.t.Helper()
	e, err := events.New(uuid.NewString(), typ, "a1", comment, actor, "", time.Now(), payload)
	if err != nil {
		f.t.Fatal(err)
	}
	seq, err := f.log.Append(context.Background(), e)
	if err != nil {
		f.t.Fatal(err)
	}
	return seq
}

// visible submits a comment and approves it as decidedBy did.
func (f *holdFixture) visible(decidedBy string) string {
	id := uuid.NewString()
	f.append(events.CommentSubmitted, id, events.ActorReader, events.Submitted{Author: "Ann", AuthorID: "name:ann", Text: "hello"})
	f.append(events.CommentApproved, id, decidedBy, events.Decision{})
	return id
}

func (f *holdFixture) report(comment, reporter string) {
	f.append(events.CommentReported, comment, events.ActorReader, events.Reported{Reason: "abusive", ReporterID: reporter})
}

// drained waits until the consumer acknowledged every report stored.
func (f *holdFixture) drained() {
	f.t.Helper()
	poll.Until(f.t, 10*time.Second, func() error {
		c, err := f.log.Stream().Consumer(context.Background(), ReportsHoldConsumer)
		if err != nil {
			return err
		}
		info, err := c.Info(context.Background())
		if err != nil {
			return err
		}
		if info.NumPending != 0 || info.NumAckPending != 0 {
			return fmt.Errorf("%d pending, %d unacknowledged", info.NumPending, info.NumAckPending)
		}
		return nil
	})
}

func (f *holdFixture) comment(id string) (projections.Comment, []events.Envelope) {
	f.t.Helper()
	hist, err := f.log.CommentEvents(context.Background(), "a1", id)
	if err != nil {
		f.t.Fatal(err)
	}
	c, _ := Fold(hist)
	return c, hist
}

func (f *holdFixture) holds(id string) int {
	f.t.Helper()
	_, hist := f.comment(id)
	n := 0
	for _, e := range hist {
		if e.Type == events.CommentHeld {
			n++
		}
	}
	return n
}

func TestHoldAfterEnoughReaders(t *testing.T) {
	f := newHoldFixture(t)
	f.run(3)
	id := f.visible(events.RulesActor("v1"))
	// One reader three times and a second reader: two readers.
	for _, who := range []string{"ip:1", "ip:1", "ip:2", "ip:1"} {
		f.report(id, who)
	}
	f.drained()
	if c, _ := f.comment(id); c.Status != projections.Approved {
		t.Fatalf("held by two readers: %s by %s", c.Status, c.DecidedBy)
	}
	f.report(id, "ip:3")
	poll.True(t, 10*time.Second, "held", func() bool { c, _ := f.comment(id); return c.Status == projections.Held })
	c, hist := f.comment(id)
	if c.DecidedBy != events.ReportsActor(3) || c.Reason != "reported" || c.HumanDecided() {
		t.Fatalf("held as %+v", c)
	}
	if last := hist[len(hist)-1]; last.CausationID == "" {
		t.Errorf("the hold names no report that caused it: %+v", last)
	}
	// More reports of a held comment change nothing.
	f.report(id, "ip:4")
	f.report(id, "ip:5")
	f.drained()
	if n := f.holds(id); n != 1 {
		t.Fatalf("%d holds", n)
	}
}

// Reports that arrive together (several workers, a burst) hold once, and
// a restarted consumer that sees them again holds nothing more.
func TestHoldOnceWithConcurrentConsumersAndRedelivery(t *testing.T) {
	f := newHoldFixture(t)
	stopA, stopB := f.run(2), f.run(2)
	var ids []string
	for range 5 {
		ids = append(ids, f.visible(events.RulesActor("v1")))
	}
	for i := range 6 {
		for _, id := range ids {
			f.report(id, fmt.Sprintf("ip:%d", i))
		}
	}
	f.drained()
	for _, id := range ids {
		if n := f.holds(id); n != 1 {
			t.Fatalf("%s: %d holds", id, n)
		}
	}
	stopA()
	stopB()
	// A consumer made anew (its durable deleted) judges every report
	// again: nothing changes.
	if err := f.log.Stream().DeleteConsumer(context.Background(), ReportsHoldConsumer); err != nil {
		t.Fatal(err)
	}
	f.run(2)
	f.drained()
	for _, id := range ids {
		if n := f.holds(id); n != 1 {
			t.Fatalf("after a replay of the reports, %s: %d holds", id, n)
		}
	}
}

// A person's decision is never overridden by readers' reports, and a
// comment that is not visible is not held.
func TestNoHoldOverAPerson(t *testing.T) {
	f := newHoldFixture(t)
	f.run(2)
	byPerson := f.visible("moderator:mia")
	pending := uuid.NewString()
	f.append(events.CommentSubmitted, pending, events.ActorReader, events.Submitted{Author: "Bo", AuthorID: "name:bo", Text: "hi"})
	unknown := uuid.NewString()
	for _, who := range []string{"ip:1", "ip:2", "ip:3"} {
		for _, id := range []string{byPerson, pending, unknown} {
			f.report(id, who)
		}
	}
	f.drained()
	if c, _ := f.comment(byPerson); c.Status != projections.Approved {
		t.Errorf("a moderator's approval overridden: %s", c.Status)
	}
	if c, _ := f.comment(pending); c.Status != projections.Pending {
		t.Errorf("a pending comment: %s", c.Status)
	}
}

// Threshold 0 never holds.
func TestNoHoldWithoutThreshold(t *testing.T) {
	f := newHoldFixture(t)
	f.run(0)
	id := f.visible(events.RulesActor("v1"))
	for i := range 5 {
		f.report(id, fmt.Sprintf("ip:%d", i))
	}
	f.drained()
	if c, _ := f.comment(id); c.Status != projections.Approved {
		t.Fatalf("held with threshold 0: %s", c.Status)
	}
}

func TestOpenReporters(t *testing.T) {
	ev := func(seq uint64, typ events.Type, actor string, payload any) events.Envelope {
		e, err := events.New(uuid.NewString(), typ, "a1", "c1", actor, "", time.Now(), payload)
		if err != nil {
			t.Fatal(err)
		}
		e.Seq = seq
		return e
	}
	rep := func(seq uint64, who string) events.Envelope {
		return ev(seq, events.CommentReported, events.ActorReader, events.Reported{Reason: "spam", ReporterID: who})
	}
	hist := []events.Envelope{
		ev(1, events.CommentSubmitted, events.ActorReader, events.Submitted{AuthorID: "a"}),
		ev(2, events.CommentApproved, events.RulesActor("v1"), events.Decision{}),
		ev(5, events.CommentApproved, "moderator:mia", events.Decision{}),
	}
	for _, tt := range []struct {
		name    string
		reports []events.Envelope
		want    int
	}{
		{"none", nil, 0},
		{"each reader once", []events.Envelope{rep(3, "x"), rep(4, "x"), rep(6, "y"), rep(7, "y"), rep(8, "z")}, 2},
		{"answered by a person", []events.Envelope{rep(3, "x"), rep(4, "y")}, 0},
		{"no reporter id", []events.Envelope{rep(6, ""), rep(7, "x")}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := openReporters(hist, tt.reports); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}
