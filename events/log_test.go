package events_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/embedded"
	"github.com/newsroom/commentd/internal/natstest"
)

func openLog(t testing.TB) *events.Log {
	t.Helper()
	_, js := natstest.Connect(t, natstest.Server(t))
	l, err := events.Open(context.Background(), js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func submitted(t *testing.T, article, comment, text string) events.Envelope {
	t.Helper()
	e, err := events.New(uuid.NewString(), events.CommentSubmitted, article, comment, events.ActorReader, "", time.Now(),
		events.Submitted{Author: "Anna", AuthorID: "anon:anna", Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func decision(t *testing.T, typ events.Type, cause events.Envelope, actor string) events.Envelope {
	t.Helper()
	e, err := events.New(uuid.NewString(), typ, cause.Article, cause.Comment, actor, cause.ID, time.Now(), events.Decision{Reason: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// mustAppend appends e and returns its sequence.
func mustAppend(t testing.TB, l *events.Log, e events.Envelope) uint64 {
	t.Helper()
	seq, err := l.Append(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

func TestAppendIsIdempotentByEventID(t *testing.T) {
	ctx := context.Background()
	l := openLog(t)
	e := submitted(t, "a1", uuid.NewString(), "hello")
	s1 := mustAppend(t, l, e)
	s2 := mustAppend(t, l, e)
	if s1 != s2 {
		t.Fatalf("retried append stored twice: seq %d then %d", s1, s2)
	}
	if last, _ := l.LastSeq(ctx); last != 1 {
		t.Fatalf("stream holds %d events, want 1", last)
	}
}

// openClusterLog opens the log with three replicas on an in-process
// 3-node cluster: a replicated stream answers a lost race with another
// error code (10164) than one server does (10071).
func openClusterLog(t testing.TB) *events.Log {
	t.Helper()
	cl := natstest.NewCluster(t, 3)
	nc, err := nats.Connect(cl.ClientURLs(), nats.UserInfo(embedded.Operator, cl.Password(embedded.Operator)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	l, err := events.Open(context.Background(), js, events.Config{Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	cl.WaitStreamCurrent(events.StreamName)
	return l
}

func TestAppendAfterLetsOneOfTwoDecidersWin(t *testing.T) {
	t.Run("one server", func(t *testing.T) { testOneDeciderWins(t, openLog(t)) })
	t.Run("R3 cluster", func(t *testing.T) { testOneDeciderWins(t, openClusterLog(t)) })
}

// A decision made on a stale view loses with ErrConflict, on one server
// and on a replicated stream alike.
func TestAppendAfterAStaleSequenceIsAConflict(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *events.Log{"one server": openLog, "R3 cluster": openClusterLog} {
		t.Run(name, func(t *testing.T) {
			l := open(t)
			ctx := context.Background()
			sub := submitted(t, "a1", uuid.NewString(), "hello")
			seq := mustAppend(t, l, sub)
			if _, err := l.AppendAfter(ctx, decision(t, events.CommentApproved, sub, "rules@1"), seq); err != nil {
				t.Fatal(err)
			}
			_, err := l.AppendAfter(ctx, decision(t, events.CommentRejected, sub, "moderator:m"), seq)
			if !errors.Is(err, events.ErrConflict) {
				t.Fatalf("append after a stale sequence: %v, want ErrConflict", err)
			}
			if errors.Is(err, events.ErrUnavailable) {
				t.Fatalf("a lost race reads as an outage: %v", err)
			}
			if _, err := l.Redeliver(ctx, seq); !errors.Is(err, events.ErrConflict) {
				t.Fatalf("redeliver of a decided submission: %v, want ErrConflict", err)
			}
		})
	}
}

func testOneDeciderWins(t *testing.T, l *events.Log) {
	ctx := context.Background()
	sub := submitted(t, "a1", uuid.NewString(), "hello")
	seq := mustAppend(t, l, sub)
	// Another comment's event in between must not count as a conflict.
	mustAppend(t, l, submitted(t, "a1", uuid.NewString(), "other"))
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			typ := events.CommentApproved
			if i%2 == 1 {
				typ = events.CommentRejected
			}
			_, errs[i] = l.AppendAfter(ctx, decision(t, typ, sub, "moderator:m"+string(rune('0'+i))), seq)
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, events.ErrConflict):
			t.Fatalf("loser got %v, want ErrConflict", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d deciders won, want exactly 1", won)
	}
	hist, err := l.History(ctx, sub.Article, sub.Comment)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].Type != events.CommentSubmitted || !hist[1].Type.IsDecision() {
		t.Fatalf("history = %+v, want submitted then one decision", hist)
	}
	if got, err := l.CommentSeq(ctx, sub.Article, sub.Comment); err != nil || got != hist[1].Seq {
		t.Fatalf("CommentSeq = %d, %v; want %d", got, err, hist[1].Seq)
	}
}

func TestHistoryOfUnknownCommentIsNotFound(t *testing.T) {
	l := openLog(t)
	for _, c := range []string{uuid.NewString(), "a.b", "*", ""} {
		if _, err := l.History(context.Background(), "a1", c); !errors.Is(err, events.ErrNotFound) {
			t.Errorf("History(%q) error = %v, want ErrNotFound", c, err)
		}
	}
}

func TestAppendRejectsBadIDs(t *testing.T) {
	l := openLog(t)
	for _, article := range []string{"", "a.b", "a b", "a*", "a>", string(make([]byte, 200))} {
		e := submitted(t, "x", uuid.NewString(), "t")
		e.Article = article
		if _, err := l.Append(context.Background(), e); !errors.Is(err, events.ErrInvalid) {
			t.Errorf("Append(article %q) error = %v, want ErrInvalid", article, err)
		}
	}
}

func TestSubjects(t *testing.T) {
	mk := func(typ events.Type, article, comment string, payload any) events.Envelope {
		e, err := events.New("id", typ, article, comment, "moderator:m", "", time.Now(), payload)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	tests := []struct {
		e    events.Envelope
		want string
	}{
		{mk(events.CommentSubmitted, "a1", "c1", events.Submitted{}), "comments.a1.c1.submitted"},
		{mk(events.CommentHeld, "a1", "c1", events.Decision{}), "comments.a1.c1.held"},
		{mk(events.CommentReported, "a1", "c1", events.Reported{}), "reports.a1.c1"},
		{mk(events.AuthorBanned, "", "", events.AuthorAction{AuthorID: "name:john q. public"}), "authors." + events.AuthorKey("name:john q. public") + ".banned"},
		{mk(events.AuthorUnbanned, "", "", events.AuthorAction{AuthorID: "sso:42"}), "authors." + events.AuthorKey("sso:42") + ".unbanned"},
		{mk(events.ArticleSettingsChanged, "a1", "", events.ArticleSettings{Closed: true}), "articles.a1.settings"},
		{mk(events.RulesetPublished, "", "", events.RulesetPublication{Version: "v"}), "rulesets.published"},
	}
	for _, tt := range tests {
		got, err := events.Subject(tt.e)
		if err != nil || got != tt.want {
			t.Errorf("Subject(%s) = %q, %v; want %q", tt.e.Type, got, err, tt.want)
		}
	}
	for _, bad := range []events.Envelope{
		mk(events.AuthorBanned, "", "", events.AuthorAction{}),
		mk(events.ArticleSettingsChanged, "a.b", "", events.ArticleSettings{}),
		mk(events.CommentReported, "a1", "c.1", events.Reported{}),
		mk("Unknown", "a1", "c1", nil),
	} {
		if _, err := events.Subject(bad); !errors.Is(err, events.ErrInvalid) {
			t.Errorf("Subject(%s %q %q) error = %v, want ErrInvalid", bad.Type, bad.Article, bad.Comment, err)
		}
	}
}

// A report between reading a comment and deciding it must not conflict.
func TestReportDoesNotConflictWithADecision(t *testing.T) {
	ctx := context.Background()
	l := openLog(t)
	sub := submitted(t, "a1", uuid.NewString(), "hello")
	seq := mustAppend(t, l, sub)
	rep, _ := events.New(uuid.NewString(), events.CommentReported, sub.Article, sub.Comment, "reader", "", time.Now(), events.Reported{Reason: "spam", ReporterID: "r1"})
	mustAppend(t, l, rep)
	if _, err := l.AppendAfter(ctx, decision(t, events.CommentApproved, sub, "moderator:m"), seq); err != nil {
		t.Fatalf("decision after a report: %v", err)
	}
	rep2, _ := events.New(uuid.NewString(), events.CommentReported, sub.Article, sub.Comment, "reader", "", time.Now(), events.Reported{Reason: "abuse", ReporterID: "r2"})
	mustAppend(t, l, rep2)
	hist, err := l.History(ctx, sub.Article, sub.Comment)
	if err != nil {
		t.Fatal(err)
	}
	var types []events.Type
	for _, e := range hist {
		types = append(types, e.Type)
	}
	want := []events.Type{events.CommentSubmitted, events.CommentReported, events.CommentApproved, events.CommentReported}
	if fmt.Sprint(types) != fmt.Sprint(want) {
		t.Fatalf("history %v, want %v", types, want)
	}
}

// A replay whose filters match nothing ends at once instead of waiting
// for an event that may never come.
func TestReplayOfNothingEnds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l := openLog(t)
	mustAppend(t, l, submitted(t, "a1", uuid.NewString(), "hi"))
	for _, filters := range [][]string{{"comments.nobody.>"}, {"reports.>"}} {
		n := 0
		if err := l.Replay(ctx, 1, filters, func(events.Envelope) error { n++; return nil }); err != nil || n != 0 {
			t.Fatalf("Replay(%v) = %d events, %v", filters, n, err)
		}
	}
	n := 0
	if err := l.Replay(ctx, 1, nil, func(events.Envelope) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("Replay(all) = %d events, %v", n, err)
	}
	if err := l.Replay(ctx, 2, nil, func(events.Envelope) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("Replay from past the end = %d events, %v", n, err)
	}
}

// Until reads the events of the filters stored up to a moment, each with
// the stream's own time, and nothing of the other subjects.
func TestUntilReadsTheLogAsItStoodThen(t *testing.T) {
	ctx := context.Background()
	l := openLog(t)
	var mine []uint64
	for i := range 6 {
		article := "a1"
		if i%2 == 1 {
			article = "other"
		}
		seq := mustAppend(t, l, submitted(t, article, uuid.NewString(), fmt.Sprint("text ", i)))
		if article == "a1" {
			mine = append(mine, seq)
		}
	}
	set, err := events.New(uuid.NewString(), events.ArticleSettingsChanged, "a1", "", "moderator:m", "", time.Now(), events.ArticleSettings{Closed: true})
	if err != nil {
		t.Fatal(err)
	}
	mine = append(mine, mustAppend(t, l, set))
	filters := []string{"comments.a1.>", "articles.a1.settings"}

	var all []events.Envelope
	if err := l.Replay(ctx, 1, filters, func(e events.Envelope) error { all = append(all, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(all) != len(mine) {
		t.Fatalf("replay saw %d events, want %d", len(all), len(mine))
	}
	for i, e := range all {
		if e.Stored.IsZero() || (i > 0 && e.Stored.Before(all[i-1].Stored)) {
			t.Fatalf("event %d stored at %v after %v", e.Seq, e.Stored, all[i-1].Stored)
		}
	}
	for i, cut := range all {
		var got []uint64
		if err := l.Until(ctx, filters, cut.Stored, func(e events.Envelope) error { got = append(got, e.Seq); return nil }); err != nil {
			t.Fatal(err)
		}
		want := mine[:i+1]
		for i+1 < len(all) && all[i+1].Stored.Equal(cut.Stored) { // same instant: both were there
			i++
			want = mine[:i+1]
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("until %v: got %v, want %v", cut.Stored, got, want)
		}
	}
	var before []uint64
	if err := l.Until(ctx, filters, all[0].Stored.Add(-time.Nanosecond), func(e events.Envelope) error { before = append(before, e.Seq); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(before) != 0 {
		t.Errorf("before the first event: got %v", before)
	}
	var future int
	if err := l.Until(ctx, filters, time.Now().Add(time.Hour), func(events.Envelope) error { future++; return nil }); err != nil {
		t.Fatal(err)
	}
	if future != len(mine) {
		t.Errorf("in the future: %d events, want all %d", future, len(mine))
	}
	if err := l.Until(ctx, []string{"comments.nobody.>"}, time.Now(), func(events.Envelope) error { t.Error("an event of nobody"); return nil }); err != nil {
		t.Fatal(err)
	}
	// Each read removed its consumer as it ended.
	info, err := l.Stream().Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Consumers != 0 {
		t.Errorf("%d consumers left behind by the reads", info.State.Consumers)
	}
}
