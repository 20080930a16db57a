package commands

import (
	"context"
	"errors"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// State is one comment as its own history in the log says, whatever the
// views' lag: what a decision checks against, and what the moderators'
// history shows.
type State struct {
	Comment projections.Comment
	// History is every event of the comment, its reports included, oldest
	// first.
	History []events.Envelope
}

// State reads a comment's history from the log and folds it. The comment
// is found through the status view (or the views), never by a wildcard
// query of the log: an id nobody stored costs one key lookup.
func (s *Service) State(ctx context.Context, id string) (State, error) {
	article, err := s.articleOf(ctx, id)
	if err != nil {
		return State{}, err
	}
	return s.stateOf(ctx, article, id)
}

// stateOf is State for a comment whose article is known.
func (s *Service) stateOf(ctx context.Context, article, id string) (State, error) {
	hist, err := s.cfg.Log.History(ctx, article, id)
	if err != nil {
		return State{}, err
	}
	c, ok := Fold(hist)
	if !ok {
		return State{}, events.ErrNotFound
	}
	// An erased author's decisions keep no words of what they wrote.
	return State{Comment: c, History: projections.Redacted(c, hist)}, nil
}

// articleOf is the article of a comment, from the status view, or the
// views when the status view does not hold it (yet).
func (s *Service) articleOf(ctx context.Context, id string) (string, error) {
	if s.cfg.Status != nil {
		st, err := s.cfg.Status.Status(ctx, id)
		if err == nil {
			return st.Article, nil
		}
		if !errors.Is(err, events.ErrNotFound) {
			return "", err
		}
	}
	c, err := s.cfg.Views.Comment(ctx, id)
	if err != nil {
		return "", err
	}
	return c.Article, nil
}

// Fold is a comment as the events of its history (oldest first) leave it;
// ok is false when they hold no submission. It applies projections.Fold,
// the views' own fold, in order: the commands, the moderators' history and
// the views cannot disagree on a comment's state.
func Fold(history []events.Envelope) (c projections.Comment, ok bool) {
	for _, e := range history {
		c = projections.Fold(c, e).After
	}
	return c, c.ID != ""
}
