package backtest_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/backtest"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/internal/natstest"
	"github.com/newsroom/commentd/moderation"
)

// newRules is the set under test. Its author and article rules need the
// facts as they were at each submission.
const newRules = `
name: stricter
rules:
  - id: banned-author
    priority: 100
    action: reject
    reason: banned
    if:
      author: {banned: true}
  - id: casino
    priority: 70
    action: reject
    reason: spam
    if:
      words: ["casino"]
  - id: links
    priority: 40
    action: hold
    reason: links
    if:
      links: 1
  - id: premoderated
    priority: 10
    action: hold
    reason: premoderated
    if:
      article: {premoderated: true}
  - id: new-author
    priority: 10
    action: hold
    reason: new-author
    if:
      author: {approved_max: 0}
  - id: greeting
    priority: 5
    mode: shadow
    action: hold
    reason: greeting
    if:
      words: ["hello"]
`

// history writes a log by hand: submissions, the decisions the rules of
// the time made (with the rules they said fired), moderators' decisions,
// a ban and article settings, in an order that makes the facts at each
// submission differ from the facts at the end.
type history struct {
	t   *testing.T
	log *events.Log
	ids map[string]string // name -> comment id
}

func (h *history) append(e events.Envelope) {
	h.t.Helper()
	if _, err := h.log.Append(context.Background(), e); err != nil {
		h.t.Fatal(err)
	}
}

func (h *history) submit(name, article, author, text string) {
	h.t.Helper()
	id := uuid.NewString()
	h.ids[name] = id
	e, err := events.New(uuid.NewString(), events.CommentSubmitted, article, id, events.ActorReader, "", time.Now(),
		events.Submitted{Author: author, AuthorID: "name:" + author, Text: text})
	if err != nil {
		h.t.Fatal(err)
	}
	h.append(e)
}

func (h *history) decide(name, article string, typ events.Type, actor string, rules ...string) {
	h.t.Helper()
	e, err := events.New(uuid.NewString(), typ, article, h.ids[name], actor, "", time.Now(), events.Decision{Reason: "test", Rules: rules})
	if err != nil {
		h.t.Fatal(err)
	}
	h.append(e)
}

func (h *history) ban(author string, typ events.Type) {
	h.t.Helper()
	e, err := events.New(uuid.NewString(), typ, "", "", "moderator:mia", "", time.Now(), events.AuthorAction{AuthorID: "name:" + author})
	if err != nil {
		h.t.Fatal(err)
	}
	h.append(e)
}

func (h *history) settings(article string, premoderated bool) {
	h.t.Helper()
	e, err := events.New(uuid.NewString(), events.ArticleSettingsChanged, article, "", "moderator:mia", "", time.Now(), events.ArticleSettings{Premoderated: premoderated})
	if err != nil {
		h.t.Fatal(err)
	}
	h.append(e)
}

const old, mia = "rules@old", "moderator:mia"

func writeHistory(t *testing.T) *history {
	_, js := natstest.Connect(t, natstest.Server(t))
	l, err := events.Open(context.Background(), js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	h := &history{t: t, log: l, ids: map[string]string{}}
	h.submit("c1", "a1", "ann", "hello world")
	h.decide("c1", "a1", events.CommentApproved, old)
	h.submit("c2", "a1", "ann", "second thought")
	h.decide("c2", "a1", events.CommentApproved, old)
	h.submit("c3", "a1", "bob", "visit the casino now")
	h.decide("c3", "a1", events.CommentApproved, old)
	h.decide("c3", "a1", events.CommentRejected, mia)
	h.ban("bob", events.AuthorBanned)
	h.submit("c4", "a1", "bob", "nice piece")
	h.decide("c4", "a1", events.CommentApproved, old)
	h.ban("bob", events.AuthorUnbanned)
	h.decide("c4", "a1", events.CommentApproved, mia)
	h.settings("a2", true)
	h.submit("c5", "a2", "ann", "ok then")
	h.decide("c5", "a2", events.CommentHeld, old, "premoderated")
	h.decide("c5", "a2", events.CommentApproved, mia)
	h.settings("a2", false)
	h.submit("c6", "a2", "ann", "fine")
	h.decide("c6", "a2", events.CommentHeld, old, "premoderated")
	h.decide("c6", "a2", events.CommentApproved, mia)
	h.submit("c7", "a1", "carl", "see https://spam.example/x")
	h.decide("c7", "a1", events.CommentHeld, old, "links")
	h.decide("c7", "a1", events.CommentRejected, mia)
	// A rules decision after a moderator's: it changes nothing, and is
	// not the decision of the time either.
	h.decide("c7", "a1", events.CommentApproved, old)
	return h
}

func run(t *testing.T, h *history, cfg backtest.Config) backtest.Report {
	t.Helper()
	rs, err := moderation.ParseRuleset("new.yaml", []byte(newRules))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Log, cfg.Rules = h.log, rs
	r, err := backtest.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func ratio(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f", *p)
}

// Every changed decision, and every rule's figures, against what the
// history above works out to by hand:
//
//	c1 ann  approve -> hold   new-author (ann had no approved comment then)
//	c2 ann  approve -> approve (c1 approved by then)
//	c3 bob  approve -> reject casino, new-author; a moderator rejected it
//	c4 bob  approve -> reject banned-author (banned then, not now), new-author
//	                          (c3 rejected by then); a moderator approved it
//	c5 ann  hold -> hold      premoderated (a2 pre-moderated then); approved
//	c6 ann  hold -> approve   a2 no longer pre-moderated; approved
//	c7 carl hold -> hold      links, new-author; a moderator rejected it
func TestBacktestAgainstAHandComputedHistory(t *testing.T) {
	h := writeHistory(t)
	r := run(t, h, backtest.Config{})
	id := func(names ...string) string {
		var out []string
		for _, n := range names {
			out = append(out, h.ids[n])
		}
		return fmt.Sprint(out)
	}
	if r.Comments != 7 || r.Undecided != 0 || r.Changed != 4 || r.Labeled != 5 {
		t.Errorf("comments %d undecided %d changed %d labeled %d, want 7 0 4 5", r.Comments, r.Undecided, r.Changed, r.Labeled)
	}
	wantTr := map[string]int{"approve->hold": 1, "approve->approve": 1, "approve->reject": 2, "hold->hold": 2, "hold->approve": 1}
	if fmt.Sprint(r.Transitions) != fmt.Sprint(wantTr) {
		t.Errorf("transitions %v, want %v", r.Transitions, wantTr)
	}
	if r.ToQueue != 1 || fmt.Sprint(r.ToQueueIDs) != id("c1") || r.SavedFromQueue != 1 || fmt.Sprint(r.SavedIDs) != id("c6") {
		t.Errorf("to queue %d %v, saved %d %v", r.ToQueue, r.ToQueueIDs, r.SavedFromQueue, r.SavedIDs)
	}
	if r.ApprovalsRejected != 1 || fmt.Sprint(r.ApprovalsRejectedIDs) != id("c4") || r.RejectionsApproved != 0 {
		t.Errorf("approvals rejected %d %v, rejections approved %d", r.ApprovalsRejected, r.ApprovalsRejectedIDs, r.RejectionsApproved)
	}
	var changes []string
	for _, c := range r.Changes {
		changes = append(changes, fmt.Sprintf("%s %s->%s now%v before%v human=%s", c.Comment, c.Was, c.Now, c.Rules, c.Before, c.Human))
	}
	slices.Sort(changes)
	want := []string{
		h.ids["c1"] + " approve->hold now[new-author] before[] human=",
		h.ids["c3"] + " approve->reject now[casino new-author] before[] human=reject",
		h.ids["c4"] + " approve->reject now[banned-author new-author] before[] human=approve",
		h.ids["c6"] + " hold->approve now[] before[premoderated] human=approve",
	}
	slices.Sort(want)
	if strings.Join(changes, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(changes, "\n"), strings.Join(want, "\n"))
	}

	// rule: fired, fired before, changed, labeled fired, right, precision, recall, examples
	wantRules := map[string]string{
		"new-author":    "hold enforce 4 0 3 3 2 0.67 1.00 " + id("c1", "c3", "c4"),
		"casino":        "reject enforce 1 0 1 1 1 1.00 0.50 " + id("c3"),
		"banned-author": "reject enforce 1 0 1 1 0 0.00 0.00 " + id("c4"),
		"premoderated":  "hold enforce 1 2 1 1 0 0.00 0.00 " + id("c6"),
		"links":         "hold enforce 1 1 0 1 1 1.00 0.50 []",
		"greeting":      "hold shadow 1 0 0 0 0 - 0.00 []",
	}
	for _, rr := range r.Rules {
		got := fmt.Sprintf("%s %s %d %d %d %d %d %s %s %v", rr.Action, rr.Mode, rr.Fired, rr.Before, rr.Changed, rr.LabeledFired, rr.Right, ratio(rr.Precision), ratio(rr.Recall), rr.Examples)
		if got != wantRules[rr.Rule] {
			t.Errorf("rule %s: %s\n            want %s", rr.Rule, got, wantRules[rr.Rule])
		}
		delete(wantRules, rr.Rule)
	}
	if len(wantRules) != 0 {
		t.Errorf("rules missing from the report: %v", wantRules)
	}
	if r.Rules[0].Rule != "new-author" {
		t.Errorf("the rule in most changes comes first: %s", r.Rules[0].Rule)
	}
	if r.Events != 24 || r.Rate <= 0 {
		t.Errorf("events %d rate %v", r.Events, r.Rate)
	}
}

func TestBacktestScope(t *testing.T) {
	h := writeHistory(t)
	a2 := run(t, h, backtest.Config{Article: "a2"})
	if a2.Comments != 2 || a2.Changed != 1 || a2.SavedFromQueue != 1 || a2.Events != 24 {
		t.Errorf("article a2: %d comments %d changed %d saved, %d events", a2.Comments, a2.Changed, a2.SavedFromQueue, a2.Events)
	}
	c4, err := h.log.Last(context.Background(), "comments.a1."+h.ids["c4"]+".submitted")
	if err != nil {
		t.Fatal(err)
	}
	since := run(t, h, backtest.Config{Since: c4.Stored})
	// c4 to c7 are in scope, and c4 is still judged with bob banned and
	// new: the facts are folded from the start.
	if since.Comments != 4 || since.Changed != 2 || since.ApprovalsRejected != 1 {
		t.Errorf("since c4: %d comments, %d changed, %d approvals rejected", since.Comments, since.Changed, since.ApprovalsRejected)
	}
	if _, err := backtest.Run(context.Background(), backtest.Config{Log: h.log, Rules: moderation.DefaultRuleset(), Article: "a b"}); err == nil {
		t.Error("a bad article id was taken")
	}
}

// The shadow rules the live decisions recorded, against the moderators'
// later decisions.
func TestShadowReportFromLiveDecisions(t *testing.T) {
	_, js := natstest.Connect(t, natstest.Server(t))
	l, err := events.Open(context.Background(), js, events.Config{})
	if err != nil {
		t.Fatal(err)
	}
	h := &history{t: t, log: l, ids: map[string]string{}}
	shadow := func(name string, rules ...string) {
		e, _ := events.New(uuid.NewString(), events.CommentApproved, "a1", h.ids[name], old, "", time.Now(), events.Decision{Shadow: rules})
		h.append(e)
	}
	h.submit("s1", "a1", "ann", "SHOUTING HERE")
	shadow("s1", "shouting")
	h.decide("s1", "a1", events.CommentRejected, mia)
	h.submit("s2", "a1", "bob", "LOUD BUT FINE")
	shadow("s2", "shouting", "long-words")
	h.decide("s2", "a1", events.CommentApproved, mia)
	h.submit("s3", "a1", "cy", "quiet, rude")
	shadow("s3")
	h.decide("s3", "a1", events.CommentRejected, mia)
	h.submit("s4", "a1", "di", "NEVER LOOKED AT")
	shadow("s4", "shouting")

	r, err := backtest.Shadow(context.Background(), backtest.Config{Log: l})
	if err != nil {
		t.Fatal(err)
	}
	if r.Decisions != 4 || r.Labeled != 3 || r.Rejected != 2 {
		t.Errorf("decisions %d labeled %d rejected %d, want 4 3 2", r.Decisions, r.Labeled, r.Rejected)
	}
	var got []string
	for _, sr := range r.Rules {
		got = append(got, fmt.Sprintf("%s %d %d %d %s %s %v", sr.Rule, sr.Fired, sr.LabeledFired, sr.Right, ratio(sr.Precision), ratio(sr.Recall), sr.Examples))
	}
	want := []string{
		fmt.Sprintf("long-words 1 1 0 0.00 0.00 [%s]", h.ids["s2"]),
		fmt.Sprintf("shouting 3 2 1 0.50 0.50 [%s %s %s]", h.ids["s1"], h.ids["s2"], h.ids["s4"]),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r, _ := backtest.Shadow(context.Background(), backtest.Config{Log: l, Article: "a2"}); r.Decisions != 0 || len(r.Rules) != 0 {
		t.Errorf("article a2: %+v", r)
	}
}
