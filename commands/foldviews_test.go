package commands

import (
	"context"
	"sync"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// FoldViews are Views folded in memory from the events Apply is given
// (projections.Fold, as the projector folds them): the tests' stand-in
// for the views in KV.
type FoldViews struct {
	mu       sync.Mutex
	applied  uint64
	comments map[string]*projections.Comment
	order    []string // comment ids, submission order
	depth    map[string]int
	settings map[string]events.ArticleSettings
}

// NewFoldViews returns views that have seen nothing.
func NewFoldViews() *FoldViews {
	return &FoldViews{comments: map[string]*projections.Comment{}, depth: map[string]int{}, settings: map[string]events.ArticleSettings{}}
}

// Applied is the sequence of the last event applied.
func (v *FoldViews) Applied() uint64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.applied
}

// Apply folds e, once: an event at or below Applied changes nothing.
func (v *FoldViews) Apply(e events.Envelope) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if e.Seq <= v.applied {
		return
	}
	v.applied = e.Seq
	if e.Type == events.ArticleSettingsChanged {
		var s events.ArticleSettings
		if e.Payload(&s) == nil {
			v.settings[e.Article] = s
		}
		return
	}
	each := []events.Envelope{e}
	if e.Type == events.AuthorErased {
		each = projections.ErasedComments(e)
	}
	for _, e := range each {
		if e.Comment == "" {
			continue
		}
		var before projections.Comment
		if c := v.comments[e.Comment]; c != nil {
			before = *c
		}
		f := projections.Fold(before, e)
		if f.After.ID == "" {
			continue
		}
		if before.ID == "" {
			v.order = append(v.order, e.Comment)
			if p := f.After.ParentID; p != "" {
				if _, ok := v.comments[p]; ok {
					v.depth[e.Comment] = v.depth[p] + 1
				}
			}
		}
		c := f.After
		v.comments[e.Comment] = &c
	}
}

func (v *FoldViews) Comment(_ context.Context, id string) (projections.Comment, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	c, ok := v.comments[id]
	if !ok {
		return projections.Comment{}, events.ErrNotFound
	}
	return *c, nil
}

func (v *FoldViews) Depth(_ context.Context, id string) (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.depth[id], nil
}

func (v *FoldViews) ArticleSettings(_ context.Context, article string) (events.ArticleSettings, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.settings[article], nil
}

func (v *FoldViews) AuthorKnown(_ context.Context, authorID string) (bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, c := range v.comments {
		if c.AuthorID == authorID {
			return true, nil
		}
	}
	return false, nil
}

func (v *FoldViews) Undecided(_ context.Context, authorID string) ([]projections.Comment, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []projections.Comment
	for _, id := range v.order {
		if c := v.comments[id]; c.AuthorID == authorID && (c.Status == projections.Pending || c.Status == projections.Held) {
			out = append(out, *c)
		}
	}
	return out, nil
}
