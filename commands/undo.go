package commands

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// undo appends the compensating decision of a person's decision: the
// comment goes back to the state it was in before (its status, reason,
// message, and the rules and evidence that put it there), as a new event
// by the moderator that names the undone one as its cause. Nothing is
// removed from the log; the history shows both.
//
// d.ExpectedSeq is required: the comment's seq right after the decision
// being undone. When anything happened to the comment since (another
// decision, a report), the undo is refused with a conflict, so it never
// takes back more than the moderator saw.
func (s *Service) undo(ctx context.Context, actor string, d Decision) (projections.Comment, error) {
	if d.ExpectedSeq == nil {
		return projections.Comment{}, invalid("missing_field", "expected_seq", "an undo needs expected_seq: the comment's seq after the decision it undoes")
	}
	if err := checkMessage(d.Message); err != nil {
		return projections.Comment{}, err
	}
	st, err := s.State(ctx, d.Comment)
	if err != nil {
		return projections.Comment{}, err
	}
	now := st.Comment
	if *d.ExpectedSeq != now.Seq {
		return projections.Comment{}, conflict(now)
	}
	last := st.History[len(st.History)-1]
	if last.Seq != now.Seq || !last.Type.IsDecision() || !events.IsHuman(last.Actor) {
		return projections.Comment{}, invalid("nothing_to_undo", "action", "the comment's last event is not a moderator's decision; decide it instead")
	}
	before, _ := Fold(st.History[:len(st.History)-1])
	typ := events.CommentHeld // a comment the rules had not decided yet waits for a person
	switch before.Status {
	case projections.Approved:
		typ = events.CommentApproved
	case projections.Rejected:
		typ = events.CommentRejected
	}
	e, err := events.New(uuid.NewString(), typ, now.Article, now.ID, actor, last.ID, time.Now(),
		events.Decision{Reason: before.Reason, Message: before.Message, Rules: before.Rules, Evidence: before.Evidence})
	if err != nil {
		return projections.Comment{}, err
	}
	e.Seq, err = s.cfg.Log.AppendAfter(ctx, e, now.Seq)
	if errors.Is(err, events.ErrConflict) {
		again, err := s.stateOf(ctx, now.Article, now.ID)
		if err != nil {
			return projections.Comment{}, err
		}
		return projections.Comment{}, conflict(again.Comment)
	}
	if err != nil {
		return projections.Comment{}, err
	}
	after := projections.Fold(now, e).After
	s.metrics.observe(now, after.Status)
	s.log.Info("moderator undid a decision", "comment", now.ID, "actor", actor, "undone", last.ID, "status", after.Status)
	return after, nil
}
