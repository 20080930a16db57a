package commands

import (
	"context"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// StoreViews are Views read from in-memory read models, for the processes
// that still keep them.
func StoreViews(s *projections.Store) Views { return storeViews{s} }

type storeViews struct{ s *projections.Store }

func (v storeViews) Comment(_ context.Context, id string) (projections.Comment, error) {
	c, ok := v.s.Comment(id)
	if !ok {
		return projections.Comment{}, events.ErrNotFound
	}
	return c, nil
}

func (v storeViews) Depth(_ context.Context, id string) (int, error) { return v.s.Depth(id), nil }

func (v storeViews) ArticleSettings(_ context.Context, article string) (events.ArticleSettings, error) {
	return v.s.ArticleSettings(article), nil
}

func (v storeViews) AuthorKnown(_ context.Context, authorID string) (bool, error) {
	_, ok := v.s.AuthorRecord(authorID, 0)
	return ok, nil
}

func (v storeViews) Undecided(_ context.Context, authorID string) ([]projections.Comment, error) {
	return v.s.Undecided(authorID), nil
}
