package web

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"

	"github.com/newsroom/commentd/commands"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// DefaultMaxReplyDepth is how deep replies nest when Config leaves it 0.
const DefaultMaxReplyDepth = commands.DefaultMaxReplyDepth

// liveBuffer: each live subscriber may lag this many updates behind
// before it is dropped (its client reconnects and reloads). How many may
// be open: slots.go.
const liveBuffer = 64

// readers is the state of the reader features beyond the base API: the
// CORS allow-list.
type readers struct {
	anyOrig bool
	origins map[string]bool
}

func newReaders(cfg *Config) *readers {
	if len(cfg.Secret) == 0 {
		cfg.Secret = make([]byte, 32)
		rand.Read(cfg.Secret) // never fails (crypto/rand)
		cfg.Logger.Warn("no --secret set: address hashes are keyed by a random key and differ between processes and restarts")
	}
	if cfg.MaxReplyDepth <= 0 {
		cfg.MaxReplyDepth = DefaultMaxReplyDepth
	}
	if cfg.EditWindow <= 0 {
		cfg.EditWindow = commands.DefaultEditWindow
	}
	rd := &readers{origins: make(map[string]bool)}
	for _, o := range cfg.AllowedOrigins {
		if o == "*" {
			rd.anyOrig = true
		}
		rd.origins[strings.ToLower(strings.TrimSuffix(o, "/"))] = true
	}
	return rd
}

// liveUpdate is one change of an article or of the moderation queue,
// encoded once for all of its subscribers.
type liveUpdate struct {
	seq     uint64
	comment string
	event   string // "comment", "removed", "settings", "queue"; "" when only watchers care
	data    []byte
	status  []byte // the comment's status, sent to streams watching it
}

// ArticleChanged feeds the readers' live streams with what the approved
// view's watcher saw (projections.ArticleCache calls it, in order): a
// comment shown or no longer shown. It returns at once when nobody follows
// the article.
func (s *Server) ArticleChanged(ch projections.ArticleChange) {
	if !s.live.Has(ch.Article) {
		return
	}
	u := liveUpdate{seq: ch.Seq, comment: ch.ID}
	if ch.Removed {
		u.event = "removed"
		u.data, _ = json.Marshal(map[string]string{"id": ch.ID})
	} else {
		u.event = "comment"
		u.data, _ = json.Marshal(toPublic(ch.Comment))
	}
	if ch.Comment.Status != "" {
		u.status, _ = json.Marshal(statusOf(ch.Comment))
	}
	if n := s.live.Publish(ch.Article, u); n > 0 {
		s.log.Info("slow live streams dropped", "article", ch.Article, "dropped", n)
	}
}

// readersChanged tells the readers who follow c's article of a change of
// its status the approved view does not carry: a decision or an edit that
// did not show or hide it (ArticleChanged tells those, status included).
func (s *Server) readersChanged(before, c projections.Comment) {
	if !s.live.Has(c.Article) || (c.Status == projections.Approved) != (before.Status == projections.Approved) {
		return
	}
	st := statusOf(c)
	if before.ID != "" && reflect.DeepEqual(statusOf(before), st) {
		return // nothing a reader sees changed
	}
	if before.ID == "" && c.Seq == c.SubmittedSeq {
		return // a new comment: its poster has its status from the POST
	}
	u := liveUpdate{seq: c.Seq, comment: c.ID}
	u.status, _ = json.Marshal(st)
	if n := s.live.Publish(c.Article, u); n > 0 {
		s.log.Info("slow live streams dropped", "article", c.Article, "dropped", n)
	}
}

func toPublic(c projections.Comment) publicComment {
	return publicComment{ID: c.ID, ParentID: c.ParentID, Author: c.Author, Text: c.Text, CreatedAt: c.CreatedAt, EditedAt: c.EditedAt, SignedIn: events.SignedIn(c.AuthorID)}
}

func statusOf(c projections.Comment) commentStatus {
	st := commentStatus{ID: c.ID, Article: c.Article, Status: string(c.Status), Reason: c.Reason, Message: c.Message, EditedAt: c.EditedAt}
	if c.Edit != nil {
		st.Edit = &editStatus{Status: string(c.Edit.Status), Reason: c.Edit.Reason, Message: c.Edit.Message}
	}
	return st
}

// allowedOrigin reports whether a browser page from origin may call the
// reader API.
func (rd *readers) allowedOrigin(origin string) bool {
	return origin != "" && (rd.anyOrig || rd.origins[strings.ToLower(origin)])
}

// Headers the widget sends cross-origin, checked in preflights.
var corsHeaders = map[string]bool{"content-type": true, "idempotency-key": true, "authorization": true, "last-event-id": true}

var varyOrigin = []string{"Origin"}

// cors lets the allowed origins read h's answers. Nothing else changes:
// the same-origin pages and non-browser clients are not affected.
func (s *Server) cors(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		if _, ok := hd["Vary"]; ok {
			hd.Add("Vary", "Origin")
		} else {
			hd["Vary"] = varyOrigin // shared, read-only: no allocation on the hot GET path
		}
		if o := r.Header.Get("Origin"); s.readers.allowedOrigin(o) {
			hd.Set("Access-Control-Allow-Origin", o)
			hd.Set("Access-Control-Expose-Headers", "Retry-After")
		} else if o != "" {
			s.refusedOrigin(r, o)
		}
		h.ServeHTTP(w, r)
	})
}

// handlePreflight answers CORS preflights of the reader API: allowed
// origins may GET and POST with the widget's headers. Credentials
// (cookies) are never allowed: sign-in travels in the Authorization
// header, which a page can only set if it holds the token.
func (s *Server) handlePreflight() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		o := r.Header.Get("Origin")
		m := r.Header.Get("Access-Control-Request-Method")
		ok := s.readers.allowedOrigin(o) && (m == "GET" || m == "POST")
		for h := range strings.SplitSeq(r.Header.Get("Access-Control-Request-Headers"), ",") {
			if h = strings.ToLower(strings.TrimSpace(h)); h != "" && !corsHeaders[h] {
				ok = false
			}
		}
		hd := w.Header()
		hd.Add("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
		if !ok {
			if !s.readers.allowedOrigin(o) {
				s.refusedOrigin(r, o)
			}
			s.writeError(w, r, &apiError{Status: http.StatusForbidden, Code: "origin_not_allowed", Message: "this origin may not call the API from a browser; see --allowed-origins"})
			return
		}
		hd.Set("Access-Control-Allow-Origin", o)
		hd.Set("Access-Control-Allow-Methods", "GET, POST")
		hd.Set("Access-Control-Allow-Headers", "Content-Type, Idempotency-Key, Authorization, Last-Event-ID")
		hd.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
	}
}
