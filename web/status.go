package web

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// StatusView answers a comment's status; projections.StatusView is the
// one the product runs. A comment it does not hold is events.ErrNotFound.
type StatusView interface {
	Status(ctx context.Context, id string) (projections.StatusEntry, error)
}

type commentStatus struct {
	ID      string `json:"id"`
	Article string `json:"article"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message,omitempty"`
	// EditedAt: the text shown was changed by its author then.
	EditedAt time.Time `json:"edited_at,omitzero"`
	// Edit is the author's newest edit of a published comment, while it
	// waits or once held or refused (the published text stays).
	Edit *editStatus `json:"edit,omitempty"`
}

// editStatus is what the author learns of their edit.
type editStatus struct {
	Status  string `json:"status"` // pending, held, rejected
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

func (s *Server) handleGetComment() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		st, err := s.status(r.Context(), r.PathValue("id"))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, st)
	}
}

// status is a comment's state for its author, from the status view. A
// comment this process accepted a moment ago may not be in the view yet:
// it remembers those for a while and answers them pending. Anything else
// the view does not hold is unknown (404), without asking the log.
func (s *Server) status(ctx context.Context, id string) (commentStatus, error) {
	if s.cfg.Status != nil {
		st, err := s.cfg.Status.Status(ctx, id)
		if err == nil {
			return statusOf(projections.Comment{ID: id, Article: st.Article, Status: st.Status, Reason: st.Reason, Message: st.Message, EditedAt: st.EditedAt, Edit: st.Edit}), nil
		}
		if !errors.Is(err, events.ErrNotFound) {
			return commentStatus{}, err
		}
	} else if c, ok, err := s.comment(ctx, id); err != nil {
		return commentStatus{}, err
	} else if ok {
		return statusOf(c.Comment), nil
	}
	if article, ok := s.recent.get(id); ok {
		return commentStatus{ID: id, Article: article, Status: string(projections.Pending)}, nil
	}
	return commentStatus{}, events.ErrNotFound
}

// The comments this process accepted recently: enough for the time the
// projector takes to show them in the view (milliseconds; a minute under
// a backlog), bounded so that a flood of posts cannot grow it.
const (
	recentCap = 16384
	recentTTL = time.Minute
)

type recentSubmission struct {
	id, article string
	at          time.Time
}

// recentSubmissions is a ring of the newest submissions with an index.
type recentSubmissions struct {
	mu   sync.Mutex
	ttl  time.Duration
	ring []recentSubmission
	next int
	byID map[string]int
}

func newRecentSubmissions(capacity int, ttl time.Duration) *recentSubmissions {
	return &recentSubmissions{ttl: ttl, ring: make([]recentSubmission, capacity), byID: make(map[string]int, capacity)}
}

func (r *recentSubmissions) add(id, article string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if old := r.ring[r.next]; old.id != "" && r.byID[old.id] == r.next {
		delete(r.byID, old.id)
	}
	r.ring[r.next] = recentSubmission{id: id, article: article, at: time.Now()}
	r.byID[id] = r.next
	r.next = (r.next + 1) % len(r.ring)
}

func (r *recentSubmissions) get(id string) (article string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i, ok := r.byID[id]
	if !ok || time.Since(r.ring[i].at) > r.ttl {
		return "", false
	}
	return r.ring[i].article, true
}
