package commands

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// reportNamespace derives a report's event id from the comment and the
// reporter, so a reader who reports twice within the duplicate window is
// stored once (and counted once by the views beyond it).
var reportNamespace = uuid.MustParse("6a2d9f41-8c3b-4e7a-b5d0-1e9c4f7a2b63")

// Report is a reader's report of a visible comment.
type Report struct {
	Comment string
	Reason  string // a ReasonCodes entry
	// ReporterID is who reported, without keeping who (a keyed hash the
	// caller makes): the same reader counts once per comment.
	ReporterID string
	// Admit runs once the report is valid, right before it is appended:
	// the caller's rate limits. Its error refuses the report.
	Admit func() error
}

// Report appends a reader's report of an approved comment and returns the
// comment as the views know it. Readers see approved comments only;
// anything else is not theirs to know about (events.ErrNotFound).
func (s *Service) Report(ctx context.Context, r Report) (projections.Comment, error) {
	if !slices.Contains(ReasonCodes, r.Reason) {
		return projections.Comment{}, invalid("invalid_reason", "reason", "reason is one of offensive, abusive, spam, off-topic, personal-information, other")
	}
	c, err := s.cfg.Views.Comment(ctx, r.Comment)
	if errors.Is(err, events.ErrNotFound) || err == nil && c.Status != projections.Approved {
		return projections.Comment{}, events.ErrNotFound
	}
	if err != nil {
		return projections.Comment{}, err
	}
	if r.Admit != nil {
		if err := r.Admit(); err != nil {
			return projections.Comment{}, err
		}
	}
	e, err := events.New(uuid.NewSHA1(reportNamespace, []byte(c.ID+"\n"+r.ReporterID)).String(),
		events.CommentReported, c.Article, c.ID, events.ActorReader, "", time.Now(),
		events.Reported{Reason: r.Reason, ReporterID: r.ReporterID})
	if err == nil {
		_, err = s.cfg.Log.Append(ctx, e)
	}
	return c, err
}
