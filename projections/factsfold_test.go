package projections

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/newsroom/commentd/events"
)

// authorFolder folds a log of events into author entries as the facts
// view does: the comment fold first, then FoldAuthor of the author the
// event names.
type authorFolder struct {
	comments map[string]Comment
	authors  map[string]AuthorEntry
}

func newAuthorFolder() *authorFolder {
	return &authorFolder{comments: map[string]Comment{}, authors: map[string]AuthorEntry{}}
}

func (f *authorFolder) apply(e events.Envelope) {
	each := []events.Envelope{e}
	if e.Type == events.AuthorErased {
		each = ErasedComments(e)
	}
	for _, one := range each {
		var ch CommentChange
		if one.Comment != "" {
			ch = Fold(f.comments[one.Comment], one)
			if ch.Known() {
				f.comments[one.Comment] = ch.After
			}
		}
		if tok := FactsAuthor(one, ch); tok != "" {
			f.authors[tok], _ = FoldAuthor(f.authors[tok], one, ch)
		}
	}
}

func factsEvent(t *testing.T, typ events.Type, comment, actor string, seq uint64, at time.Time, payload any) events.Envelope {
	t.Helper()
	e, err := events.New("e"+string(rune('a'+seq)), typ, "a1", comment, actor, "", at, payload)
	if err != nil {
		t.Fatal(err)
	}
	e.Seq = seq
	return e
}

func TestFoldAuthorTimedBan(t *testing.T) {
	t0 := time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)
	until := t0.Add(24 * time.Hour)
	tok := AuthorToken("name:troll")
	ban := factsEvent(t, events.AuthorBanned, "", "moderator:mia", 1, t0, events.AuthorAction{AuthorID: "name:troll", Reason: "spam", Until: until})
	a, did := FoldAuthor(AuthorEntry{}, ban, CommentChange{})
	if !did.Facts || did.Comments || FactsAuthor(ban, CommentChange{}) != tok {
		t.Fatalf("ban: did %+v, token %q", did, FactsAuthor(ban, CommentChange{}))
	}
	st := a.Facts.Stats()
	if !st.Banned || !st.BannedUntil.Equal(until) || a.Facts.Ban.By != "moderator:mia" || a.Facts.Ban.Reason != "spam" {
		t.Fatalf("ban: %+v", a.Facts)
	}
	for _, c := range []struct {
		at   time.Time
		want bool
	}{{t0, true}, {until.Add(-time.Nanosecond), true}, {until, false}, {until.Add(time.Hour), false}} {
		if got := st.BannedAt(c.at); got != c.want {
			t.Errorf("BannedAt(%v) = %v, want %v", c.at, got, c.want)
		}
	}
	// The same event again (after a crash) changes nothing.
	if _, did := FoldAuthor(a, ban, CommentChange{}); did.Facts || did.Comments {
		t.Errorf("ban applied twice: %+v", did)
	}
	// A permanent ban after a timed one has no end; an unban none either.
	perm := factsEvent(t, events.AuthorBanned, "", "moderator:mia", 2, t0, events.AuthorAction{AuthorID: "name:troll", Reason: "abusive"})
	a, _ = FoldAuthor(a, perm, CommentChange{})
	if !a.Facts.Ban.Until.IsZero() || !a.Facts.Stats().BannedAt(until.Add(1000*time.Hour)) {
		t.Errorf("permanent ban: %+v", a.Facts.Ban)
	}
	unban := factsEvent(t, events.AuthorUnbanned, "", "moderator:mia", 3, t0, events.AuthorAction{AuthorID: "name:troll", Until: until})
	a, _ = FoldAuthor(a, unban, CommentChange{})
	if a.Facts.Ban.Banned || !a.Facts.Ban.Until.IsZero() || a.Facts.Stats().BannedAt(t0) {
		t.Errorf("unban: %+v", a.Facts.Ban)
	}
}

// An erasure forgets what the author wrote and keeps a ban in force; the
// author's facts after it are those a rebuild from sequence 1 arrives at,
// where the erased comments open with no author.
func TestFoldAuthorErasureIsWhatARebuildSees(t *testing.T) {
	t0 := time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)
	for _, banned := range []bool{false, true} {
		t.Run(map[bool]string{false: "not banned", true: "banned"}[banned], func(t *testing.T) {
			const who = "name:anna k."
			var seq uint64
			next := func(typ events.Type, comment, actor string, p any) events.Envelope {
				seq++
				return factsEvent(t, typ, comment, actor, seq, t0.Add(time.Duration(seq)*time.Minute), p)
			}
			var live, rebuilt []events.Envelope
			both := func(e events.Envelope) { live, rebuilt = append(live, e), append(rebuilt, e) }
			var erased []events.ErasedComment
			for i, dec := range []events.Type{events.CommentApproved, events.CommentRejected, events.CommentHeld, ""} {
				id := "c" + string(rune('1'+i))
				sub := next(events.CommentSubmitted, id, events.ActorReader, events.Submitted{Author: "Anna K.", AuthorID: who, Text: "text " + id})
				live = append(live, sub)
				// What the log opens once the author's key is destroyed.
				gone := sub
				gone.Data = []byte(`{"author":"[removed]","author_id":"","text":"[removed]","erased":true}`)
				rebuilt = append(rebuilt, gone)
				erased = append(erased, events.ErasedComment{Article: "a1", Comment: id})
				if dec != "" {
					both(next(dec, id, events.RulesActor("v1"), events.Decision{Reason: "r"}))
				}
			}
			if banned {
				both(next(events.AuthorBanned, "", "moderator:mia", events.AuthorAction{AuthorID: who, Reason: "spam", Until: t0.Add(48 * time.Hour)}))
			}
			both(next(events.AuthorErased, "", "operator:dpo", events.Erasure{AuthorKey: events.AuthorKey(who), Comments: erased}))
			// A comment after the erasure counts again, under a new key.
			both(next(events.CommentSubmitted, "c9", events.ActorReader, events.Submitted{Author: "Anna K.", AuthorID: who, Text: "back"}))

			lf, rf := newAuthorFolder(), newAuthorFolder()
			for _, e := range live {
				lf.apply(e)
			}
			for _, e := range rebuilt {
				rf.apply(e)
			}
			if !reflect.DeepEqual(lf.authors, rf.authors) {
				t.Fatalf("live facts differ from the rebuild's:\n live    %+v\n rebuilt %+v", lf.authors, rf.authors)
			}
			a := lf.authors[AuthorToken(who)]
			if a.Facts.Total != 1 || a.Facts.Approved != 0 || a.Facts.Rejected != 0 || len(a.Comments.Recent) != 1 || a.Comments.Recent[0].ID != "c9" ||
				!a.Facts.FirstSeen.Equal(t0.Add(time.Duration(seq)*time.Minute)) || a.Facts.Ban.Banned != banned {
				t.Fatalf("after the erasure and a new comment: %+v", a)
			}

			// Just after the erasure: nothing of theirs but a ban.
			lf = newAuthorFolder()
			for _, e := range live[:len(live)-1] {
				lf.apply(e)
			}
			a = lf.authors[AuthorToken(who)]
			if a.Empty() == banned || a.Facts.Name != "" || a.Facts.Total != 0 || a.Comments.Recent != nil || a.Comments.Waiting != nil || !a.Facts.FirstSeen.IsZero() {
				t.Fatalf("after the erasure: %+v", a)
			}
			if banned && (!a.Facts.Stats().BannedAt(t0) || a.Facts.Stats().BannedAt(t0.Add(49*time.Hour))) {
				t.Fatalf("the ban did not survive the erasure as it was: %+v", a.Facts.Ban)
			}
		})
	}
}

// No key of the facts spells an author id, and none decodes back to one.
func TestAuthorTokenHidesTheID(t *testing.T) {
	for _, id := range []string{"name:anna", "sso:42", "name:" + strings.Repeat("я", 80)} {
		tok := AuthorToken(id)
		if tok != events.AuthorKey(id) || !ValidCommentKey(tok) || strings.Contains(tok, strings.TrimPrefix(id, "name:")) {
			t.Errorf("AuthorToken(%q) = %q", id, tok)
		}
	}
}
