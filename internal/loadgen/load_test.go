package loadgen_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/loadgen"
	"github.com/newsroom/commentd/internal/natsperm"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/moderation"
)

func TestLoadWritesTheHistoryAsTheWorkerWould(t *testing.T) {
	ns := natstest.Server(t)
	_, js := natstest.Connect(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := natsperm.Provision(ctx, js, natsperm.Setup{Replicas: 1, SessionTTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	log, err := events.Attach(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loadgen.Load(ctx, js, loadgen.Config{Comments: 10}, loadgen.Options{}); err == nil || !strings.Contains(err.Error(), "rule set") {
		t.Fatalf("load without a rule set: %v, want an error that says so", err)
	}
	rs, _, err := moderation.PublishRuleset(ctx, log, "default.yaml", moderation.DefaultRulesetSource(), "operator")
	if err != nil {
		t.Fatal(err)
	}

	const n = 3000
	cfg := loadgen.Config{Comments: n, Articles: 200, Seed: 7}
	r, err := loadgen.Load(ctx, js, cfg, loadgen.Options{DrainWorker: true, Window: 256})
	if err != nil {
		t.Fatal(err)
	}
	if r.Comments != n || r.Events != 2*n || r.Approved+r.Held+r.Rejected != n {
		t.Fatalf("result %+v: want %d comments, %d events, each decided", r, n, 2*n)
	}
	if r.LastSeq-r.FirstSeq+1 != 2*n {
		t.Errorf("loaded sequences %d..%d, want %d events", r.FirstSeq, r.LastSeq, 2*n)
	}
	// Shares: ~4% held, ~3% rejected, ~20% replies, hottest article far
	// above the mean (15 a article here).
	share := func(k int) float64 { return float64(k) / n }
	if h := share(r.Held); h < 0.02 || h > 0.07 {
		t.Errorf("held share %.3f, want about 0.04", h)
	}
	if h := share(r.Rejected); h < 0.01 || h > 0.06 {
		t.Errorf("rejected share %.3f, want about 0.03", h)
	}
	if h := share(r.Replies); h < 0.12 || h > 0.25 {
		t.Errorf("reply share %.3f, want about 0.2 (fewer only where an article has no approved comment yet)", h)
	}
	if r.Hottest != loadgen.Article(0) || r.HottestComments < 10*n/200 {
		t.Errorf("hottest %s with %d comments, want %s far above the mean of %d", r.Hottest, r.HottestComments, loadgen.Article(0), n/200)
	}

	// Every event as the api and the worker write them: a submission,
	// then the rule set's decision caused by it; replies answer an
	// approved comment of the same article submitted before.
	type state struct {
		article string
		status  events.Type
	}
	comments := map[string]*state{}
	counts := map[events.Type]int{}
	var textBytes int
	err = log.Replay(ctx, r.FirstSeq, nil, func(e events.Envelope) error {
		counts[e.Type]++
		switch e.Type {
		case events.CommentSubmitted:
			var p events.Submitted
			if err := e.Payload(&p); err != nil {
				t.Fatal(err)
			}
			textBytes += len(p.Text)
			if p.ParentID != "" {
				par := comments[p.ParentID]
				if par == nil || par.article != e.Article || par.status != events.CommentApproved {
					t.Errorf("comment %s replies to %s, not an approved comment of %s", e.Comment, p.ParentID, e.Article)
				}
			}
			if p.AuthorID != events.AnonymousAuthorID(p.Author) || e.Actor != events.ActorReader {
				t.Errorf("submission %s by %q (%q), actor %q", e.ID, p.Author, p.AuthorID, e.Actor)
			}
			comments[e.Comment] = &state{article: e.Article}
		case events.CommentApproved, events.CommentHeld, events.CommentRejected:
			c := comments[e.Comment]
			if c == nil || c.status != "" || e.Actor != events.RulesActor(rs.Version) || e.CausationID == "" {
				t.Errorf("decision %s of %s: not the first after its submission, or not the rules' (%q)", e.ID, e.Comment, e.Actor)
				return nil
			}
			c.status = e.Type
		default:
			t.Errorf("unexpected %s", e.Type)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if counts[events.CommentSubmitted] != n || counts[events.CommentApproved] != r.Approved ||
		counts[events.CommentHeld] != r.Held || counts[events.CommentRejected] != r.Rejected {
		t.Errorf("log holds %v, result %+v", counts, r)
	}
	if avg := textBytes / n; avg < 250 || avg > 380 {
		t.Errorf("texts of %d bytes on average, want about 300", avg)
	}

	// The workers' consumer has nothing left to decide.
	cons, err := log.Stream().Consumer(ctx, moderation.ConsumerName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.NumPending != 0 || info.NumAckPending != 0 || r.Drained != n || r.DrainStopped {
		t.Errorf("workers' consumer: %d pending, %d unacked; drained %d (stopped %v), want all %d", info.NumPending, info.NumAckPending, r.Drained, r.DrainStopped, n)
	}

	// The same seed again is the same events: the stream stores none of
	// them twice.
	if _, err := loadgen.Load(ctx, js, cfg, loadgen.Options{}); err != nil {
		t.Fatal(err)
	}
	if last, err := log.LastSeq(ctx); err != nil || last != r.LastSeq {
		t.Errorf("after loading the same history again the log ends at %d (%v), want %d", last, err, r.LastSeq)
	}
}

func TestDrainLeavesOthersSubmissionsToTheWorker(t *testing.T) {
	ns := natstest.Server(t)
	_, js := natstest.Connect(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := natsperm.Provision(ctx, js, natsperm.Setup{Replicas: 1, SessionTTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	log, err := events.Attach(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := moderation.PublishRuleset(ctx, log, "default.yaml", moderation.DefaultRulesetSource(), "operator"); err != nil {
		t.Fatal(err)
	}
	// A reader's submission the worker has not decided yet.
	e, err := events.New("ev-1", events.CommentSubmitted, "news", "c-1", events.ActorReader, "", time.Now(),
		events.Submitted{Author: "Anna", AuthorID: events.AnonymousAuthorID("Anna"), Text: "Good piece."})
	if err != nil {
		t.Fatal(err)
	}
	seq, err := log.Append(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	r, err := loadgen.Load(ctx, js, loadgen.Config{Comments: 100, Articles: 10, Seed: 1}, loadgen.Options{DrainWorker: true})
	if err != nil {
		t.Fatal(err)
	}
	if !r.DrainStopped || r.Drained > 100 {
		t.Errorf("drained %d, stopped %v: want the drain to stop at the reader's submission", r.Drained, r.DrainStopped)
	}
	cons, err := log.Stream().Consumer(ctx, moderation.ConsumerName)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for m := range msgs.Messages() {
		meta, _ := m.Metadata()
		if meta.Sequence.Stream != seq {
			t.Errorf("the worker's next submission is at %d, want the reader's at %d", meta.Sequence.Stream, seq)
		}
		return
	}
	t.Error("the reader's submission is no longer on the workers' consumer")
}

func TestGeneratorIsReproducibleAndValidates(t *testing.T) {
	rs := moderation.DefaultRuleset()
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	a, err := loadgen.NewGenerator(loadgen.Config{Comments: 50, Seed: 3, End: end}, rs)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := loadgen.NewGenerator(loadgen.Config{Comments: 50, Seed: 3, End: end}, rs)
	var prev time.Time
	for !a.Done() {
		ca, err := a.Next()
		if err != nil {
			t.Fatal(err)
		}
		cb, _ := b.Next()
		if ca.Submitted.ID != cb.Submitted.ID || ca.Submitted.Comment != cb.Submitted.Comment || string(ca.Submitted.Data) != string(cb.Submitted.Data) {
			t.Fatal("the same seed made different histories")
		}
		if !ca.Submitted.OccurredAt.After(prev) || ca.Submitted.OccurredAt.After(end) {
			t.Errorf("comment at %v after %v, want ascending times up to %v", ca.Submitted.OccurredAt, prev, end)
		}
		prev = ca.Submitted.OccurredAt
	}
	if _, err := a.Next(); err == nil {
		t.Error("Next after the last comment: want an error")
	}
	for _, bad := range []loadgen.Config{{Skew: 0.5}, {Replies: 2}, {Held: 0.6, Rejected: 0.6}, {TextBytes: 5}, {Comments: -1}} {
		if _, err := loadgen.NewGenerator(bad, rs); err == nil {
			t.Errorf("config %+v: want an error", bad)
		}
	}
	if _, err := loadgen.NewGenerator(loadgen.Config{}, nil); err == nil {
		t.Error("no rule set: want an error")
	}
}
