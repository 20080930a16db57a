package commands_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/commands"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

func TestDecide(t *testing.T) {
	f := newFixture(t, commands.Config{})
	id := f.submit("a1", "Anna", "Text")
	held := f.rules(events.CommentHeld, "a1", id, events.Decision{Reason: "links", Rules: []string{"links"}})
	f.catchUp()

	for _, d := range []struct {
		d           commands.Decision
		code, field string
	}{
		{commands.Decision{Comment: id, Action: "delete"}, "invalid_action", "action"},
		{commands.Decision{Comment: id, Action: "reject"}, "invalid_reason", "reason"},
		{commands.Decision{Comment: id, Action: "approve", Reason: "nice"}, "invalid_reason", "reason"},
		{commands.Decision{Comment: id, Action: "approve", Message: string(make([]rune, commands.MaxMessageRunes+1))}, "too_long", "message"},
	} {
		_, err := f.cmd.Decide(f.ctx, mia, d.d)
		refusal(t, err, events.ErrInvalid, d.code, d.field)
	}
	if _, err := f.cmd.Decide(f.ctx, mia, commands.Decision{Comment: uuid.NewString(), Action: "approve"}); !errors.Is(err, events.ErrNotFound) {
		t.Fatalf("an unknown comment: %v", err)
	}
	stale := held - 1
	_, err := f.cmd.Decide(f.ctx, mia, commands.Decision{Comment: id, Action: "approve", ExpectedSeq: &stale})
	refusal(t, err, events.ErrConflict, "conflict", "")
	if ce, _ := errors.AsType[*commands.Error](err); ce.Current == nil || ce.Current.Status != projections.Held || ce.Current.Seq != held {
		t.Fatalf("the conflict shows %+v, want the held comment", ce.Current)
	}

	c, err := f.cmd.Decide(f.ctx, mia, commands.Decision{Comment: id, Action: "reject", Reason: "spam", Message: "No ads.", ExpectedSeq: &held})
	if err != nil || c.Status != projections.Rejected || c.DecidedBy != mia || c.Reason != "spam" || c.Message != "No ads." || c.Seq <= held {
		t.Fatalf("decided: %+v %v", c, err)
	}
	// The views have not seen the decision; the command's answer is the
	// log's, and so is the next one's.
	st, err := f.cmd.State(f.ctx, id)
	if err != nil || st.Comment.Status != projections.Rejected || st.Comment.Seq != c.Seq || len(st.History) != 3 {
		t.Fatalf("state after the decision: %+v %v", st, err)
	}
	// A person's decision stands against the rules.
	f.rules(events.CommentApproved, "a1", id, events.Decision{})
	if st, _ := f.cmd.State(f.ctx, id); st.Comment.Status != projections.Rejected || len(st.History) != 4 {
		t.Fatalf("the rules overrode a person: %+v", st.Comment)
	}
}

// Several moderators decide a comment while the worker does: every one of
// them either wins or loses with ErrConflict and the comment as it stands,
// never another error, and the log holds each winner once.
func TestDecideRacingTheWorker(t *testing.T) {
	f := newFixture(t, commands.Config{})
	const moderators, rounds = 4, 5
	lost := 0
	for round := range rounds {
		id := f.submit("a1", "Anna", fmt.Sprintf("comment %d", round))
		f.catchUp()
		var wg sync.WaitGroup
		errs := make([]error, moderators)
		wg.Go(func() {
			seq, _ := f.log.CommentSeq(f.ctx, "a1", id)
			e, _ := events.New(uuid.NewString(), events.CommentApproved, "a1", id, events.RulesActor("v1"), "", time.Now(), events.Decision{})
			if _, err := f.log.AppendAfter(f.ctx, e, seq); err != nil && !errors.Is(err, events.ErrConflict) {
				t.Error(err)
			}
		})
		for i := range moderators {
			wg.Go(func() {
				_, errs[i] = f.cmd.Decide(f.ctx, fmt.Sprintf("%s%d", events.ModeratorActor, i), commands.Decision{Comment: id, Action: "reject", Reason: "spam"})
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err == nil {
				continue
			}
			ce, ok := errors.AsType[*commands.Error](err)
			if !ok || !errors.Is(err, events.ErrConflict) || ce.Current == nil || ce.Current.ID != id {
				t.Fatalf("round %d: a decision lost with %v, want a conflict with the comment", round, err)
			}
			lost++
		}
	}
	if lost == 0 {
		t.Fatalf("no decision lost in %d rounds: the test did not race", rounds)
	}
}

func TestDecideAllReportsEachOnItsOwn(t *testing.T) {
	f := newFixture(t, commands.Config{})
	a := f.submit("a1", "Anna", "one")
	b := f.submit("a1", "Anna", "two")
	seqB := f.rules(events.CommentHeld, "a1", b, events.Decision{})
	f.catchUp()
	stale := seqB - 1
	res, err := f.cmd.DecideAll(f.ctx, mia, []commands.Decision{
		{Comment: a, Action: "approve"},
		{Comment: uuid.NewString(), Action: "approve"},
		{Comment: b, Action: "shred"},
		{Comment: b, Action: "approve", ExpectedSeq: &stale},
		{Comment: b, Action: "reject", Reason: "spam", ExpectedSeq: &seqB},
	})
	if err != nil || len(res) != 5 {
		t.Fatalf("%v %v", res, err)
	}
	switch {
	case res[0].Err != nil || res[0].Comment.Status != projections.Approved:
		t.Fatalf("first: %+v", res[0])
	case !errors.Is(res[1].Err, events.ErrNotFound):
		t.Fatalf("unknown: %+v", res[1])
	case !errors.Is(res[2].Err, events.ErrInvalid):
		t.Fatalf("bad action: %+v", res[2])
	case !errors.Is(res[3].Err, events.ErrConflict):
		t.Fatalf("stale: %+v", res[3])
	case res[4].Err != nil || res[4].Comment.Status != projections.Rejected:
		t.Fatalf("last: %+v", res[4])
	}
	for _, n := range []int{0, commands.MaxBulk + 1} {
		_, err := f.cmd.DecideAll(f.ctx, mia, make([]commands.Decision, n))
		refusal(t, err, events.ErrInvalid, "invalid_bulk", "decisions")
	}
}

func TestBanRejectsWhatWaitsAndNothingAPersonDecided(t *testing.T) {
	f := newFixture(t, commands.Config{})
	author := events.AnonymousAuthorID("Spammer")
	pending := f.submit("a1", "Spammer", "one")
	held := f.submit("a1", "Spammer", "two")
	f.rules(events.CommentHeld, "a1", held, events.Decision{Reason: "links"})
	approved := f.submit("a2", "Spammer", "three")
	f.rules(events.CommentApproved, "a2", approved, events.Decision{})
	lagging := f.submit("a2", "Spammer", "four")
	f.rules(events.CommentHeld, "a2", lagging, events.Decision{})
	f.catchUp()
	// A person approves one after the views saw it held: the views lag,
	// the ban judges by the log and leaves it.
	if _, err := f.cmd.Decide(f.ctx, "moderator:max", commands.Decision{Comment: lagging, Action: "approve"}); err != nil {
		t.Fatal(err)
	}

	_, err := f.cmd.Ban(f.ctx, mia, commands.Ban{AuthorID: author, Banned: true})
	refusal(t, err, events.ErrInvalid, "invalid_reason", "reason")
	if _, err := f.cmd.Ban(f.ctx, mia, commands.Ban{AuthorID: events.AnonymousAuthorID("Nobody"), Banned: true, Reason: "spam"}); !errors.Is(err, events.ErrNotFound) {
		t.Fatalf("an unknown author: %v", err)
	}
	rejected, err := f.cmd.Ban(f.ctx, mia, commands.Ban{AuthorID: author, Banned: true, Reason: "spam", Message: "Bye.", RejectPending: true})
	if err != nil || len(rejected) != 2 || rejected[0] != pending || rejected[1] != held {
		t.Fatalf("rejected %v %v, want %s and %s", rejected, err, pending, held)
	}
	ban, err := f.log.Last(f.ctx, "authors."+events.AuthorKey(author)+".banned")
	if err != nil || ban.Actor != mia {
		t.Fatalf("ban event %+v %v", ban, err)
	}
	for _, id := range rejected {
		article := "a1"
		hist, _ := f.log.History(f.ctx, article, id)
		last := hist[len(hist)-1]
		var d events.Decision
		_ = last.Payload(&d)
		if last.Type != events.CommentRejected || last.CausationID != ban.ID || last.Actor != mia || d.Reason != "spam" || d.Message != "Bye." {
			t.Fatalf("%s: last event %+v %+v", id, last, d)
		}
	}
	for id, want := range map[string]projections.Status{approved: projections.Approved, lagging: projections.Approved} {
		if st, _ := f.cmd.State(f.ctx, id); st.Comment.Status != want {
			t.Fatalf("%s is %s after the ban, want %s", id, st.Comment.Status, want)
		}
	}
	rejected, err = f.cmd.Ban(f.ctx, mia, commands.Ban{AuthorID: author, Banned: false})
	if err != nil || len(rejected) != 0 {
		t.Fatalf("unban: %v %v", rejected, err)
	}
	if _, err := f.log.Last(f.ctx, "authors."+events.AuthorKey(author)+".unbanned"); err != nil {
		t.Fatal(err)
	}
}
