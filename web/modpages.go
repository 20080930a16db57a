package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// The moderation UI's pages beyond the queues: one comment with its whole
// history (where a decision is undone, or a published comment removed),
// and one article (its settings, and its published comments as readers
// get them from the reader API, each removable).

// uiEvent is one event of a comment's history as the comment page shows it.
type uiEvent struct {
	events.Envelope
	Decision events.Decision
	Reported events.Reported
	Edited   events.Edited // a CommentEdited's new text
	Human    bool
	// Undoes is the time of the decision this event undoes, when it is an
	// undo (its cause is an earlier decision of the same comment).
	Undoes time.Time
}

type commentPage struct {
	modPage
	Comment     projections.Comment
	History     []uiEvent
	Segments    []segment
	Undoable    bool // the last event is a moderator's decision
	ArticleName string
}

func (s *Server) handleCommentPage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		st, err := s.cmd.State(r.Context(), r.PathValue("id"))
		if err != nil {
			ae := s.apiErrorOf(r, err)
			if ae.Status == http.StatusNotFound {
				s.renderMessage(w, r, http.StatusNotFound, "Not found", "No such comment.")
				return
			}
			s.renderMessage(w, r, ae.Status, "Something went wrong", ae.Message)
			return
		}
		c := st.Comment
		pg := commentPage{modPage: s.modPage(r, pageI18n(r).T("Comment by %s", c.Author)), Comment: c, Segments: highlight(c.Text, c.Evidence)}
		pg.Page, pg.Reasons, pg.Counts = "comment", ReasonCodes, counts(s.cfg.Views.QueueCounts(""))
		pg.ArticleName, _ = articleContent(c.Article)
		byID := map[string]time.Time{}
		for _, e := range st.History {
			u := uiEvent{Envelope: e, Human: events.IsHuman(e.Actor)}
			switch {
			case e.Type.IsDecision():
				_ = e.Payload(&u.Decision)
				if at, ok := byID[e.CausationID]; ok {
					u.Undoes = at
				}
				byID[e.ID] = e.OccurredAt
			case e.Type == events.CommentReported:
				_ = e.Payload(&u.Reported)
			case e.Type == events.CommentEdited:
				_ = e.Payload(&u.Edited)
			}
			pg.History = append(pg.History, u)
		}
		if n := len(st.History); n > 0 {
			last := st.History[n-1]
			pg.Undoable = last.Type.IsDecision() && events.IsHuman(last.Actor) && last.Seq == c.Seq
		}
		s.render(w, http.StatusOK, "comment", pg)
	}
}

type articleModPage struct {
	modPage
	ArticleName string
	Settings    events.ArticleSettings
}

// handleArticlesPage asks which article to open.
func (s *Server) handleArticlesPage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a := strings.TrimSpace(r.URL.Query().Get("article")); a != "" {
			if !events.ValidArticleID(a) {
				s.renderMessage(w, r, http.StatusBadRequest, "Bad request", "An article id is 1 to 128 of A–Z, a–z, 0–9, “-” and “_”.")
				return
			}
			http.Redirect(w, r, "/moderation/articles/"+url.PathEscape(a), http.StatusSeeOther)
			return
		}
		pg := articleModPage{modPage: s.modPage(r, pageI18n(r).T("Articles"))}
		pg.Page, pg.Counts = "articles", counts(s.cfg.Views.QueueCounts(""))
		s.render(w, http.StatusOK, "articles", pg)
	}
}

func (s *Server) handleArticleModPage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a := r.PathValue("article")
		if !events.ValidArticleID(a) {
			s.renderMessage(w, r, http.StatusBadRequest, "Bad request", "An article id is 1 to 128 of A–Z, a–z, 0–9, “-” and “_”.")
			return
		}
		name, _ := articleContent(a)
		pg := articleModPage{modPage: s.modPage(r, name), ArticleName: name, Settings: s.cfg.Views.ArticleSettings(a)}
		pg.Page, pg.Article, pg.Reasons, pg.Counts = "articles", a, ReasonCodes, counts(s.cfg.Views.QueueCounts(a))
		s.render(w, http.StatusOK, "article", pg)
	}
}
