package projections

import (
	"slices"
	"testing"

	"github.com/newsroom/commentd/events"
)

func (h *history) reply(comment, parent string) events.Envelope {
	return h.event(events.CommentSubmitted, comment, events.ActorReader, events.Submitted{Author: "A", AuthorID: "name:a", Text: "text " + comment, ParentID: parent})
}

func threadIDs(p ThreadPage) (ids []string, depths []int) {
	for _, c := range p.Comments {
		ids = append(ids, c.ID)
		depths = append(depths, c.Depth)
	}
	return ids, depths
}

func TestThreadsGroupRepliesAndPageByThread(t *testing.T) {
	h := &history{t: t}
	s := NewReference()
	rules := events.RulesActor("v1")
	// r1 ← a1 ← a2; r2 ← b1 (held) ← b2; r3; replies submitted interleaved.
	for _, e := range []events.Envelope{
		h.submit("r1"), h.submit("r2"), h.reply("a1", "r1"), h.reply("b1", "r2"),
		h.submit("r3"), h.reply("a2", "a1"), h.reply("b2", "b1"), h.reply("a3", "r1"),
	} {
		s.Apply(e)
	}
	for _, id := range []string{"r1", "r2", "r3", "a1", "a2", "a3", "b2"} {
		s.Apply(h.decide(events.CommentApproved, id, rules))
	}
	s.Apply(h.decide(events.CommentHeld, "b1", rules))

	p := s.Threads("art", 0, 2, false)
	ids, depths := threadIDs(p)
	if want := []string{"r1", "a1", "a2", "a3", "r2", "b2"}; !slices.Equal(ids, want) {
		t.Fatalf("first page %v, want %v", ids, want)
	}
	if want := []int{0, 1, 2, 1, 0, 1}; !slices.Equal(depths, want) {
		t.Fatalf("depths %v, want %v (b2 hangs under r2 while b1 is held)", depths, want)
	}
	if p.Total != 7 || p.Threads != 3 || p.Next == 0 {
		t.Fatalf("totals: %+v", p)
	}
	if ids, _ := threadIDs(s.Threads("art", p.Next, 2, false)); !slices.Equal(ids, []string{"r3"}) {
		t.Fatalf("second page %v", ids)
	}
	p = s.Threads("art", 0, 2, true)
	if ids, _ := threadIDs(p); !slices.Equal(ids, []string{"r3", "r2", "b2"}) {
		t.Fatalf("newest first %v", ids)
	}
	last := s.Threads("art", p.Next, 2, true)
	if ids, _ := threadIDs(last); !slices.Equal(ids, []string{"r1", "a1", "a2", "a3"}) || last.Next != 0 {
		t.Fatalf("newest, second page %v next %d", ids, last.Next)
	}
	if s.Depth("a2") != 2 || s.Depth("b2") != 2 || s.Depth("r1") != 0 || s.Depth("nope") != 0 {
		t.Fatalf("depths: a2 %d b2 %d r1 %d", s.Depth("a2"), s.Depth("b2"), s.Depth("r1"))
	}
	if got := s.ApprovedCounts([]string{"art", "other"}); !slices.Equal(got, []int{7, 0}) {
		t.Fatalf("counts %v", got)
	}
}

func TestArticleSettingsAreProjectedAndSnapshotted(t *testing.T) {
	h := &history{t: t}
	s := NewReference()
	if got := s.ArticleSettings("art"); got != (events.ArticleSettings{}) {
		t.Fatalf("unknown article: %+v", got)
	}
	ch := s.Apply(h.event(events.ArticleSettingsChanged, "", "moderator:m", events.ArticleSettings{Closed: true}))
	if !ch.Changed || !s.ArticleSettings("art").Closed {
		t.Fatalf("closed: %+v", s.ArticleSettings("art"))
	}
	s.Apply(h.event(events.ArticleSettingsChanged, "", "moderator:m", events.ArticleSettings{Premoderated: true}))
	if got := s.ArticleSettings("art"); got.Closed || !got.Premoderated {
		t.Fatalf("the last change wins: %+v", got)
	}
}
