package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/deadletter"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/internal/poll"
)

// TestDLQListReplayDelete drives the operator's round trip on a real
// server: a worker-like consumer terminates two submissions, commentctl
// lists both, replays one (the consumer gets it again, once) and deletes
// the other.
func TestDLQListReplayDelete(t *testing.T) {
	ns := natstest.Server(t)
	_, js := natstest.Connect(t, ns)
	ctx := context.Background()
	log, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := deadletter.Open(ctx, js, log, deadletter.Config{}); err != nil {
		t.Fatal(err)
	}
	var comments []string
	for range 2 {
		e, _ := events.New(uuid.NewString(), events.CommentSubmitted, "a1", uuid.NewString(), events.ActorReader, "", time.Now(), events.Submitted{Author: "A", Text: "t"})
		if _, err := log.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
		comments = append(comments, e.Comment)
	}
	cons, err := log.Stream().CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: "moderation", FilterSubject: events.SubmittedSubjects, AckPolicy: jetstream.AckExplicitPolicy,
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		msg.TermWithReason("undecodable")
	}

	url := "--nats-url=" + natstest.OperatorURL(t, ns)
	var out string
	poll.Until(t, 10*time.Second, func() error {
		var err error
		if out, _, err = runCtl(t, "", "dlq", "list", url); err == nil && strings.Count(out, "terminated") < 2 {
			err = fmt.Errorf("dlq list does not show both letters yet:\n%s", out)
		}
		return err
	})
	for _, want := range []string{"SEQ", "moderation", "undecodable", "comments.a1." + comments[0] + ".submitted"} {
		if !strings.Contains(out, want) {
			t.Errorf("dlq list lacks %q:\n%s", want, out)
		}
	}

	out, _, err = runCtl(t, "", "dlq", "replay", url, "1")
	if err != nil || !strings.Contains(out, "sequence 3") {
		t.Fatalf("dlq replay 1 = %q, %v", out, err)
	}
	msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := events.Decode(msg.Data()); e.Comment != comments[0] {
		t.Fatalf("redelivered %+v, want comment %s", e, comments[0])
	}
	if _, _, err := runCtl(t, "", "dlq", "replay", url, "1"); !errors.Is(err, events.ErrNotFound) {
		t.Fatalf("second replay of letter 1: %v, want ErrNotFound", err)
	}
	if out, _, err = runCtl(t, "", "dlq", "delete", url, "2"); err != nil {
		t.Fatalf("dlq delete 2 = %q, %v", out, err)
	}
	if out, _, err = runCtl(t, "", "dlq", "list", url); err != nil || !strings.Contains(out, "no dead letters") {
		t.Fatalf("dlq list after replay and delete = %q, %v", out, err)
	}
	if _, _, err := runCtl(t, "", "dlq", "replay", url, "x"); !errors.Is(err, errUsage) {
		t.Fatalf("replay of a non-number: %v, want usage", err)
	}
}
