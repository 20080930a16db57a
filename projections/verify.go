package projections

import (
	"context"
	"errors"
	"fmt"

	"github.com/newsroom/commentd/events"
)

// errMismatch: read models that do not reflect the log they say they do.
var errMismatch = errors.New("projections: the checkpoint does not match the log")

// How far back verifyAgainstLog looks from a checkpoint, and how many
// comments it checks there.
const (
	verifyScan     = 64
	verifyComments = 8
)

// verifyAgainstLog checks read models that say they reflect the log up to
// seq against the log itself, before they are trusted: the log must hold
// seq (a log reset or replaced since is not the one they were made from),
// and the comments of the newest comment events at or below seq must be
// known to them. A checkpoint that kept its sequence but lost or replaced
// its content ("comments emptied, sequence kept") fails, and the caller
// rebuilds from the log instead of serving it.
//
// A mismatch is errMismatch; any other error is the log or the view not
// answering, for the caller to retry.
func verifyAgainstLog(ctx context.Context, log *events.Log, seq uint64, known func(id string) (bool, error)) error {
	if seq == 0 {
		return nil
	}
	last, err := log.LastSeq(ctx)
	if err != nil {
		return err
	}
	if seq > last {
		return fmt.Errorf("%w: the checkpoint is at sequence %d but the log ends at %d: it was made from another log", errMismatch, seq, last)
	}
	checked := 0
	for s := seq; s > 0 && seq-s < verifyScan && checked < verifyComments; s-- {
		e, err := log.At(ctx, s)
		if errors.Is(err, events.ErrNotFound) {
			continue
		}
		if err != nil && e.Seq == 0 {
			return err // the log did not answer
		}
		if err != nil || e.Comment == "" || e.Type != events.CommentSubmitted {
			continue // undecodable, or not a submission: nothing to check
		}
		ok, err := known(e.Comment)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: the checkpoint at sequence %d does not know comment %s submitted at %d", errMismatch, seq, e.Comment, s)
		}
		checked++
	}
	return nil
}
