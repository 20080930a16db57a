package commands_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/commands"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/moderation"
	"github.com/newsroom/commentd/projections"
)

const mia = events.ModeratorActor + "mia"

// fixture runs the commands on a real embedded JetStream, with in-memory
// views the test feeds from the log (catchUp): each test decides what the
// views have seen.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	js    jetstream.JetStream
	log   *events.Log
	views *commands.FoldViews
	cmd   *commands.Service
}

func newFixture(t *testing.T, cfg commands.Config) *fixture {
	t.Helper()
	_, js := natstest.Connect(t, natstest.Server(t))
	ctx := context.Background()
	l, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	views := commands.NewFoldViews()
	cfg.Log, cfg.Views = l, views
	return &fixture{t: t, ctx: ctx, js: js, log: l, views: views, cmd: commands.New(cfg)}
}

// catchUp applies every stored event to the views, as the projector would.
func (f *fixture) catchUp() {
	f.t.Helper()
	if err := f.log.Replay(f.ctx, f.views.Applied()+1, nil, func(e events.Envelope) error {
		f.views.Apply(e)
		return nil
	}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) lastSeq() uint64 {
	f.t.Helper()
	seq, err := f.log.LastSeq(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return seq
}

// submit posts a comment through the command and returns its id.
func (f *fixture) submit(article, author, text string) string {
	f.t.Helper()
	res, err := f.cmd.Submit(f.ctx, commands.Submission{Article: article, Author: author, AuthorID: events.AnonymousAuthorID(author), Text: text})
	if err != nil {
		f.t.Fatal(err)
	}
	return res.ID
}

// rules appends the worker's decision on a comment after its newest event.
func (f *fixture) rules(typ events.Type, article, id string, d events.Decision) uint64 {
	f.t.Helper()
	seq, err := f.log.CommentSeq(f.ctx, article, id)
	if err != nil {
		f.t.Fatal(err)
	}
	e, _ := events.New(uuid.NewString(), typ, article, id, events.RulesActor("v1"), "", time.Now(), d)
	seq, err = f.log.AppendAfter(f.ctx, e, seq)
	if err != nil {
		f.t.Fatal(err)
	}
	return seq
}

func refusal(t *testing.T, err error, kind error, code, field string) {
	t.Helper()
	ce, ok := errors.AsType[*commands.Error](err)
	if !ok || !errors.Is(err, kind) || ce.Code != code || ce.Field != field || ce.Message == "" {
		t.Fatalf("got %v, want %v with code %q field %q", err, kind, code, field)
	}
}

func TestSubmitValidatesAndAppendsNothingItRefuses(t *testing.T) {
	f := newFixture(t, commands.Config{})
	ok := commands.Submission{Article: "a1", Author: "Anna", AuthorID: events.AnonymousAuthorID("Anna"), Text: "Good piece."}
	with := func(edit func(*commands.Submission)) commands.Submission { s := ok; edit(&s); return s }
	tests := []struct {
		name        string
		in          commands.Submission
		code, field string
	}{
		{"bad article", with(func(s *commands.Submission) { s.Article = "a.b" }), "invalid_article", "article"},
		{"no author", with(func(s *commands.Submission) { s.Author = "" }), "missing_field", "author"},
		{"author too long", with(func(s *commands.Submission) { s.Author = strings.Repeat("a", commands.MaxAuthorRunes+1) }), "too_long", "author"},
		{"control in author", with(func(s *commands.Submission) { s.Author = "a\x07b" }), "invalid_field", "author"},
		{"blank text", with(func(s *commands.Submission) { s.Text = " \n " }), "missing_field", "text"},
		{"text too long", with(func(s *commands.Submission) { s.Text = strings.Repeat("é", commands.MaxTextRunes+1) }), "too_long", "text"},
		{"escape in text", with(func(s *commands.Submission) { s.Text = "hi \x1b[2J" }), "invalid_field", "text"},
		{"invalid UTF-8", with(func(s *commands.Submission) { s.Text = "bad \xff" }), "invalid_utf8", ""},
		{"parent not an id", with(func(s *commands.Submission) { s.ParentID = "../etc" }), "unknown_parent", "parent_id"},
		{"unknown parent", with(func(s *commands.Submission) { s.ParentID = uuid.NewString() }), "unknown_parent", "parent_id"},
		{"key too long", with(func(s *commands.Submission) { s.Key = strings.Repeat("k", commands.MaxKeyLen+1) }), "invalid_idempotency_key", "Idempotency-Key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			admitted := false
			tt.in.Admit = func() error { admitted = true; return nil }
			_, err := f.cmd.Submit(f.ctx, tt.in)
			refusal(t, err, events.ErrInvalid, tt.code, tt.field)
			if admitted {
				t.Fatal("a refused submission took a rate-limit token")
			}
		})
	}
	if seq := f.lastSeq(); seq != 0 {
		t.Fatalf("refused submissions stored %d events", seq)
	}

	// The caller's limit refuses last, with its own error, and nothing is
	// stored.
	limited := errors.New("rate limited")
	if _, err := f.cmd.Submit(f.ctx, with(func(s *commands.Submission) { s.Admit = func() error { return limited } })); !errors.Is(err, limited) {
		t.Fatalf("a refusing Admit: %v", err)
	}
	if seq := f.lastSeq(); seq != 0 {
		t.Fatalf("a limited submission was stored (seq %d)", seq)
	}

	res, err := f.cmd.Submit(f.ctx, with(func(s *commands.Submission) { s.Source = "src1" }))
	if err != nil || !res.Stored || res.Status != projections.Pending || uuid.Validate(res.ID) != nil {
		t.Fatalf("a valid submission: %+v %v", res, err)
	}
	hist, err := f.log.History(f.ctx, "a1", res.ID)
	if err != nil {
		t.Fatal(err)
	}
	var p events.Submitted
	if err := hist[0].Payload(&p); err != nil || hist[0].Type != events.CommentSubmitted || hist[0].Actor != events.ActorReader ||
		p.Author != "Anna" || p.AuthorID != ok.AuthorID || p.Text != ok.Text || p.Source != "src1" {
		t.Fatalf("stored %+v %+v %v", hist[0], p, err)
	}
}

func TestSubmitToClosedArticlesAndReplies(t *testing.T) {
	f := newFixture(t, commands.Config{MaxReplyDepth: 2})
	top := f.submit("a1", "Anna", "Top")
	other := f.submit("a2", "Anna", "Elsewhere")
	f.catchUp()
	reply := func(article, parent string) (commands.Accepted, error) {
		return f.cmd.Submit(f.ctx, commands.Submission{Article: article, Author: "Bo", AuthorID: events.AnonymousAuthorID("Bo"), Text: "Re", ParentID: parent})
	}
	r1, err := reply("a1", top)
	if err != nil {
		t.Fatal(err)
	}
	_, err = reply("a1", other)
	refusal(t, err, events.ErrInvalid, "unknown_parent", "parent_id")
	f.catchUp()
	r2, err := reply("a1", r1.ID)
	if err != nil {
		t.Fatalf("a reply at depth 2: %v", err)
	}
	f.catchUp()
	_, err = reply("a1", r2.ID)
	refusal(t, err, events.ErrInvalid, "reply_too_deep", "parent_id")

	if err := f.cmd.SetArticle(f.ctx, mia, "a1", events.ArticleSettings{Closed: true}); err != nil {
		t.Fatal(err)
	}
	f.catchUp()
	_, err = reply("a1", "")
	refusal(t, err, commands.ErrClosed, "article_closed", "")
	if err := f.cmd.SetArticle(f.ctx, mia, "a.b", events.ArticleSettings{}); !errors.Is(err, commands.ErrArticleID) {
		t.Fatalf("settings of a bad article id: %v", err)
	}
	set, err := f.log.Last(f.ctx, "articles.a1.settings")
	if err != nil || set.Actor != mia {
		t.Fatalf("settings event %+v %v", set, err)
	}
}

func TestSubmitWithAnIdempotencyKey(t *testing.T) {
	f := newFixture(t, commands.Config{Secret: []byte("s")})
	admits := 0
	sub := func(author, text, key string) (commands.Accepted, error) {
		return f.cmd.Submit(f.ctx, commands.Submission{Article: "a1", Author: author, AuthorID: events.AnonymousAuthorID(author), Text: text, Key: key,
			Admit: func() error { admits++; return nil }})
	}
	first, err := sub("Anna", "Once", "k1")
	if err != nil || !first.Stored {
		t.Fatalf("first: %+v %v", first, err)
	}
	// Sent again before the views know it: the log answers.
	again, err := sub("Anna", "Once", "k1")
	if err != nil || again.ID != first.ID || again.Stored || again.Status != projections.Pending {
		t.Fatalf("retry before the views: %+v %v", again, err)
	}
	_, err = sub("Anna", "Another comment", "k1")
	refusal(t, err, commands.ErrKeyReused, "idempotency_key_reused", "Idempotency-Key")
	// The same key is another author's own.
	bo, err := sub("Bo", "Once", "k1")
	if err != nil || bo.ID == first.ID || !bo.Stored {
		t.Fatalf("another author's key: %+v %v", bo, err)
	}
	// Once the views know it, they answer, before any limit.
	f.rules(events.CommentApproved, "a1", first.ID, events.Decision{})
	f.catchUp()
	before := admits
	again, err = sub("Anna", "Once", "k1")
	if err != nil || again.ID != first.ID || again.Status != projections.Approved || admits != before {
		t.Fatalf("retry the views know: %+v %v (admits %d→%d)", again, err, before, admits)
	}
	hist, _ := f.log.History(f.ctx, "a1", first.ID)
	if len(hist) != 2 {
		t.Fatalf("the keyed comment has %d events, want its submission and decision", len(hist))
	}
}

func TestReport(t *testing.T) {
	f := newFixture(t, commands.Config{})
	id := f.submit("a1", "Anna", "Text")
	f.catchUp()
	rep := commands.Report{Comment: id, Reason: "spam", ReporterID: "ip:1"}
	if _, err := f.cmd.Report(f.ctx, rep); !errors.Is(err, events.ErrNotFound) {
		t.Fatalf("report of a pending comment: %v, want not found", err)
	}
	f.rules(events.CommentApproved, "a1", id, events.Decision{})
	f.catchUp()
	_, err := f.cmd.Report(f.ctx, commands.Report{Comment: id, Reason: "boring", ReporterID: "ip:1"})
	refusal(t, err, events.ErrInvalid, "invalid_reason", "reason")
	limited := errors.New("limited")
	if _, err := f.cmd.Report(f.ctx, commands.Report{Comment: id, Reason: "spam", ReporterID: "ip:1", Admit: func() error { return limited }}); !errors.Is(err, limited) {
		t.Fatalf("a refusing Admit: %v", err)
	}
	for range 2 { // the same reader twice is stored once
		if c, err := f.cmd.Report(f.ctx, rep); err != nil || c.ID != id {
			t.Fatalf("report: %+v %v", c, err)
		}
	}
	if _, err := f.cmd.Report(f.ctx, commands.Report{Comment: id, Reason: "spam", ReporterID: "ip:2"}); err != nil {
		t.Fatal(err)
	}
	hist, _ := f.log.History(f.ctx, "a1", id)
	reports := 0
	for _, e := range hist {
		if e.Type == events.CommentReported {
			reports++
		}
	}
	if reports != 2 {
		t.Fatalf("%d reports stored, want one per reader", reports)
	}
	if _, err := f.cmd.Report(f.ctx, commands.Report{Comment: uuid.NewString(), Reason: "spam"}); !errors.Is(err, events.ErrNotFound) {
		t.Fatalf("report of an unknown comment: %v", err)
	}
}

func TestPublishRules(t *testing.T) {
	f := newFixture(t, commands.Config{})
	rs, published, err := f.cmd.PublishRules(f.ctx, mia, "default.yaml", moderation.DefaultRulesetSource())
	if err != nil || !published {
		t.Fatalf("publish: %v %v", published, err)
	}
	e, err := f.log.Last(f.ctx, events.RulesetSubjects)
	if err != nil || e.Actor != mia {
		t.Fatalf("published %+v %v", e, err)
	}
	if _, published, err := f.cmd.PublishRules(f.ctx, mia, "default.yaml", moderation.DefaultRulesetSource()); err != nil || published {
		t.Fatalf("the rule set in force again: published %v %v", published, err)
	}
	if _, _, err := f.cmd.PublishRules(f.ctx, mia, "r.yaml", []byte("rules: [")); !errors.Is(err, moderation.ErrInvalid) {
		t.Fatalf("a broken rule file: %v", err)
	}
	if seq := f.lastSeq(); seq != e.Seq {
		t.Fatalf("the log moved from %d to %d; rule set %s", e.Seq, seq, rs.Version)
	}
}
