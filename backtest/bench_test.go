package backtest_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/backtest"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/moderation"
)

// benchComments is the size of the log the benchmark replays.
const benchComments = 20_000

// fillLog writes n submissions of the moderation test corpus (70 bytes on
// average), by 500 authors on 50 articles, each with the rules' decision,
// one in ten with a moderator's, and a ban and a settings change now and
// then: about 2.1 events a comment.
func fillLog(b *testing.B, n int) *events.Log {
	b.Helper()
	data, err := os.ReadFile("../moderation/testdata/comments.txt")
	if err != nil {
		b.Fatal(err)
	}
	texts := strings.Split(strings.TrimSpace(string(data)), "\n")
	_, js := natstest.Connect(b, natstest.Server(b))
	ctx := context.Background()
	l, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		b.Fatal(err)
	}
	var inflight int
	flush := func() {
		select {
		case <-js.PublishAsyncComplete():
		case <-time.After(time.Minute):
			b.Fatal("filling the log took over a minute")
		}
		inflight = 0
	}
	pub := func(e events.Envelope) {
		if inflight++; inflight == 2000 {
			flush()
		}
		subj, err := events.Subject(e)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := events.Encode(e)
		if _, err := js.PublishMsgAsync(&nats.Msg{Subject: subj, Data: body}, jetstream.WithMsgID(e.ID)); err != nil {
			b.Fatal(err)
		}
	}
	at := time.Now().Add(-30 * 24 * time.Hour)
	for i := range n {
		article, author := fmt.Sprint("article-", i%50), fmt.Sprint("name:reader", i%500)
		id := uuid.NewString()
		at = at.Add(time.Minute)
		sub, _ := events.New(uuid.NewString(), events.CommentSubmitted, article, id, events.ActorReader, "", at,
			events.Submitted{Author: author, AuthorID: author, Text: texts[i%len(texts)]})
		pub(sub)
		typ := events.CommentApproved
		if i%7 == 0 {
			typ = events.CommentHeld
		}
		dec, _ := events.New(uuid.NewString(), typ, article, id, events.RulesActor("old"), sub.ID, at, events.Decision{Reason: "test"})
		pub(dec)
		if i%10 == 0 {
			typ := events.CommentApproved
			if i%20 == 0 {
				typ = events.CommentRejected
			}
			mod, _ := events.New(uuid.NewString(), typ, article, id, "moderator:mia", "", at, events.Decision{Reason: "spam"})
			pub(mod)
		}
		if i%1000 == 999 {
			ban, _ := events.New(uuid.NewString(), events.AuthorBanned, "", "", "moderator:mia", "", at, events.AuthorAction{AuthorID: author})
			pub(ban)
			set, _ := events.New(uuid.NewString(), events.ArticleSettingsChanged, article, "", "moderator:mia", "", at, events.ArticleSettings{Premoderated: i%2000 == 999})
			pub(set)
		}
	}
	flush()
	return l
}

// BenchmarkBacktest replays the same log raw (decode only) and as a
// backtest of the default rule set, one after the other in each
// iteration, so that both see the same machine: compare their comments/s
// (and the ratio, backtest/raw).
//
//	go test -run '^$' -bench Backtest -benchtime 5x ./backtest/
func BenchmarkBacktest(b *testing.B) {
	l := fillLog(b, benchComments)
	cfg := backtest.Config{Log: l, Rules: moderation.DefaultRuleset()}
	ctx := context.Background()
	var raw, bt time.Duration
	for b.Loop() {
		r, err := backtest.RawReplay(ctx, cfg)
		if err != nil || r.Comments != benchComments {
			b.Fatal(r, err)
		}
		raw += r.Elapsed
		rep, err := backtest.Run(ctx, cfg)
		if err != nil || rep.Comments != benchComments {
			b.Fatal(rep.Comments, err)
		}
		bt += rep.Elapsed
	}
	n := float64(b.N * benchComments)
	b.ReportMetric(n/raw.Seconds(), "raw-comments/s")
	b.ReportMetric(n/bt.Seconds(), "backtest-comments/s")
	b.ReportMetric(raw.Seconds()/bt.Seconds(), "ratio")
}
