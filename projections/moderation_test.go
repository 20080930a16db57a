package projections

import (
	"fmt"
	"testing"
	"time"

	"github.com/newsroom/commentd/events"
)

// mh builds events of several articles and authors with consecutive
// sequences, as the log would.
type mh struct {
	t   *testing.T
	seq uint64
}

func (h *mh) ev(typ events.Type, article, comment, actor string, payload any) events.Envelope {
	h.t.Helper()
	h.seq++
	e, err := events.New(fmt.Sprintf("e%d", h.seq), typ, article, comment, actor, "", time.Unix(int64(h.seq), 0), payload)
	if err != nil {
		h.t.Fatal(err)
	}
	e.Seq = h.seq
	return e
}

// sub submits comment on article by author.
func (h *mh) sub(article, comment, author string) events.Envelope {
	return h.ev(events.CommentSubmitted, article, comment, events.ActorReader, events.Submitted{Author: author, AuthorID: "name:" + author, Text: "text"})
}

func (h *mh) dec(typ events.Type, comment, actor string) events.Envelope {
	return h.ev(typ, "x", comment, actor, events.Decision{Reason: "r", Rules: []string{"rule-1"}})
}

func (h *mh) report(comment, reporter, reason string) events.Envelope {
	return h.ev(events.CommentReported, "x", comment, events.ActorReader, events.Reported{Reason: reason, ReporterID: reporter})
}

func (h *mh) ban(typ events.Type, author string) events.Envelope {
	return h.ev(typ, "", "", "moderator:m", events.AuthorAction{AuthorID: "name:" + author, Reason: "spam"})
}

func queueIDs(s *Reference, q Queue, article string) []string {
	var out []string
	for _, it := range s.Queue(q, article, 0, 1000).Items {
		out = append(out, it.ID)
	}
	return out
}

func TestQueues(t *testing.T) {
	rules, mod, reports := events.RulesActor("v1"), "moderator:m", events.ReportsActor(2)
	tests := []struct {
		name     string
		events   func(h *mh) []events.Envelope
		held     []string
		reported []string
		open     map[string]int // open reports by comment
	}{
		{"pending is in no queue", func(h *mh) []events.Envelope {
			return []events.Envelope{h.sub("a", "c1", "ann")}
		}, nil, nil, nil},
		{"held by the rules, oldest first", func(h *mh) []events.Envelope {
			return []events.Envelope{h.sub("a", "c1", "ann"), h.sub("a", "c2", "bob"),
				h.dec(events.CommentHeld, "c2", rules), h.dec(events.CommentHeld, "c1", rules)}
		}, []string{"c1", "c2"}, nil, nil},
		{"a moderator's decision takes it out", func(h *mh) []events.Envelope {
			return []events.Envelope{h.sub("a", "c1", "ann"), h.dec(events.CommentHeld, "c1", rules), h.dec(events.CommentApproved, "c1", mod)}
		}, nil, nil, nil},
		{"reported once per reader", func(h *mh) []events.Envelope {
			return []events.Envelope{h.sub("a", "c1", "ann"), h.dec(events.CommentApproved, "c1", rules),
				h.report("c1", "r1", "spam"), h.report("c1", "r1", "abusive"), h.report("c1", "r2", "spam")}
		}, nil, []string{"c1"}, map[string]int{"c1": 2}},
		{"reports of a comment not visible do not queue it", func(h *mh) []events.Envelope {
			return []events.Envelope{h.sub("a", "c1", "ann"), h.dec(events.CommentRejected, "c1", rules), h.report("c1", "r1", "spam")}
		}, nil, nil, map[string]int{"c1": 1}},
		{"held after reports: held queue, not reported", func(h *mh) []events.Envelope {
			return []events.Envelope{h.sub("a", "c1", "ann"), h.dec(events.CommentApproved, "c1", rules),
				h.report("c1", "r1", "spam"), h.report("c1", "r2", "spam"), h.dec(events.CommentHeld, "c1", reports)}
		}, []string{"c1"}, nil, map[string]int{"c1": 2}},
		{"a moderator's approval answers the reports; a reader cannot report twice", func(h *mh) []events.Envelope {
			return []events.Envelope{h.sub("a", "c1", "ann"), h.dec(events.CommentApproved, "c1", rules),
				h.report("c1", "r1", "spam"), h.dec(events.CommentApproved, "c1", mod), h.report("c1", "r1", "spam")}
		}, nil, nil, map[string]int{"c1": 0}},
		{"new reports after a moderator's approval queue it again", func(h *mh) []events.Envelope {
			return []events.Envelope{h.sub("a", "c1", "ann"), h.dec(events.CommentApproved, "c1", mod),
				h.report("c1", "r1", "spam"), h.dec(events.CommentHeld, "c1", reports)}
		}, nil, []string{"c1"}, map[string]int{"c1": 1}},
		{"a report of an unknown comment is ignored", func(h *mh) []events.Envelope {
			return []events.Envelope{h.report("nope", "r1", "spam")}
		}, nil, nil, map[string]int{"nope": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewReference()
			for _, e := range tt.events(&mh{t: t}) {
				s.Apply(e)
			}
			if got := queueIDs(s, QueueHeld, ""); fmt.Sprint(got) != fmt.Sprint(tt.held) {
				t.Errorf("held = %v, want %v", got, tt.held)
			}
			if got := queueIDs(s, QueueReported, ""); fmt.Sprint(got) != fmt.Sprint(tt.reported) {
				t.Errorf("reported = %v, want %v", got, tt.reported)
			}
			counts := s.QueueCounts("")
			if counts[QueueHeld] != len(tt.held) || counts[QueueReported] != len(tt.reported) {
				t.Errorf("counts = %v", counts)
			}
			for id, n := range tt.open {
				if got := s.Reports(id).Open; got != n {
					t.Errorf("open reports of %s = %d, want %d", id, got, n)
				}
			}
		})
	}
}

func TestQueuePagesAndArticleFilter(t *testing.T) {
	h := &mh{t: t}
	s := NewReference()
	for i := range 7 {
		article := "a"
		if i%2 == 1 {
			article = "b"
		}
		id := fmt.Sprintf("c%d", i)
		s.Apply(h.sub(article, id, "ann"))
		s.Apply(h.dec(events.CommentHeld, id, events.RulesActor("v")))
	}
	var got []string
	var after uint64
	for pages := 0; ; pages++ {
		p := s.Queue(QueueHeld, "a", after, 2)
		if p.Total != 4 {
			t.Fatalf("total = %d, want 4", p.Total)
		}
		for _, it := range p.Items {
			got = append(got, it.ID)
		}
		if p.Next == 0 {
			break
		}
		after = p.Next
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if fmt.Sprint(got) != "[c0 c2 c4 c6]" {
		t.Errorf("pages of article a = %v", got)
	}
	if p := s.Queue(QueueHeld, "", 0, 7); p.Next != 0 || len(p.Items) != 7 || p.Total != 7 {
		t.Errorf("one full page: next %d, %d items, total %d", p.Next, len(p.Items), p.Total)
	}
	if c := s.QueueCounts("b"); c[QueueHeld] != 3 {
		t.Errorf("counts of b = %v", c)
	}
	if p := s.Queue("nope", "", 0, 10); len(p.Items) != 0 {
		t.Error("an unknown queue has items")
	}
}

func TestAuthorStats(t *testing.T) {
	rules, mod := events.RulesActor("v1"), "moderator:m"
	h := &mh{t: t}
	s := NewReference()
	if got := s.Author("name:ann"); got != (AuthorStats{}) {
		t.Fatalf("unknown author = %+v", got)
	}
	s.Apply(h.sub("a", "c1", "ann")) // seq 1, time 1
	s.Apply(h.dec(events.CommentApproved, "c1", rules))
	s.Apply(h.sub("a", "c2", "ann"))
	s.Apply(h.dec(events.CommentRejected, "c2", rules))
	s.Apply(h.sub("a", "c3", "ann"))
	s.Apply(h.dec(events.CommentHeld, "c3", rules))
	s.Apply(h.sub("a", "c4", "bob"))
	want := AuthorStats{ApprovedCount: 1, RejectedCount: 1, FirstSeen: time.Unix(1, 0).UTC(), RecentRejectionRate: 0.5}
	if got := s.Author("name:ann"); got != want {
		t.Errorf("ann = %+v, want %+v", got, want)
	}
	// A moderator reverses the rejection: counts follow the current state.
	s.Apply(h.dec(events.CommentApproved, "c2", mod))
	want.ApprovedCount, want.RejectedCount, want.RecentRejectionRate = 2, 0, 0
	if got := s.Author("name:ann"); got != want {
		t.Errorf("after reversal ann = %+v, want %+v", got, want)
	}
	s.Apply(h.ban(events.AuthorBanned, "ann"))
	if !s.Author("name:ann").Banned {
		t.Error("ban not seen")
	}
	if got := s.Undecided("name:ann"); len(got) != 1 || got[0].ID != "c3" {
		t.Errorf("undecided = %v", got)
	}
	rec, ok := s.AuthorRecord("name:ann", 2)
	if !ok || rec.Total != 3 || len(rec.Comments) != 2 || rec.Comments[0].ID != "c3" || rec.BannedBy != "moderator:m" || rec.BanReason != "spam" {
		t.Errorf("record = %+v", rec)
	}
	s.Apply(h.ban(events.AuthorUnbanned, "ann"))
	if s.Author("name:ann").Banned {
		t.Error("unban not seen")
	}
	// A ban of an author never seen still counts when they arrive.
	s.Apply(h.ban(events.AuthorBanned, "zed"))
	s.Apply(h.sub("a", "c9", "zed"))
	if st := s.Author("name:zed"); !st.Banned || st.FirstSeen.IsZero() {
		t.Errorf("zed = %+v", st)
	}
}

func TestRecentRejectionRateLooksAtTheLastTwenty(t *testing.T) {
	h := &mh{t: t}
	s := NewReference()
	for i := range 30 {
		id := fmt.Sprintf("c%d", i)
		s.Apply(h.sub("a", id, "ann"))
		typ := events.CommentApproved
		if i < 10 { // the oldest ten are rejected and fall out of the window
			typ = events.CommentRejected
		}
		if i >= 25 { // the newest five: five of the last twenty
			typ = events.CommentRejected
		}
		s.Apply(h.dec(typ, id, events.RulesActor("v")))
	}
	s.Apply(h.sub("a", "pending", "ann")) // not decided: not counted
	if got := s.Author("name:ann").RecentRejectionRate; got != 0.25 {
		t.Errorf("rate = %v, want 0.25", got)
	}
}
