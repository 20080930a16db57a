package imports

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
)

// Summary is what an import did, or would do (a dry run).
type Summary struct {
	Format   string         `json:"format"`
	Comments int            `json:"comments"`
	Articles int            `json:"articles"`
	Replies  int            `json:"replies"`
	States   map[string]int `json:"states"`  // approved, held, rejected
	Skipped  map[string]int `json:"skipped"` // pingbacks, trackbacks
	// Imported: comments stored now; Present: stored by an earlier run
	// (nothing stored again); Completed: an earlier run stored the
	// comment but not its decision, stored now.
	Imported  int `json:"imported"`
	Present   int `json:"present"`
	Completed int `json:"completed"`
}

// Summarize counts what a file holds.
func Summarize(f File) Summary {
	s := Summary{Format: f.Format, Comments: len(f.Comments), States: map[string]int{}, Skipped: f.Skipped}
	articles := map[string]bool{}
	for _, c := range f.Comments {
		articles[c.Article] = true
		s.States[string(c.State)]++
		if c.ParentID != "" {
			s.Replies++
		}
	}
	s.Articles = len(articles)
	return s
}

var decisionOf = map[State]events.Type{Approved: events.CommentApproved, Held: events.CommentHeld, Rejected: events.CommentRejected}

// ImportActor is the actor of an imported comment's decision: the
// moderation the source had, which (like a person's) the rules never
// override.
func ImportActor(format string) string { return "import:" + format }

// Publish stores every comment of f as a CommentSubmitted event followed
// by its decision, parents before replies. Ids are derived from the
// source's (Comment.ID), and a submission is stored only if its comment
// has no event yet, so running the same import again stores nothing
// twice, and a run that stopped half-way is completed by the next.
// progress, when set, is called after each comment.
func Publish(ctx context.Context, log *events.Log, f File, progress func(done int)) (Summary, error) {
	s := Summarize(f)
	ids := make(map[string]string, len(f.Comments)) // source id -> id here
	for _, c := range f.Comments {
		ids[c.SourceID] = c.ID()
	}
	actor := ImportActor(f.Format)
	for i, c := range f.Comments {
		if err := ctx.Err(); err != nil {
			return s, err
		}
		id := ids[c.SourceID]
		sub, err := events.New(uuid.NewSHA1(importNamespace, []byte("submitted\n"+c.Key)).String(), events.CommentSubmitted, c.Article, id,
			events.ActorReader, "", c.CreatedAt, events.Submitted{
				Author: events.CleanName(c.Author), AuthorID: events.AnonymousAuthorID(c.Author), Text: c.Text, ParentID: ids[c.ParentID],
				Imported: &events.Imported{Format: f.Format, ID: c.SourceID, CreatedAt: c.CreatedAt},
			})
		if err != nil {
			return s, err
		}
		dec, err := events.New(uuid.NewSHA1(importNamespace, []byte("decided\n"+c.Key)).String(), decisionOf[c.State], c.Article, id,
			actor, sub.ID, c.CreatedAt, events.Decision{Reason: "imported"})
		if err != nil {
			return s, err
		}
		_, err = log.AppendAfter(ctx, sub, 0)
		switch {
		case err == nil:
			if _, err := log.Append(ctx, dec); err != nil {
				return s, fmt.Errorf("imports: line %d, comment %q: %w", c.Line, c.SourceID, err)
			}
			s.Imported++
		case errors.Is(err, events.ErrConflict):
			done, err := stored(ctx, log, c.Article, id, dec.ID)
			if err != nil {
				return s, fmt.Errorf("imports: line %d, comment %q: %w", c.Line, c.SourceID, err)
			}
			if done {
				s.Present++
				break
			}
			if _, err := log.Append(ctx, dec); err != nil {
				return s, fmt.Errorf("imports: line %d, comment %q: %w", c.Line, c.SourceID, err)
			}
			s.Completed++
		default:
			return s, fmt.Errorf("imports: line %d, comment %q: %w", c.Line, c.SourceID, err)
		}
		if progress != nil {
			progress(i + 1)
		}
	}
	return s, nil
}

// stored reports whether a comment's history holds the event id.
func stored(ctx context.Context, log *events.Log, article, comment, eventID string) (bool, error) {
	hist, err := log.History(ctx, article, comment)
	if err != nil {
		return false, err
	}
	for _, e := range hist {
		if e.ID == eventID {
			return true, nil
		}
	}
	return false, nil
}
