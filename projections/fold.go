package projections

import (
	"encoding/json"
	"time"

	"github.com/newsroom/commentd/events"
)

// CommentChange is what one event did to one comment: its state before
// (the zero Comment for a comment not yet known), its state after, and
// whether the state a reader or moderator sees changed. Before and After
// differ only in Seq when an event was applied but changed nothing seen
// (a duplicate submission, a rules decision on a comment a person
// decided): the next decision then expects the newer sequence.
type CommentChange struct {
	Before  Comment
	After   Comment
	Changed bool
}

// Known reports whether the comment exists after the event.
func (c CommentChange) Known() bool { return c.After.ID != "" }

// Fold is the one fold of "what state is this comment in": given the
// comment's state before e (the zero Comment when unknown) and one event
// of that comment, it returns the state after and what changed. It is
// pure: no I/O, no clock, the same answer for the same input, so the
// projector, the moderator's history and the commands agree.
//
// Events that do not change a comment's own state (reports, bans,
// settings, rule sets) and events of another comment leave it as it was
// (Changed false, After == Before). Fold does not check e.Seq against
// before.Seq: a caller replaying history skips what it applied already.
func Fold(before Comment, e events.Envelope) CommentChange {
	ch := CommentChange{Before: before, After: before}
	if before.ID != "" && before.ID != e.Comment {
		return ch
	}
	switch {
	case e.Type == events.CommentSubmitted:
		if before.ID != "" {
			// The same comment submitted again after the duplicate
			// window, or redelivered from the dead letters: nothing
			// changes, but the next decision now comes after this event.
			ch.After.Seq = e.Seq
			return ch
		}
		var p events.Submitted
		if e.Payload(&p) != nil {
			return ch
		}
		ch.After = Comment{
			ID: e.Comment, Article: e.Article, ParentID: p.ParentID,
			Author: p.Author, AuthorID: p.AuthorID, Text: p.Text, CreatedAt: e.OccurredAt,
			Status: Pending, SubmittedSeq: e.Seq, Seq: e.Seq, Erased: p.Erased,
		}
		ch.Changed = true
	case e.Type == events.CommentEdited:
		if before.ID == "" {
			return ch // an edit of a comment never submitted
		}
		ch.After.Seq = e.Seq
		var p events.Edited
		if e.Payload(&p) != nil || before.Erased {
			return ch
		}
		a := &ch.After
		a.LastEdit = e.ID
		if before.Status == Approved {
			// Readers keep the published text until the edit is approved.
			a.Edit = &Edit{ID: e.ID, Text: p.Text, At: e.OccurredAt, Status: Pending}
		} else {
			// Nobody sees the comment yet: the new text is the comment,
			// and it waits for the rules again.
			a.Text, a.EditedAt, a.Edit = p.Text, e.OccurredAt, nil
			a.Status, a.Reason, a.Message, a.Rules, a.Evidence = Pending, "", "", nil, nil
			a.DecidedBy, a.DecidedAt = "", time.Time{}
		}
		ch.Changed = true
	case e.Type == events.AuthorErased:
		// One comment of the erasure (ErasedComments): its personal
		// fields go. Its Seq stays: the erasure is no event of the
		// comment's own, and the next decision expects the comment's.
		if before.ID == "" || before.Erased {
			return ch
		}
		erase(&ch.After)
		ch.Changed = true
	case e.Type.IsDecision():
		if before.ID == "" {
			return ch // a decision of a comment never submitted
		}
		ch.After.Seq = e.Seq
		var d events.Decision
		if e.Payload(&d) != nil {
			return ch
		}
		if d.Edit != "" {
			switch {
			case before.Edit != nil && before.Edit.ID == d.Edit && before.Status == Approved:
				// An edit of a published comment: the decision is the
				// edit's.
				ch.Changed = decideEdit(&ch.After, e, d)
				return ch
			case before.Edit != nil || d.Edit != before.LastEdit:
				// An edit that a newer one replaced, or one dropped when
				// the comment itself was decided: nothing to decide.
				return ch
			}
			// An edit of a comment nobody saw yet: it is the comment's
			// text, and the decision the comment's.
		}
		if before.HumanDecided() && !events.IsHuman(e.Actor) {
			return ch // a person's decision is never overridden by the rules
		}
		a := &ch.After
		// The comment itself is decided, as it stands: an edit that
		// waited is dropped with it.
		a.Edit = nil
		a.Status = statusOf[e.Type]
		a.Reason, a.Message, a.Rules, a.Evidence = d.Reason, d.Message, d.Rules, d.Evidence
		if a.Erased {
			a.Evidence = nil // spans of the erased text
		}
		a.DecidedBy, a.DecidedAt = e.Actor, e.OccurredAt
		ch.Changed = true
	}
	return ch
}

// decideEdit applies decision d (event e) to the pending edit of a
// published comment: approval shows the new text; a hold or a rejection
// keeps the published one and says so to the author. A person's decision
// on the edit is never overridden by an automatic one.
func decideEdit(a *Comment, e events.Envelope, d events.Decision) bool {
	old := a.Edit
	if old.DecidedBy != "" && events.IsHuman(old.DecidedBy) && !events.IsHuman(e.Actor) {
		return false
	}
	if e.Type == events.CommentApproved {
		a.Text, a.EditedAt, a.Edit = old.Text, old.At, nil
		a.Reason, a.Message, a.Rules, a.Evidence = d.Reason, d.Message, d.Rules, d.Evidence
		a.DecidedBy, a.DecidedAt = e.Actor, e.OccurredAt
		return true
	}
	ed := *old
	ed.Status = statusOf[e.Type]
	ed.Reason, ed.Message, ed.Rules, ed.Evidence, ed.DecidedBy = d.Reason, d.Message, d.Rules, d.Evidence, e.Actor
	a.Edit = &ed
	return true
}

func erase(c *Comment) {
	c.Author, c.Text, c.AuthorID, c.Evidence, c.Erased = events.Removed, events.Removed, "", nil, true
	c.Edit = nil
}

// ErasedComments splits an AuthorErased event into one event per comment
// it names (Article and Comment set), for Fold: the views rewrite each.
// Nil for any other event.
func ErasedComments(e events.Envelope) []events.Envelope {
	if e.Type != events.AuthorErased {
		return nil
	}
	var x events.Erasure
	if e.Payload(&x) != nil {
		return nil
	}
	out := make([]events.Envelope, 0, len(x.Comments))
	for _, c := range x.Comments {
		one := e
		one.Article, one.Comment = c.Article, c.Comment
		out = append(out, one)
	}
	return out
}

// Redacted is an erased comment's history without what is left of its
// text: the decisions' evidence spans (the words a rule matched) read
// events.Removed. Reading a history of a comment that is not erased
// returns it as it is.
func Redacted(c Comment, history []events.Envelope) []events.Envelope {
	if !c.Erased {
		return history
	}
	out := make([]events.Envelope, len(history))
	for i, e := range history {
		out[i] = e
		var d events.Decision
		if !e.Type.IsDecision() || e.Payload(&d) != nil || len(d.Evidence) == 0 {
			continue
		}
		for j := range d.Evidence {
			d.Evidence[j].Match = events.Removed
		}
		if data, err := json.Marshal(d); err == nil {
			out[i].Data = data
		}
	}
	return out
}
