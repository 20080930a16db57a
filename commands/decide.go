package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// ReasonCodes are the reasons a moderator rejects or bans for, and a
// reader reports for.
var ReasonCodes = []string{"offensive", "abusive", "spam", "off-topic", "personal-information", "other"}

// MaxMessageRunes bounds the message a moderator writes to an author.
const MaxMessageRunes = 500

// MaxBulk bounds one bulk decision.
const MaxBulk = 100

// Decision is a moderator's decision on one comment.
type Decision struct {
	Comment string
	Action  string // approve, reject, or undo (the comment's last decision: undo.go)
	Reason  string // a ReasonCodes entry; required to reject
	Message string // to the author
	// ExpectedSeq is the comment's seq as the moderator saw it: when the
	// comment changed since, the decision is refused with a conflict.
	// Without it, the decision applies to the comment as it stands.
	ExpectedSeq *uint64
}

func (d *Decision) validate() (events.Type, error) {
	var typ events.Type
	switch d.Action {
	case "approve":
		typ = events.CommentApproved
		if d.Reason != "" && !slices.Contains(ReasonCodes, d.Reason) {
			return "", invalid("invalid_reason", "reason", "an unknown reason code")
		}
	case "reject":
		typ = events.CommentRejected
		if !slices.Contains(ReasonCodes, d.Reason) {
			return "", invalid("invalid_reason", "reason", "a rejection needs a reason: one of offensive, abusive, spam, off-topic, personal-information, other")
		}
	default:
		return "", invalid("invalid_action", "action", "action is approve, reject or undo")
	}
	if err := checkMessage(d.Message); err != nil {
		return "", err
	}
	return typ, nil
}

func checkMessage(msg string) error {
	if !utf8.ValidString(msg) || utf8.RuneCountInString(msg) > MaxMessageRunes {
		return invalid("too_long", "message", fmt.Sprintf("a message is at most %d characters", MaxMessageRunes))
	}
	return nil
}

// Decide appends a moderator's decision on one comment, unless it changed
// since the moderator looked (a conflict with the comment as it stands). It
// returns the comment as the decision left it.
func (s *Service) Decide(ctx context.Context, actor string, d Decision) (projections.Comment, error) {
	if d.Action == "undo" {
		return s.undo(ctx, actor, d)
	}
	typ, err := d.validate()
	if err != nil {
		return projections.Comment{}, err
	}
	st, err := s.State(ctx, d.Comment)
	if err != nil {
		return projections.Comment{}, err
	}
	return s.decide(ctx, actor, typ, d, st, "")
}

// decide appends the decision on the comment as st found it; causation is
// the event that caused it ("" for none).
func (s *Service) decide(ctx context.Context, actor string, typ events.Type, d Decision, st State, causation string) (projections.Comment, error) {
	prior := st.Comment
	if d.ExpectedSeq != nil && *d.ExpectedSeq != prior.Seq {
		return projections.Comment{}, conflict(prior)
	}
	dec := events.Decision{Reason: d.Reason, Message: d.Message}
	if prior.Status == projections.Approved && prior.Edit != nil && prior.Edit.Status != projections.Rejected {
		// The published comment's edit waits for a decision: this one
		// is the edit's (approve shows the new text, reject keeps the
		// published one). Deciding the comment itself comes after.
		dec.Edit = prior.Edit.ID
	}
	e, err := events.New(uuid.NewString(), typ, prior.Article, prior.ID, actor, causation, time.Now(), dec)
	if err != nil {
		return projections.Comment{}, err
	}
	// The sequence the moderator's view rests on: another decision
	// stored since makes this one lose.
	e.Seq, err = s.cfg.Log.AppendAfter(ctx, e, prior.Seq)
	if errors.Is(err, events.ErrConflict) {
		now, err := s.stateOf(ctx, prior.Article, prior.ID)
		if err != nil {
			return projections.Comment{}, err
		}
		return projections.Comment{}, conflict(now.Comment)
	}
	if err != nil {
		return projections.Comment{}, err
	}
	after := projections.Fold(prior, e).After
	s.metrics.observe(prior, after.Status)
	s.log.Info("moderator decided", "comment", prior.ID, "actor", actor, "action", d.Action, "reason", d.Reason)
	return after, nil
}

// Result is the outcome of one decision of a bulk: the comment as the
// decision left it, or why it was refused.
type Result struct {
	Comment projections.Comment
	Err     error
}

// DecideAll decides each comment of a list on its own, in order: each
// gets its own result, as if it had been sent alone. It refuses a list of
// none or more than MaxBulk.
func (s *Service) DecideAll(ctx context.Context, actor string, ds []Decision) ([]Result, error) {
	if len(ds) == 0 || len(ds) > MaxBulk {
		return nil, invalid("invalid_bulk", "decisions", fmt.Sprintf("send 1 to %d decisions", MaxBulk))
	}
	out := make([]Result, len(ds))
	for i, d := range ds {
		out[i].Comment, out[i].Err = s.Decide(ctx, actor, d)
	}
	return out, nil
}
