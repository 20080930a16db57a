package commands

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// Erase is a reader's erasure request, as an operator or an admin files it.
type Erase struct {
	// AuthorID is the canonical author id (events.CanonicalAuthorID).
	AuthorID string
	Reason   string // free text for the audit: the request's reference
	// Destroy destroys the keys here, before the call returns: the
	// operator's tool holds that permission. The api does not; the
	// projector destroys the keys the event names when it reads it.
	Destroy bool
}

// ErrNothingToErase: the log holds no comment of the author and they have
// no key.
var ErrNothingToErase = fmt.Errorf("%w: nothing of this author to erase", events.ErrNotFound)

// Erase crypto-shreds an author: it finds their comments once, by a scan
// of every submission in the log (sealed, so nothing is decrypted: a
// comment is theirs when its key is the author's current key, or, for a
// comment stored before sealing, when its plain author id is theirs),
// appends AuthorErased naming those comments and the key, with actor as
// who erased, and destroys the key (Destroy) or leaves that to the
// projector. The scan reads every submission (see docs/operations.md for
// its rate); an erasure is rare. Erasing again finds what is left.
func (s *Service) Erase(ctx context.Context, actor string, in Erase) (events.Erasure, error) {
	if in.AuthorID == "" || len(in.AuthorID) > maxAuthorIDLen || !utf8.ValidString(in.AuthorID) {
		return events.Erasure{}, invalid("invalid_author", "author", "not an author id")
	}
	keys := s.cfg.Log.Keys()
	if keys == nil {
		return events.Erasure{}, events.ErrNoKeys
	}
	kid, err := keys.CurrentKey(ctx, in.AuthorID)
	if err != nil {
		return events.Erasure{}, err
	}
	x := events.Erasure{AuthorKey: events.AuthorKey(in.AuthorID), Reason: in.Reason}
	if kid != "" {
		x.Keys = []string{kid}
	}
	err = s.cfg.Log.ReplaySealed(ctx, 1, []string{events.SubmittedSubjects}, func(e events.Envelope) error {
		var p events.Submitted
		if e.Payload(&p) != nil {
			return nil
		}
		if p.Key != "" && p.Key == kid || p.Key == "" && p.AuthorID == in.AuthorID {
			x.Comments = append(x.Comments, events.ErasedComment{Article: e.Article, Comment: e.Comment})
		}
		return nil
	})
	if err != nil {
		return events.Erasure{}, fmt.Errorf("commands: find the author's comments: %w", err)
	}
	if kid == "" && len(x.Comments) == 0 {
		return events.Erasure{}, ErrNothingToErase
	}
	e, err := events.New(uuid.NewString(), events.AuthorErased, "", "", actor, "", time.Now(), x)
	if err != nil {
		return events.Erasure{}, err
	}
	// The event first: every destruction is in the log, and a key whose
	// event is stored is destroyed by the projector if not here.
	if _, err := s.cfg.Log.Append(ctx, e); err != nil {
		return events.Erasure{}, err
	}
	if in.Destroy {
		if err := keys.Destroy(ctx, x.AuthorKey, x.Keys); err != nil {
			return x, fmt.Errorf("commands: erasure stored; the projector destroys the key when it reads it: %w", err)
		}
	}
	s.log.Info("author erased", "author_key", x.AuthorKey, "comments", len(x.Comments), "actor", actor)
	return x, nil
}

// AuthorData is everything the log holds of one author, their personal
// fields opened: what `commentctl authors export` writes.
type AuthorData struct {
	AuthorID string          `json:"author_id"`
	Comments []ExportComment `json:"comments"`
	// Moderation is what was done about the author: bans, unbans,
	// erasures.
	Moderation []ExportEvent `json:"moderation"`
}

// ExportComment is one comment with its whole history.
type ExportComment struct {
	projections.Comment
	History []ExportEvent `json:"history"`
}

// ExportEvent is one event as the export shows it.
type ExportEvent struct {
	Seq        uint64         `json:"seq"`
	Type       events.Type    `json:"type"`
	Actor      string         `json:"actor"`
	OccurredAt time.Time      `json:"occurred_at"`
	Data       map[string]any `json:"data,omitempty"`
}

// Export gathers an author's data from the log: each of their comments
// (found as Erase finds them, then each one's history read and opened) and
// the moderation events about them. Reports are not attributed: a report
// names a keyed hash of the reporter's network block, never who.
func (s *Service) Export(ctx context.Context, authorID string) (AuthorData, error) {
	out := AuthorData{AuthorID: authorID, Comments: []ExportComment{}, Moderation: []ExportEvent{}}
	var kid string
	if keys := s.cfg.Log.Keys(); keys != nil {
		var err error
		if kid, err = keys.CurrentKey(ctx, authorID); err != nil {
			return out, err
		}
	}
	var found []events.ErasedComment
	err := s.cfg.Log.ReplaySealed(ctx, 1, []string{events.SubmittedSubjects, "authors." + events.AuthorKey(authorID) + ".>"}, func(e events.Envelope) error {
		if e.Type != events.CommentSubmitted {
			out.Moderation = append(out.Moderation, exportEvent(e))
			return nil
		}
		var p events.Submitted
		if e.Payload(&p) == nil && (p.Key != "" && p.Key == kid || p.Key == "" && p.AuthorID == authorID) {
			found = append(found, events.ErasedComment{Article: e.Article, Comment: e.Comment})
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("commands: find the author's comments: %w", err)
	}
	for _, f := range found {
		hist, err := s.cfg.Log.History(ctx, f.Article, f.Comment)
		if errors.Is(err, events.ErrNotFound) {
			continue
		}
		if err != nil {
			return out, err
		}
		var c projections.Comment
		ec := ExportComment{History: []ExportEvent{}}
		for _, e := range hist {
			c = projections.Fold(c, e).After
			ec.History = append(ec.History, exportEvent(e))
		}
		ec.Comment = c
		out.Comments = append(out.Comments, ec)
	}
	return out, nil
}

func exportEvent(e events.Envelope) ExportEvent {
	x := ExportEvent{Seq: e.Seq, Type: e.Type, Actor: e.Actor, OccurredAt: e.OccurredAt}
	_ = e.Payload(&x.Data)
	return x
}
