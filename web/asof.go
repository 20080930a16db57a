package web

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/newsroom/commentd/commands"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// Time travel: an article's thread, or one comment, as it stood at a
// moment, for disputes and legal requests. The answer comes from the log,
// not from the views: the article's own events stored up to that moment
// (events.Log.Until, one ordered read filtered to the article's subjects,
// so its cost follows the article, not the log), folded with the same fold
// as the views.

// maxAsOfReads bounds the time-travel reads a process makes at once: each
// reads an article's whole history from the stream, and anyone may ask.
const maxAsOfReads = 4

var (
	errInvalidAsOf = badRequest("invalid_as_of", "as_of", "as_of is a time in RFC 3339, such as 2026-03-03T12:00:00Z")
	errAsOfBusy    = &apiError{Status: http.StatusTooManyRequests, Code: "too_many_as_of", retryAfter: 1,
		Message: "too many reads of the past at once; try again in a second"}
)

// parseAsOf reads an RFC 3339 time (fractions of a second allowed).
func parseAsOf(v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, errInvalidAsOf
	}
	return t, nil
}

// asOfSlot takes one of the time-travel slots, or says to come back.
func (s *Server) asOfSlot() (release func(), err error) {
	select {
	case s.asOf <- struct{}{}:
		return func() { <-s.asOf }, nil
	default:
		return nil, errAsOfBusy
	}
}

// articleAt is every comment of an article as the log held it at t, in
// submission order, and the article's settings then. A t in the future is
// now.
func (s *Server) articleAt(ctx context.Context, article string, t time.Time) ([]projections.Comment, events.ArticleSettings, error) {
	var set events.ArticleSettings
	release, err := s.asOfSlot()
	if err != nil {
		return nil, set, err
	}
	defer release()
	states := make(map[string]projections.Comment)
	var order []string
	err = s.cfg.Log.Until(ctx, []string{"comments." + article + ".>", "articles." + article + ".settings"}, t, func(e events.Envelope) error {
		if e.Type == events.ArticleSettingsChanged {
			var next events.ArticleSettings
			if e.Payload(&next) == nil {
				set = next // the whole settings after the change
			}
			return nil
		}
		before, seen := states[e.Comment]
		if ch := projections.Fold(before, e); ch.Known() {
			states[e.Comment] = ch.After
			if !seen {
				order = append(order, e.Comment)
			}
		}
		return nil
	})
	if err != nil {
		return nil, set, err
	}
	out := make([]projections.Comment, 0, len(order))
	for _, id := range order {
		out = append(out, states[id])
	}
	return out, set, nil
}

// listAsOf answers GET /api/articles/{article}/comments?as_of=…: the
// approved list readers got at that moment, in the shape and with the
// paging of the list of now.
func (s *Server) listAsOf(w http.ResponseWriter, r *http.Request, q listQuery, asOf string) {
	t, err := parseAsOf(asOf)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	all, set, err := s.articleAt(r.Context(), q.article, t)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var approved []projections.Comment
	for _, c := range all {
		if c.Status == projections.Approved {
			approved = append(approved, c)
		}
	}
	page, next := pageOf(approved, q)
	resp := listResponse{Article: q.article, Total: len(approved), Comments: make([]publicComment, len(page)), AsOf: &t, Settings: &set}
	for i, c := range page {
		resp.Comments[i] = toPublic(c)
	}
	if next != 0 {
		resp.NextCursor = strconv.FormatUint(next, 36)
	}
	body, _ := json.Marshal(resp) // plain strings and times: cannot fail
	// The past does not change: a client may keep it.
	if t.Before(time.Now()) {
		w.Header().Set("Cache-Control", "private, max-age=60")
	}
	writeJSONBytes(w, http.StatusOK, append(body, '\n'))
}

// pageOf pages comments in submission order as the list of now does: the
// cursor is the SubmittedSeq of the previous page's last comment, next is
// 0 on the last page.
func pageOf(list []projections.Comment, q listQuery) (page []projections.Comment, next uint64) {
	if q.newest {
		end := len(list)
		if q.after != 0 {
			end = sort.Search(len(list), func(i int) bool { return list[i].SubmittedSeq >= q.after })
		}
		for i := end - 1; i >= 0 && len(page) < q.limit; i-- {
			page = append(page, list[i])
		}
		if n := len(page); n == q.limit && end-n > 0 {
			next = page[n-1].SubmittedSeq
		}
		return page, next
	}
	start := sort.Search(len(list), func(i int) bool { return list[i].SubmittedSeq > q.after })
	end := min(start+q.limit, len(list))
	page = list[start:end]
	if end < len(list) && end > start {
		next = list[end-1].SubmittedSeq
	}
	return page, next
}

// historyAt cuts a comment's history to the events stored at or before t
// and folds them: the comment as it stood then, ErrNotFound if it did not
// exist yet.
func historyAt(f commands.State, t time.Time) (commands.State, error) {
	var at commands.State
	for _, e := range f.History {
		if e.Stored.After(t) {
			break
		}
		at.History = append(at.History, e)
	}
	c, ok := commands.Fold(at.History)
	if !ok {
		return commands.State{}, &apiError{Status: http.StatusNotFound, Code: "not_found", Field: "as_of", Message: "the comment did not exist yet at as_of"}
	}
	at.Comment = c
	return at, nil
}
