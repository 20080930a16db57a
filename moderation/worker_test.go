package moderation_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/internal/poll"
	"github.com/newsroom/commentd/moderation"
)

type workerFixture struct {
	t       testing.TB
	nc      *nats.Conn
	log     *events.Log
	reg     *prometheus.Registry
	metrics *moderation.WorkerMetrics
}

func newWorkerFixture(t testing.TB) *workerFixture {
	t.Helper()
	nc, js := natstest.Connect(t, natstest.Server(t))
	l, err := events.Open(context.Background(), js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	return &workerFixture{t: t, nc: nc, log: l, reg: reg, metrics: moderation.NewWorkerMetrics(reg)}
}

// run starts a worker and stops it at the end of the test.
func (f *workerFixture) run() {
	f.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	w := &moderation.Worker{Log: f.log, Rules: moderation.DefaultRuleset, Metrics: f.metrics, Flood: moderation.NewFloodTracker()}
	go func() { done <- w.Run(ctx) }()
	f.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			f.t.Errorf("worker: %v", err)
		}
	})
}

func (f *workerFixture) submit(text string) events.Envelope {
	f.t.Helper()
	e, err := events.New(uuid.NewString(), events.CommentSubmitted, "a1", uuid.NewString(), events.ActorReader, "", time.Now(),
		events.Submitted{Author: "Anna", AuthorID: "name:" + uuid.NewString(), Text: text})
	if err != nil {
		f.t.Fatal(err)
	}
	if e.Seq, err = f.log.Append(context.Background(), e); err != nil {
		f.t.Fatal(err)
	}
	return e
}

func (f *workerFixture) history(e events.Envelope) []events.Envelope {
	f.t.Helper()
	h, err := f.log.History(context.Background(), e.Article, e.Comment)
	if err != nil {
		f.t.Fatal(err)
	}
	return h
}

func (f *workerFixture) waitDecided(e events.Envelope) events.Envelope {
	f.t.Helper()
	var h []events.Envelope
	poll.True(f.t, 10*time.Second, "decided: "+e.Comment, func() bool {
		h = f.history(e)
		return len(h) > 1
	})
	return h[len(h)-1]
}

// waitAcked waits until the worker's consumer has acknowledged every
// submission up to seq.
func (f *workerFixture) waitAcked(seq uint64) {
	f.t.Helper()
	poll.Until(f.t, 10*time.Second, func() error {
		cons, err := f.log.Stream().Consumer(context.Background(), moderation.ConsumerName)
		if err != nil {
			return err
		}
		info, err := cons.Info(context.Background())
		if err != nil {
			return err
		}
		if info.AckFloor.Stream < seq || info.NumAckPending > 0 {
			return fmt.Errorf("consumer acked up to %d, %d pending; want %d", info.AckFloor.Stream, info.NumAckPending, seq)
		}
		return nil
	})
}

func TestWorkerDecidesWithEvidence(t *testing.T) {
	f := newWorkerFixture(t)
	f.run()
	clean, rude := f.submit("Good piece."), f.submit("What a fucking joke.")
	if d := f.waitDecided(clean); d.Type != events.CommentApproved || d.CausationID != clean.ID || d.Actor != events.RulesActor(moderation.DefaultRuleset().Version) {
		t.Fatalf("clean comment: %+v", d)
	}
	d := f.waitDecided(rude)
	var dec events.Decision
	if err := d.Payload(&dec); err != nil {
		t.Fatal(err)
	}
	if d.Type != events.CommentRejected || len(dec.Evidence) == 0 || dec.Ruleset == "" || dec.Reason == "" {
		t.Fatalf("profane comment: %s %+v", d.Type, dec)
	}
	if ev := dec.Evidence[0]; "What a fucking joke."[ev.Start:ev.End] != ev.Match {
		t.Fatalf("evidence span %+v does not point into the original text", ev)
	}
}

// A moderator who decided first is never overruled by the worker, and each
// submission gets one decision.
func TestWorkerDecidesOnceAndNeverOverAHuman(t *testing.T) {
	f := newWorkerFixture(t)
	// A moderator decides before the worker runs: the worker must not
	// decide after them.
	early := f.submit("Good piece.")
	human, _ := events.New(uuid.NewString(), events.CommentRejected, early.Article, early.Comment, "moderator:m1", early.ID, time.Now(), events.Decision{Reason: "off-topic"})
	if _, err := f.log.AppendAfter(context.Background(), human, early.Seq); err != nil {
		t.Fatal(err)
	}
	later := f.submit("Another good piece.")
	f.run()
	f.waitDecided(later)
	f.waitAcked(later.Seq)
	if h := f.history(early); len(h) != 2 || h[1].Actor != "moderator:m1" {
		t.Fatalf("the worker decided after a moderator: %d events", len(h))
	}
	if h := f.history(later); len(h) != 2 {
		t.Fatalf("%d events for one submission, want 2", len(h))
	}
	if got := f.total("comments_moderation_decisions_total"); got != 1 {
		t.Fatalf("decisions counted %v, want 1", got)
	}
}

// total sums every series of a counter.
func (f *workerFixture) total(name string) float64 {
	f.t.Helper()
	mfs, err := f.reg.Gather()
	if err != nil {
		f.t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// An event that can never be decoded is terminated and counted, and the
// pipeline goes on.
func TestWorkerTerminatesPoisonAndGoesOn(t *testing.T) {
	f := newWorkerFixture(t)
	if _, err := f.log.Stream().Info(context.Background()); err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(f.nc)
	if _, err := js.Publish(context.Background(), "comments.a1.poison.submitted", []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	f.run()
	good := f.submit("Good piece.")
	if d := f.waitDecided(good); d.Type != events.CommentApproved {
		t.Fatalf("after poison: %s", d.Type)
	}
	poll.True(t, 10*time.Second, "poison event terminated", func() bool { return f.total("comments_events_terminated_total") >= 1 })
}

// Every submission delivered again (the consumer is recreated, as after
// a lost ack or an operator's reset) still yields one decision each.
func TestWorkerRedeliveryDecidesNothingTwice(t *testing.T) {
	f := newWorkerFixture(t)
	subs := []events.Envelope{f.submit("Good piece."), f.submit("What a fucking joke."), f.submit("Thanks.")}
	for round := range 2 {
		if round == 1 {
			if err := f.log.Stream().DeleteConsumer(context.Background(), moderation.ConsumerName); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		w := &moderation.Worker{Log: f.log, Rules: moderation.DefaultRuleset, Metrics: f.metrics}
		go func() { done <- w.Run(ctx) }()
		for _, s := range subs {
			f.waitDecided(s)
		}
		f.waitAcked(subs[len(subs)-1].Seq)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range subs {
		if h := f.history(s); len(h) != 2 {
			t.Fatalf("comment %s has %d events after redelivery, want submitted and one decision", s.Comment, len(h))
		}
	}
	if got := f.total("comments_events_consumed_total"); got != 6 {
		t.Fatalf("the worker consumed %v submissions, want every one twice (6)", got)
	}
}

// An edit goes through the rules again: the worker decides it, and the
// decision names the edit, so it applies to the new text.
func TestWorkerDecidesEdits(t *testing.T) {
	f := newWorkerFixture(t)
	f.run()
	sub := f.submit("A fine first version.")
	if d := f.waitDecided(sub); d.Type != events.CommentApproved {
		t.Fatalf("the submission: %s", d.Type)
	}
	seq, err := f.log.CommentSeq(context.Background(), sub.Article, sub.Comment)
	if err != nil {
		t.Fatal(err)
	}
	edit, err := events.New(uuid.NewString(), events.CommentEdited, sub.Article, sub.Comment, events.ActorReader, "", time.Now(),
		events.Edited{Text: "What a f.u.c.k.i.n.g joke"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.log.AppendAfter(context.Background(), edit, seq); err != nil {
		t.Fatal(err)
	}
	var h []events.Envelope
	poll.True(t, 10*time.Second, "the edit decided", func() bool {
		h = f.history(sub)
		return len(h) == 4
	})
	var d events.Decision
	last := h[3]
	if err := last.Payload(&d); err != nil {
		t.Fatal(err)
	}
	if last.Type != events.CommentRejected || d.Edit != edit.ID || last.CausationID != edit.ID || len(d.Evidence) == 0 || d.Evidence[0].Match != "f.u.c.k.i.n.g" {
		t.Fatalf("the decision on the edit: %s %+v", last.Type, d)
	}
}
