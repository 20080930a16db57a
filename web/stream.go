package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
)

// maxWatched bounds the comment ids one stream reports the status of.
const maxWatched = 50

// handleArticleEvents streams an article's changes as Server-Sent Events:
//
//	event: comment   data: a newly approved comment, as in the list
//	event: removed   data: {"id"} of a comment no longer shown
//	event: settings  data: the article's settings after a change
//	event: status    data: the status of a comment named in ?watch=
//
// The stream carries no history: a client loads the list when the stream
// opens (and again on each reconnect) and merges by id. ?watch=id,id lets
// a reader follow their own comments' decisions; a status is visible to
// anyone who knows the id (GET /api/comments/{id}), so this leaks nothing
// new. The stream ends when the client leaves, when it falls behind (it
// reconnects), or when the server shuts down.
func (s *Server) handleArticleEvents() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		article := r.PathValue("article")
		if !events.ValidArticleID(article) {
			s.writeError(w, r, errInvalidArticle)
			return
		}
		watch := map[string]bool{}
		if v := r.URL.Query().Get("watch"); v != "" {
			ids := strings.Split(v, ",")
			for _, id := range ids {
				if uuid.Validate(id) != nil || len(ids) > maxWatched {
					s.writeError(w, r, badRequest("invalid_watch", "watch", fmt.Sprintf("watch is up to %d comment ids, comma-separated", maxWatched)))
					return
				}
				watch[id] = true
			}
		}
		// The article's settings come first, so the widget knows at once
		// whether it may show its form.
		set, _ := json.Marshal(s.cfg.Views.ArticleSettings(article))
		open := appendEvent(nil, "settings", "0", set)
		s.serveStream(w, r, article, open, func(b []byte, u liveUpdate) []byte {
			if u.event != "" {
				b = appendEvent(b, u.event, strconv.FormatUint(u.seq, 10), u.data)
			}
			if watch[u.comment] && u.status != nil {
				b = appendEvent(b, "status", strconv.FormatUint(u.seq, 10), u.status)
			}
			return b
		})
	}
}

// streamPing keeps proxies from closing an idle stream.
const streamPing = 25 * time.Second

// serveStream is the one Server-Sent Events loop, for readers' articles
// and the moderation queue alike: it subscribes to topic of s.live, sends
// open, then each update as frame encodes it (nothing when it appends
// nothing), with a comment line every streamPing. It returns when the
// client leaves, when the hub drops the client for falling behind, or
// when the hub closes at shutdown; in the last two cases EventSource
// reconnects after the retry delay and the client reloads.
func (s *Server) serveStream(w http.ResponseWriter, r *http.Request, topic string, open []byte, frame func([]byte, liveUpdate) []byte) {
	client := s.clientBlock(r)
	if err := s.streams.acquire(client); err != nil {
		s.writeError(w, r, err)
		return
	}
	defer s.streams.release(client)
	sub := s.live.Subscribe(topic)
	if sub == nil {
		s.writeError(w, r, &apiError{Status: http.StatusServiceUnavailable, Code: "shutting_down", Message: "the server is shutting down"})
		return
	}
	defer s.live.Unsubscribe(sub)
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	// retry: how soon EventSource reconnects after the stream ends.
	if _, err := w.Write(append([]byte("retry: 2000\n"), open...)); err != nil || rc.Flush() != nil {
		return
	}
	ping := time.NewTicker(streamPing)
	defer ping.Stop()
	var buf []byte
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ping.C:
			buf = append(buf[:0], ": ping\n\n"...)
		case u, ok := <-sub.C:
			if !ok {
				return // dropped as slow, or shutting down: the client reconnects
			}
			if buf = frame(buf[:0], u); len(buf) == 0 {
				continue
			}
		}
		if _, err := w.Write(buf); err != nil || rc.Flush() != nil {
			return
		}
	}
}

// appendEvent frames one event. data is JSON, which never holds a raw
// newline, so it is always one data line.
func appendEvent(b []byte, event, id string, data []byte) []byte {
	b = append(b, "event: "...)
	b = append(b, event...)
	b = append(b, "\nid: "...)
	b = append(b, id...)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}

// MaxCountArticles bounds one counts request.
const MaxCountArticles = 100

// handleCounts answers GET /api/counts?articles=a,b,c with the approved
// comment count of each, for listing pages.
func (s *Server) handleCounts() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := r.URL.Query().Get("articles")
		if v == "" {
			s.writeError(w, r, badRequest("missing_field", "articles", "name the articles: ?articles=a,b,c"))
			return
		}
		var ids []string
		for id := range strings.SplitSeq(v, ",") {
			if !events.ValidArticleID(id) {
				s.writeError(w, r, badRequest("invalid_article", "articles", fmt.Sprintf("%q is not an article id", truncate(id, 40))))
				return
			}
			ids = append(ids, id)
		}
		if len(ids) > MaxCountArticles {
			s.writeError(w, r, badRequest("too_many_articles", "articles", fmt.Sprintf("at most %d articles at once", MaxCountArticles)))
			return
		}
		counts, err := s.cfg.Articles.ApprovedCounts(r.Context(), ids)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out := make(map[string]int, len(ids))
		for i, id := range ids {
			out[id] = counts[i]
		}
		// A count a few seconds old is fine on a listing page, and lets
		// browsers and CDNs absorb the load of a busy front page.
		w.Header().Set("Cache-Control", "public, max-age=10")
		writeJSON(w, http.StatusOK, map[string]any{"counts": out})
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
