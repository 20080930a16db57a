package web

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/newsroom/commentd/commands"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// Editing without JavaScript. The page's own post keeps the comment's
// edit_token (the proof the JSON API answers to whoever posted) in an
// HttpOnly cookie of this site: never in an address (it would leak
// through history and Referer) and out of reach of any script, the
// publisher's included. The article page offers an edit form on the
// reader's own comments while the edit window lasts, and the form goes
// through the same edit command as POST /api/comments/{id}/edit.

// editsCookie holds "id.token" pairs, joined by "_", newest last.
const editsCookie = "commentd_edits"

// maxPageEdits bounds the comments the cookie remembers: a reader rarely
// has more than a few inside one edit window.
const maxPageEdits = 8

var (
	editIDPattern    = regexp.MustCompile(`^[0-9a-f-]{36}$`)
	editTokenPattern = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// pageEdits are the edit tokens of the reader's comments, by comment id,
// from the cookie; anything malformed in it is dropped.
type pageEdits struct {
	ids    []string // in the cookie's order
	tokens map[string]string
}

func readPageEdits(r *http.Request) pageEdits {
	e := pageEdits{tokens: map[string]string{}}
	c, err := r.Cookie(editsCookie)
	if err != nil {
		return e
	}
	for pair := range strings.SplitSeq(c.Value, "_") {
		id, tok, ok := strings.Cut(pair, ".")
		if !ok || !editIDPattern.MatchString(id) || !editTokenPattern.MatchString(tok) || e.tokens[id] != "" {
			continue
		}
		e.ids = append(e.ids, id)
		e.tokens[id] = tok
	}
	return e
}

// editWindow is how long after posting a comment may be edited.
func (s *Server) editWindow() time.Duration {
	return cmp.Or(s.cfg.EditWindow, commands.DefaultEditWindow)
}

// rememberEdit adds a comment just posted from the page to the cookie.
// The cookie outlives the edit window by an hour, so an edit sent just
// after it is told the time passed, not that it is someone else's; past
// the window no token in it is worth anything.
func (s *Server) rememberEdit(w http.ResponseWriter, r *http.Request, id, token string) {
	if !editIDPattern.MatchString(id) || !editTokenPattern.MatchString(token) {
		return
	}
	e := readPageEdits(r)
	pairs := []string{}
	for _, old := range e.ids {
		if old != id {
			pairs = append(pairs, old+"."+e.tokens[old])
		}
	}
	pairs = append(pairs, id+"."+token)
	if len(pairs) > maxPageEdits {
		pairs = pairs[len(pairs)-maxPageEdits:]
	}
	http.SetCookie(w, &http.Cookie{Name: editsCookie, Value: strings.Join(pairs, "_"), Path: "/articles/",
		MaxAge: int((s.editWindow() + time.Hour) / time.Second), HttpOnly: true, Secure: s.cfg.CookieSecure, SameSite: http.SameSiteLaxMode})
}

// pageEdit is an edit form that is not a comment's own on the page: one
// given back with its error, or the one for the reader's comment just
// posted that readers do not see yet.
type pageEdit struct {
	ID, Text string
	// Open: the form comes back open (with an error).
	Open bool
	// Created is when the comment was posted, when known: the form says
	// until when it may be edited.
	Created time.Time
}

// editForm is what the edit-form template shows.
type editForm struct {
	Article, Query, ID, Text, Until string
	Open                            bool
	Error                           string // why the edit given back was refused
	T                               func(string, ...any) string
}

// EditForm is the edit form of comment id (with text, its current text
// or what the reader typed), for the template.
func (p articlePage) EditForm(id, text string, open bool, created time.Time) editForm {
	f := editForm{Article: p.Article, Query: p.Query, ID: id, Text: text, Open: open, T: p.T}
	if !created.IsZero() {
		f.Until = p.Date(created.Add(p.editWindow))
	}
	if n := p.Notice; open && n != nil && n.Bad && n.For == id {
		f.Error = n.Text
	}
	return f
}

// markEditable offers the edit form on the reader's comments that may
// still be edited, and places the form ed (given back, or for a comment
// just posted) on its comment or above the comment form.
func (p *articlePage) markEditable(edits pageEdits, window time.Duration, now time.Time, ed pageEdit) {
	p.editWindow = window
	for i := range p.Comments {
		c := &p.Comments[i]
		if c.ID == ed.ID {
			c.CanEdit, c.EditOpen, c.EditText = true, ed.Open, ed.Text
			continue
		}
		c.CanEdit = edits.tokens[c.ID] != "" && now.Before(c.CreatedAt.Add(window)) && commands.Editable(c.Comment)
	}
	if ed.ID != "" && !slices.ContainsFunc(p.Comments, func(c pageComment) bool { return c.ID == ed.ID }) {
		p.EditTop = &ed
	}
}

// postedEdit is the edit form for the comment id the reader just posted
// from this browser, when readers do not see it yet (it waits for a
// moderator or the rules) and it may still be edited; ok is false
// otherwise. A published one has its form on the page.
func (s *Server) postedEdit(ctx context.Context, edits pageEdits, id string) (pageEdit, bool) {
	if edits.tokens[id] == "" {
		return pageEdit{}, false
	}
	c, found, err := s.comment(ctx, id)
	if err != nil || !found || c.Status == projections.Approved || !commands.Editable(c.Comment) ||
		!time.Now().Before(c.CreatedAt.Add(s.editWindow())) {
		return pageEdit{}, false
	}
	return pageEdit{ID: id, Text: c.Text, Created: c.CreatedAt}, true
}

// editMessages say the edit command's refusals to a reader, by code.
var editMessages = map[string]string{
	"not_your_comment":   "Only its author can edit this comment, from the browser it was posted from.",
	"edit_window_passed": "The time to edit this comment has passed.",
	"not_editable":       "This comment cannot be edited now: it was not published, or a moderator is reviewing it or your last edit.",
	"not_found":          "This comment is no longer shown.",
	"missing_field":      "The comment is empty.",
	"too_long":           "The comment is too long.",
}

// handleArticleEdit takes the page's edit form: the edit command with the
// token the cookie kept, then back to the comment with what became of
// the edit, or the form again with the error.
func (s *Server) handleArticleEdit() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		article := r.PathValue("article")
		if !events.ValidArticleID(article) {
			http.Error(w, "There is no article with that address.", http.StatusNotFound)
			return
		}
		lang := readerLang(r)
		tooBig := tooLarge(r, MaxBodyBytes)
		if !tooBig {
			r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		}
		if tooBig || r.ParseForm() != nil {
			s.renderArticleEdit(w, r, http.StatusRequestEntityTooLarge, article, &notice{Text: tr(lang, "The comment is too long."), Bad: true}, pageEdit{})
			return
		}
		id, text := r.PostForm.Get("comment_id"), r.PostForm.Get("text")
		res, err := s.edit(r, id, editRequest{Text: text, EditToken: readPageEdits(r).tokens[id]})
		if err != nil {
			ae := s.apiErrorOf(r, err) // logs what is the server's fault
			msg := ae.Message
			if m, ok := editMessages[ae.Code]; ok {
				msg = tr(lang, m)
			} else if ae.Status >= 500 {
				msg = tr(lang, "We could not save your edit just now. Please try again.")
			}
			s.renderArticleEdit(w, r, ae.Status, article, &notice{Text: msg, Bad: true, For: id}, pageEdit{ID: id, Text: text, Open: true})
			return
		}
		// The notice waits for the decision on the edit, after its event;
		// the same text again is no new edit, and the comment's state is
		// the answer.
		var seq uint64
		if res.Stored {
			seq = res.Comment.Seq
		}
		to := "/articles/" + article + "?edited=" + url.QueryEscape(id) + "&seq=" + strconv.FormatUint(seq, 10)
		http.Redirect(w, r, to+"#status", http.StatusSeeOther)
	}
}

// editedNotice tells the author what became of their edit, whose event
// is at seq: it waits briefly for the decision on it, as postedNotice
// waits for a submission's.
func (s *Server) editedNotice(ctx context.Context, lang, id string, seq uint64) *notice {
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	for {
		c, ok, err := s.comment(ctx, id)
		if err != nil && ctx.Err() == nil {
			return nil
		}
		if ok && c.Seq > seq {
			switch {
			case c.Status == projections.Approved && c.Edit == nil:
				return &notice{Text: tr(lang, "Your edit is published.")}
			case c.Status == projections.Approved && c.Edit != nil && c.Edit.Status == projections.Rejected:
				return &notice{Text: tr(lang, "Your edit was not published; readers see the earlier text."), Bad: true}
			case c.Status == projections.Approved && c.Edit != nil && c.Edit.Status == projections.Held:
				return &notice{Text: tr(lang, "Your edit is awaiting review; readers see the published text until then.")}
			case c.Status == projections.Held:
				return &notice{Text: tr(lang, "Your edit is awaiting review.")}
			case c.Status == projections.Rejected:
				return &notice{Text: rejectionText(lang, c.Reason, c.Message), Bad: true}
			}
		}
		select {
		case <-ctx.Done():
			return &notice{Text: tr(lang, "Your edit is awaiting review.")}
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// EditBase is the text the comment's edit form starts from: what the
// reader typed (given back), their edit that waits, or the comment's.
func (c pageComment) EditBase() string {
	switch {
	case c.EditOpen:
		return c.EditText
	case c.Edit != nil && c.Edit.Status == projections.Pending:
		return c.Edit.Text
	}
	return c.Text
}
