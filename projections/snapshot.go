package projections

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"

	"github.com/newsroom/commentd/events"
)

// snapshotVersion changes when the snapshot layout does; an older snapshot
// is then ignored and the views are rebuilt from the log.
const snapshotVersion = 3

type snapshot struct {
	Version  int        `json:"v"`
	Applied  uint64     `json:"applied"`
	Comments []*Comment `json:"comments"`
	// Moderation: reports and bans, since version 2.
	Moderation modSnapshot `json:"moderation"`
	// Settings: article settings, since version 3.
	Settings map[string]events.ArticleSettings `json:"settings,omitempty"`
}

// WriteSnapshot writes the read models and the sequence they reflect.
func (s *Store) WriteSnapshot(w io.Writer) error {
	s.mu.RLock()
	snap := snapshot{Version: snapshotVersion, Applied: s.applied, Comments: make([]*Comment, 0, len(s.comments))}
	for _, c := range s.comments {
		cc := *c
		snap.Comments = append(snap.Comments, &cc)
	}
	snap.Moderation = s.mod.snapshot()
	snap.Settings = maps.Clone(s.settings)
	s.mu.RUnlock()
	return json.NewEncoder(w).Encode(snap)
}

// LoadSnapshot replaces the read models with those written by
// WriteSnapshot.
func (s *Store) LoadSnapshot(r io.Reader) error {
	var snap snapshot
	if err := json.NewDecoder(r).Decode(&snap); err != nil {
		return fmt.Errorf("projections: read snapshot: %w", err)
	}
	if snap.Version != snapshotVersion {
		return fmt.Errorf("projections: snapshot version %d, want %d", snap.Version, snapshotVersion)
	}
	fresh := NewStore()
	fresh.applied, fresh.settings = snap.Applied, snap.Settings
	for _, c := range snap.Comments {
		fresh.comments[c.ID] = c
		if c.Status == Pending {
			fresh.undecided[c.ID] = c
		}
		if c.Status == Approved {
			fresh.article(c.Article).insert(c)
		}
	}
	fresh.mod.restore(fresh.comments, snap.Moderation)
	s.take(fresh)
	return nil
}

// take replaces s's content by fresh's, which nobody else holds.
func (s *Store) take(fresh *Store) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applied, s.comments, s.articles, s.mod, s.settings = fresh.applied, fresh.comments, fresh.articles, fresh.mod, fresh.settings
	s.undecided = fresh.undecided
}
