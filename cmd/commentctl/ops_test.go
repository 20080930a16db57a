package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsroom/commentd/deadletter"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
)

// history is a small installation on a real server: what commentd would
// have made of a few comments.
type history struct {
	url      string
	js       jetstream.JetStream
	log      *events.Log
	last     uint64
	approved string // on a1, reported once
	held     string // on a1
	pending  string // on a2
}

func newHistory(t *testing.T) *history {
	t.Helper()
	ctx := context.Background()
	ns := natstest.Server(t)
	_, js := natstest.Connect(t, ns)
	log, err := events.Open(ctx, js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := deadletter.Open(ctx, js, log, deadletter.Config{}); err != nil {
		t.Fatal(err)
	}
	h := &history{url: natstest.OperatorURL(t, ns), js: js, log: log}
	appendEvent := func(typ events.Type, article, comment, actor string, payload any) {
		t.Helper()
		e, err := events.New(uuid.NewString(), typ, article, comment, actor, "", time.Now(), payload)
		if err != nil {
			t.Fatal(err)
		}
		if h.last, err = log.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	h.approved, h.held, h.pending = uuid.NewString(), uuid.NewString(), uuid.NewString()
	appendEvent(events.CommentSubmitted, "a1", h.approved, events.ActorReader, events.Submitted{Author: "Ann", AuthorID: "name:ann", Text: "Fine piece."})
	appendEvent(events.CommentApproved, "a1", h.approved, events.RulesActor("v1"), events.Decision{Reason: "ok"})
	appendEvent(events.CommentSubmitted, "a1", h.held, events.ActorReader, events.Submitted{Author: "Bo", AuthorID: "name:bo", Text: "see www.example.com"})
	appendEvent(events.CommentHeld, "a1", h.held, events.RulesActor("v1"), events.Decision{Reason: "links"})
	appendEvent(events.CommentReported, "a1", h.approved, events.ActorReader, events.Reported{Reason: "rude", ReporterID: "r1"})
	appendEvent(events.RulesetPublished, "", "", "operator", events.RulesetPublication{Version: "v2", Source: "rules: []\n"})
	// Something that can never be decoded, as a buggy producer might
	// write it.
	if _, err := js.Publish(ctx, "comments.a1.garbage.submitted", []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	appendEvent(events.CommentSubmitted, "a2", h.pending, events.ActorReader, events.Submitted{Author: "Cy", AuthorID: "name:cy", Text: "First!"})
	// A worker that has taken nothing yet.
	if _, err := log.Stream().CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: "moderation", FilterSubject: events.SubmittedSubjects, AckPolicy: jetstream.AckExplicitPolicy,
	}); err != nil {
		t.Fatal(err)
	}
	return h
}

// exportLine is what a test reads of one exported line.
type exportLine struct {
	Seq     uint64      `json:"seq"`
	Subject string      `json:"subject"`
	Error   string      `json:"error"`
	ID      string      `json:"id"`
	Type    events.Type `json:"type"`
	Article string      `json:"article"`
	Comment string      `json:"comment"`
	Data    struct {
		Text string `json:"text"`
	} `json:"data"`
}

func exportLines(t *testing.T, out string) []exportLine {
	t.Helper()
	var lines []exportLine
	for l := range strings.Lines(out) {
		var e exportLine
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		lines = append(lines, e)
	}
	return lines
}

func TestExport(t *testing.T) {
	h := newHistory(t)
	url := "--nats-url=" + h.url

	out, stderr, err := runCtl(t, "", "export", url)
	if err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	lines := exportLines(t, out)
	if uint64(len(lines)) != h.last {
		t.Fatalf("%d lines, want every one of %d events:\n%s", len(lines), h.last, out)
	}
	for i, l := range lines {
		if l.Seq != uint64(i+1) {
			t.Fatalf("line %d has seq %d: not in log order", i, l.Seq)
		}
	}
	if first := lines[0]; first.Type != events.CommentSubmitted || first.Comment != h.approved || first.Data.Text != "Fine piece." || first.ID == "" ||
		first.Subject != "comments.a1."+h.approved+".submitted" {
		t.Errorf("first line = %+v", first)
	}
	if bad := lines[6]; bad.Error == "" || bad.Subject != "comments.a1.garbage.submitted" || bad.Type != "" {
		t.Errorf("undecodable event exported as %+v, want its seq, subject and error", bad)
	}
	if !strings.Contains(stderr, "exported 8 events, 1 of them undecodable") {
		t.Errorf("summary: %q", stderr)
	}

	// One article: its comments, their reports; nothing of a2, no rule sets.
	out, _, err = runCtl(t, "", "export", url, "--article", "a1")
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, l := range exportLines(t, out) {
		seqs = append(seqs, l.Seq)
		if l.Article != "a1" && l.Error == "" {
			t.Errorf("--article a1 exported %+v", l)
		}
	}
	if want := []uint64{1, 2, 3, 4, 5, 7}; !equal(seqs, want) {
		t.Errorf("--article a1: seqs %v, want %v", seqs, want)
	}

	out, _, err = runCtl(t, "", "export", url, "--from", "4", "--article", "a1")
	if err != nil || len(exportLines(t, out)) != 3 || exportLines(t, out)[0].Seq != 4 {
		t.Errorf("--from 4 --article a1 = %q, %v", out, err)
	}
	// Nothing matches: an empty export that ends, not one that waits.
	for _, args := range [][]string{{"--article", "never-commented"}, {"--from", "99"}} {
		out, _, err = runCtl(t, "", append([]string{"export", url}, args...)...)
		if err != nil || out != "" {
			t.Errorf("export %v = %q, %v; want nothing", args, out, err)
		}
	}
	if _, _, err := runCtl(t, "", "export", url, "--article", "a.*"); !errors.Is(err, errUsage) {
		t.Errorf("a bad article id: %v, want usage", err)
	}
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestStatus: what status tells of a log with a waiting worker, an
// undecodable event, and no views yet.
func TestStatus(t *testing.T) {
	h := newHistory(t)
	url := "--nats-url=" + h.url

	out, stderr, err := runCtl(t, "", "status", url)
	if err != nil {
		t.Fatalf("status: %v\n%s", err, stderr)
	}
	out = squash(out)
	for _, want := range []string{
		"COMMENTS stream", "messages 8", "first seq 1", "last seq 8",
		"moderation durable comments.*.*.submitted 4 0 0 0",
		"waiting for a worker 4", "oldest undecided seq 1 ",
		"dead letters: 0",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}

	out, _, err = runCtl(t, "", "status", url, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var st status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	if !st.Healthy || st.Stream.LastSeq != 8 || st.Stream.Messages != 8 || st.DeadLetters == nil || st.DeadLetters.Total != 0 {
		t.Errorf("status --json = %+v", st)
	}
	var mod *consumerStatus
	for i, c := range st.Consumers {
		if c.Name == "moderation" {
			mod = &st.Consumers[i]
		}
	}
	// Three submissions and the undecodable one wait for the worker.
	if mod == nil || !mod.Durable || mod.Pending != 4 || mod.AckPending != 0 {
		t.Errorf("moderation consumer = %+v", mod)
	}
}

// squash turns the runs of spaces a table aligns with into one.
func squash(s string) string {
	var b strings.Builder
	for l := range strings.Lines(s) {
		b.WriteString(strings.Join(strings.Fields(l), " ") + "\n")
	}
	return b.String()
}
