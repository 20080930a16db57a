package projections

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/newsroom/commentd/events"
)

// history builds events with consecutive sequences, as the log would.
type history struct {
	seq uint64
	t   *testing.T
}

func (h *history) event(typ events.Type, comment, actor string, payload any) events.Envelope {
	h.t.Helper()
	h.seq++
	e, err := events.New(fmt.Sprintf("e%d", h.seq), typ, "art", comment, actor, "", time.Unix(int64(h.seq), 0), payload)
	if err != nil {
		h.t.Fatal(err)
	}
	e.Seq = h.seq
	return e
}

func (h *history) submit(comment string) events.Envelope {
	return h.event(events.CommentSubmitted, comment, events.ActorReader, events.Submitted{Author: "A", AuthorID: "name:a", Text: "text " + comment})
}

func (h *history) decide(typ events.Type, comment, actor string) events.Envelope {
	return h.event(typ, comment, actor, events.Decision{Reason: "r-" + string(typ)})
}

func ids(p Page) []string {
	var out []string
	for _, c := range p.Comments {
		out = append(out, c.ID)
	}
	return out
}

func TestStatusAndApprovedView(t *testing.T) {
	h := &history{t: t}
	rules, mod := events.RulesActor("v1"), "moderator:m"
	tests := []struct {
		name   string
		events []events.Envelope
		want   map[string]Status
		listed []string
	}{
		{"submitted is pending", []events.Envelope{h.submit("c1")}, map[string]Status{"c1": Pending}, nil},
		{"rules approve", []events.Envelope{h.submit("c1"), h.decide(events.CommentApproved, "c1", rules)}, map[string]Status{"c1": Approved}, []string{"c1"}},
		{"rules reject", []events.Envelope{h.submit("c1"), h.decide(events.CommentRejected, "c1", rules)}, map[string]Status{"c1": Rejected}, nil},
		{"held then approved by a moderator", []events.Envelope{h.submit("c1"), h.decide(events.CommentHeld, "c1", rules), h.decide(events.CommentApproved, "c1", mod)}, map[string]Status{"c1": Approved}, []string{"c1"}},
		{"a person's decision is never overridden by the rules", []events.Envelope{h.submit("c1"), h.decide(events.CommentRejected, "c1", mod), h.decide(events.CommentApproved, "c1", rules)}, map[string]Status{"c1": Rejected}, nil},
		{"a moderator reverses an approval", []events.Envelope{h.submit("c1"), h.decide(events.CommentApproved, "c1", rules), h.decide(events.CommentRejected, "c1", mod)}, map[string]Status{"c1": Rejected}, nil},
		{"approval order does not change the submission order", []events.Envelope{h.submit("c1"), h.submit("c2"), h.decide(events.CommentApproved, "c2", rules), h.decide(events.CommentApproved, "c1", rules)}, map[string]Status{"c1": Approved, "c2": Approved}, []string{"c1", "c2"}},
		{"decision for an unknown comment is ignored", []events.Envelope{h.decide(events.CommentApproved, "nope", rules)}, map[string]Status{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewReference()
			for _, e := range tt.events {
				s.Apply(e)
			}
			for id, want := range tt.want {
				if c, ok := s.Comment(id); !ok || c.Status != want {
					t.Errorf("%s: status %q (known %v), want %q", id, c.Status, ok, want)
				}
			}
			if got := ids(s.Approved("art", 0, 100, false)); fmt.Sprint(got) != fmt.Sprint(tt.listed) {
				t.Errorf("approved = %v, want %v", got, tt.listed)
			}
		})
	}
}

func TestApplyIsIdempotentBySequence(t *testing.T) {
	h := &history{t: t}
	evs := []events.Envelope{h.submit("c1"), h.decide(events.CommentApproved, "c1", events.RulesActor("v1")), h.submit("c2")}
	once, twice := NewReference(), NewReference()
	for _, e := range evs {
		once.Apply(e)
	}
	for _, e := range evs {
		twice.Apply(e)
		twice.Apply(e) // redelivered
	}
	for _, e := range evs {
		if ch := twice.Apply(e); ch.Changed { // replayed from the start
			t.Fatalf("replayed event %d changed the store", e.Seq)
		}
	}
	if a, b := snapshotOf(t, once), snapshotOf(t, twice); a != b {
		t.Fatalf("redelivery changed the views:\n%s\n%s", a, b)
	}
	if twice.Approved("art", 0, 10, false).Total != 1 {
		t.Fatal("comment listed twice or not at all")
	}
}

func TestResubmittedCommentIDKeepsTheFirst(t *testing.T) {
	h := &history{t: t}
	s := NewReference()
	s.Apply(h.submit("c1"))
	s.Apply(h.decide(events.CommentApproved, "c1", events.RulesActor("v1")))
	s.Apply(h.submit("c1")) // the same Idempotency-Key after the duplicate window
	if c, _ := s.Comment("c1"); c.Status != Approved || c.SubmittedSeq != 1 {
		t.Fatalf("resubmission changed the comment: %+v", c)
	}
}

func TestPagination(t *testing.T) {
	h := &history{t: t}
	s := NewReference()
	var want []string
	for i := range 7 {
		id := fmt.Sprintf("c%d", i)
		s.Apply(h.submit(id))
		s.Apply(h.decide(events.CommentApproved, id, events.RulesActor("v1")))
		want = append(want, id)
	}
	for _, newest := range []bool{false, true} {
		var got []string
		var after uint64
		for pages := 0; ; pages++ {
			p := s.Approved("art", after, 3, newest)
			if p.Total != 7 {
				t.Fatalf("total %d", p.Total)
			}
			got = append(got, ids(p)...)
			if p.Next == 0 {
				break
			}
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
			after = p.Next
		}
		exp := append([]string(nil), want...)
		if newest {
			for i, j := 0, len(exp)-1; i < j; i, j = i+1, j-1 {
				exp[i], exp[j] = exp[j], exp[i]
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(exp) {
			t.Errorf("newest=%v: pages gave %v, want %v", newest, got, exp)
		}
	}
	if p := s.Approved("other", 0, 3, false); p.Total != 0 || len(p.Comments) != 0 {
		t.Errorf("unknown article: %+v", p)
	}
}

// snapshotOf is a canonical text of the views, to compare stores.
func snapshotOf(t *testing.T, s *Reference) string {
	t.Helper()
	s.mu.RLock()
	defer s.mu.RUnlock()
	var b bytes.Buffer
	fmt.Fprintf(&b, "applied=%d\n", s.applied)
	for _, id := range []string{"c0", "c1", "c2", "c3"} {
		if c, ok := s.comments[id]; ok {
			fmt.Fprintf(&b, "%s %s %s %d\n", id, c.Status, c.DecidedBy, c.Seq)
		}
	}
	for id, a := range s.articles {
		fmt.Fprintf(&b, "%s %d\n", id, len(a.approved))
	}
	return b.String()
}

func FuzzApply(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 1, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		h := &history{t: t}
		s := NewReference()
		types := []events.Type{events.CommentSubmitted, events.CommentApproved, events.CommentRejected, events.CommentHeld}
		actors := []string{events.RulesActor("v"), "moderator:m"}
		for _, op := range ops {
			id := fmt.Sprintf("c%d", op>>4&3)
			typ := types[op&3]
			if typ == events.CommentSubmitted {
				s.Apply(h.submit(id))
			} else {
				s.Apply(h.decide(typ, id, actors[op>>2&1]))
			}
		}
		// Invariant: the approved view holds exactly the approved comments, once, in order.
		p := s.Approved("art", 0, 1000, false)
		seen := map[string]bool{}
		var last uint64
		for _, c := range p.Comments {
			if c.Status != Approved || seen[c.ID] || c.SubmittedSeq <= last {
				t.Fatalf("approved view broken: %+v", p.Comments)
			}
			seen[c.ID], last = true, c.SubmittedSeq
		}
		for id, c := range s.comments {
			if (c.Status == Approved) != seen[id] {
				t.Fatalf("%s is %s but listed=%v", id, c.Status, seen[id])
			}
		}
	})
}
