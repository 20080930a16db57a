package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/internal/poll"
	"github.com/newsroom/commentd/projections"
)

// After `commentctl authors erase`, no message of any view bucket (every
// revision its stream holds, keys and values, delete markers included)
// spells the erased author's name, id or text, and a rebuild of every view
// from sequence 1 into fresh buckets brings none of it back; a ban in
// force survives both.
func TestEraseLeavesNothingInTheViews(t *testing.T) {
	ns := natstest.Server(t)
	_, js := natstest.Connect(t, ns)
	ctx := context.Background()
	log, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	url := "--nats-url=" + natstest.OperatorURL(t, ns)
	provision := func() {
		for _, open := range []func(context.Context, jetstream.JetStream, int) error{
			projections.OpenStatusView, projections.OpenArticleView, projections.OpenQueuesView, projections.OpenFactsView,
		} {
			if err := open(ctx, js, 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	provision()

	const name, id, text = "Zelda Quuxley", "name:zelda quuxley", "zelda's secret words"
	add := func(typ events.Type, article, comment string, after uint64, p any) uint64 {
		t.Helper()
		e, err := events.New(uuid.NewString(), typ, article, comment, "moderator:mia", "", time.Now(), p)
		if err != nil {
			t.Fatal(err)
		}
		if after > 0 {
			seq, err := log.AppendAfter(ctx, e, after)
			if err != nil {
				t.Fatal(err)
			}
			return seq
		}
		seq, err := log.Append(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		return seq
	}
	approved, held, other := uuid.NewString(), uuid.NewString(), uuid.NewString()
	s1 := add(events.CommentSubmitted, "a1", approved, 0, events.Submitted{Author: name, AuthorID: id, Text: text + " one"})
	add(events.CommentApproved, "a1", approved, s1, events.Decision{Reason: "clean"})
	s2 := add(events.CommentSubmitted, "a1", held, 0, events.Submitted{Author: name, AuthorID: id, Text: text + " two"})
	add(events.CommentHeld, "a1", held, s2, events.Decision{Reason: "caps"})
	add(events.CommentReported, "a1", approved, 0, events.Reported{Reason: "spam", ReporterID: "r:1"})
	add(events.CommentSubmitted, "a1", other, 0, events.Submitted{Author: "Bo", AuthorID: "name:bo", Text: "Bo's"})
	until := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	add(events.AuthorBanned, "", "", 0, events.AuthorAction{AuthorID: id, Reason: "spam", Until: until})

	project(t, js, log)
	// Before the erasure the views do hold the author's name: the check
	// below can fail.
	if leaks := viewLeaks(t, js, name, id, text); len(leaks) == 0 {
		t.Fatal("the views hold nothing of the author before the erasure: the check sees nothing")
	}

	if out, _, err := runCtl(t, "", "authors", "erase", url, "--by", "dpo", "--reason", "ticket 7", id); err != nil {
		t.Fatalf("erase: %v %s", err, out)
	}
	project(t, js, log)
	for _, leak := range viewLeaks(t, js, name, id, text) {
		t.Errorf("after the erasure: %s", leak)
	}
	checkErased(t, js, id, until, approved, held)

	// A rebuild of every view from sequence 1 into fresh buckets.
	for _, b := range []string{projections.StatusBucket, projections.ArticlesBucket, projections.QueuesBucket, projections.FactsBucket} {
		if err := js.DeleteKeyValue(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	provision()
	project(t, js, log)
	for _, leak := range viewLeaks(t, js, name, id, text) {
		t.Errorf("after a rebuild: %s", leak)
	}
	checkErased(t, js, id, until, approved, held)
}

// project runs a projector with every view until each view's checkpoint
// reaches the log's last sequence.
func project(t *testing.T, js jetstream.JetStream, log *events.Log) {
	t.Helper()
	ctx := context.Background()
	status, err := projections.AttachStatusView(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	var views []projections.ViewWriter
	articles, err := projections.AttachArticleView(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	views = append(views, projections.NewArticleWriter(articles))
	queues, err := projections.AttachQueuesWriter(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	facts, err := projections.AttachFactsWriter(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	views = append(views, queues, facts)
	p := &projections.Projector{Log: log, Status: status, Views: views}
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var runErr error
	wg.Go(func() { runErr = p.Run(rctx) })
	last, err := log.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	buckets := []string{projections.StatusBucket, projections.ArticlesBucket, projections.QueuesBucket, projections.FactsBucket}
	poll.Until(t, 20*time.Second, func() error {
		for _, b := range buckets {
			kv, err := js.KeyValue(ctx, b)
			if err != nil {
				return err
			}
			e, err := kv.Get(ctx, "checkpoint")
			if err != nil {
				return fmt.Errorf("%s: %w", b, err)
			}
			if string(e.Value()) != fmt.Sprint(last) {
				return fmt.Errorf("%s at %s, want %d", b, e.Value(), last)
			}
		}
		return nil
	})
	cancel()
	wg.Wait()
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		t.Fatal(runErr)
	}
}

// viewLeaks lists every message of a view bucket's stream whose subject or
// data holds the author's name, id (plain, JSON-escaped or base64) or text.
func viewLeaks(t *testing.T, js jetstream.JetStream, name, id, text string) []string {
	t.Helper()
	ctx := context.Background()
	needles := []string{strings.ToLower(name), id, text, strings.TrimPrefix(id, "name:"),
		base64.RawURLEncoding.EncodeToString([]byte(id)), base64.StdEncoding.EncodeToString([]byte(id)),
		base64.StdEncoding.EncodeToString([]byte(name))}
	var leaks []string
	lister := js.StreamNames(ctx)
	for stream := range lister.Name() {
		if !strings.HasPrefix(stream, "KV_VIEW") {
			continue
		}
		s, err := js.Stream(ctx, stream)
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.Config.MaxMsgsPerSubject > 1 {
			t.Errorf("%s keeps %d revisions of a key: an erased value would stay in its history", stream, info.Config.MaxMsgsPerSubject)
		}
		for seq := info.State.FirstSeq; seq > 0 && seq <= info.State.LastSeq; seq++ {
			m, err := s.GetMsg(ctx, seq)
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			hay := bytes.ToLower(append([]byte(m.Subject+" "), m.Data...))
			for _, n := range needles {
				if bytes.Contains(hay, bytes.ToLower([]byte(n))) {
					leaks = append(leaks, fmt.Sprintf("%s #%d %s: %q holds %q", stream, seq, m.Subject, m.Data, n))
				}
			}
		}
	}
	if err := lister.Err(); err != nil {
		t.Fatal(err)
	}
	return leaks
}

// checkErased: the comments read "[removed]", the ban still holds, the
// author's facts hold no name and no comments.
func checkErased(t *testing.T, js jetstream.JetStream, id string, until time.Time, comments ...string) {
	t.Helper()
	ctx := context.Background()
	status, err := projections.AttachStatusView(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range comments {
		st, err := status.Comment(ctx, c)
		if err != nil || !st.Erased || st.Text != events.Removed || st.AuthorID != "" {
			t.Errorf("comment %s: %+v %v", c, st.Comment, err)
		}
	}
	facts, err := projections.AttachFacts(ctx, js, false)
	if err != nil {
		t.Fatal(err)
	}
	a, found, err := facts.AuthorFacts(ctx, id)
	if err != nil || !found || a.Name != "" || a.Total != 0 || !a.Stats().BannedAt(until.Add(-time.Minute)) || a.Stats().BannedAt(until) {
		t.Errorf("author facts: %+v found %v %v", a, found, err)
	}
	list, err := facts.AuthorComments(ctx, id)
	if err != nil || len(list.Recent) != 0 || len(list.Waiting) != 0 {
		t.Errorf("author comments: %+v %v", list, err)
	}
}
