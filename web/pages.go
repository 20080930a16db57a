package web

import (
	"context"
	_ "embed"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// DemoArticle is the article served at once on a fresh install.
const DemoArticle = "lavrov-kerry-talks"

//go:embed content/demo-article.txt
var demoArticleText string

//go:embed templates/article.html
var articleHTML string

var articleTemplate = template.Must(template.New("article").Parse(articleHTML))

type notice struct {
	Text string
	Bad  bool
}

type articlePage struct {
	Article    string
	Title      string
	Paragraphs []string
	Total      int // approved comments
	Threads    int
	Comments   []pageComment
	Next       string
	Newest     bool
	Query      string // the page's sort and cursor, kept across form posts
	Notice     *notice
	// Form is what the reader typed, given back with an error; its
	// ParentID says which form (the main one, or a reply form) it was.
	Form         newComment
	Closed       bool
	Premoderated bool
	// Key is this rendering's idempotency key: a form posted twice (a
	// double click, a resend) makes one comment.
	Key string
}

// pageComment is a comment as the page shows it.
type pageComment struct {
	projections.ThreadComment
	Indent    int // visual depth, capped so deep threads stay readable on a phone
	CanReply  bool
	ReplyOpen bool // the reply form comes back open, with an error
}

// threadsPerPage: the page shows whole threads, this many at a time.
const threadsPerPage = 20

func (s *Server) handleIndex() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/articles/"+DemoArticle, http.StatusFound)
	}
}

// articleContent is the title and paragraphs of an article. The product
// does not host articles; for any but the demo it shows the comments alone.
func articleContent(id string) (string, []string) {
	if id != DemoArticle {
		return "Comments on " + id, nil
	}
	title, body, _ := strings.Cut(demoArticleText, "\n")
	body, _, _ = strings.Cut(body, "Leave a comment")
	var paras []string
	for p := range strings.SplitSeq(body, "\n") {
		if p = strings.TrimSpace(p); p != "" {
			paras = append(paras, p)
		}
	}
	return strings.TrimSpace(title), paras
}

func (s *Server) handleArticlePage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		article := r.PathValue("article")
		if !events.ValidArticleID(article) {
			http.Error(w, "There is no article with that address.", http.StatusNotFound)
			return
		}
		var n *notice
		if id := r.URL.Query().Get("posted"); id != "" {
			n = s.postedNotice(r.Context(), id)
		}
		s.renderArticle(w, r, http.StatusOK, article, n, newComment{})
	}
}

func (s *Server) renderArticle(w http.ResponseWriter, r *http.Request, status int, article string, n *notice, form newComment) {
	q := r.URL.Query()
	var after uint64
	if c := q.Get("cursor"); c != "" {
		after, _ = strconv.ParseUint(c, 36, 64)
	}
	newest := q.Get("sort") == "newest"
	page := s.cfg.Views.Threads(article, after, threadsPerPage, newest)
	settings := s.cfg.Views.ArticleSettings(article)
	title, paras := articleContent(article)
	data := articlePage{
		Article: article, Title: title, Paragraphs: paras, Total: page.Total, Threads: page.Threads,
		Newest: newest, Notice: n, Form: form, Closed: settings.Closed, Premoderated: settings.Premoderated,
		Comments: make([]pageComment, len(page.Comments)), Key: uuid.NewString(),
	}
	keep := url.Values{}
	if newest {
		keep.Set("sort", "newest")
	}
	if after != 0 {
		keep.Set("cursor", strconv.FormatUint(after, 36))
	}
	if len(keep) > 0 {
		data.Query = "?" + keep.Encode()
	}
	for i, c := range page.Comments {
		data.Comments[i] = pageComment{
			ThreadComment: c, Indent: min(c.Depth, 5),
			// The depth limit counts every ancestor, shown or not.
			CanReply:  !settings.Closed && s.cfg.Views.Depth(c.ID) < s.cfg.MaxReplyDepth,
			ReplyOpen: form.ParentID == c.ID,
		}
	}
	if !slices.ContainsFunc(data.Comments, func(c pageComment) bool { return c.ReplyOpen }) {
		data.Form.ParentID = "" // its comment is not on this page: the notice goes on top
	}
	if page.Next != 0 {
		data.Next = strconv.FormatUint(page.Next, 36)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'")
	w.WriteHeader(status)
	if err := articleTemplate.Execute(w, data); err != nil {
		s.log.Error("render article page", "article", article, "err", err)
	}
}

// postedNotice tells the author what became of the comment just posted.
// The rules usually decide within milliseconds, so it waits briefly for
// the decision before saying the comment awaits review.
func (s *Server) postedNotice(ctx context.Context, id string) *notice {
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	for {
		st, err := s.status(ctx, id)
		if err != nil {
			return nil
		}
		switch projections.Status(st.Status) {
		case projections.Approved:
			return &notice{Text: "Thank you. Your comment is published."}
		case projections.Rejected:
			reason := st.Message
			if reason == "" {
				reason = st.Reason
			}
			msg := "Your comment was not published."
			if reason != "" {
				msg = "Your comment was not published: " + reason
			}
			return &notice{Text: msg, Bad: true}
		case projections.Held:
			return &notice{Text: "Thank you. Your comment is awaiting review by a moderator."}
		}
		select {
		case <-ctx.Done():
			return &notice{Text: "Thank you. Your comment is awaiting review."}
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// handleArticleForm takes the page's form (no JavaScript needed) and
// answers with post/redirect/get, or the form again with the error.
func (s *Server) handleArticleForm() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		article := r.PathValue("article")
		if !events.ValidArticleID(article) {
			http.Error(w, "There is no article with that address.", http.StatusNotFound)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		if err := r.ParseForm(); err != nil {
			s.renderArticle(w, r, http.StatusRequestEntityTooLarge, article, &notice{Text: "The comment is too long.", Bad: true}, newComment{})
			return
		}
		in := newComment{Author: r.PostForm.Get("author"), Text: r.PostForm.Get("text"), ParentID: r.PostForm.Get("parent_id")}
		res, err := s.submit(r.Context(), r, article, in, r.PostForm.Get("idempotency_key"))
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) {
				s.log.Error("form post failed", "article", article, "err", err)
				ae = &apiError{Status: http.StatusServiceUnavailable, Message: "We could not take your comment just now. Please try again."}
			}
			s.metrics.rejected(ae.Code)
			s.renderArticle(w, r, ae.Status, article, &notice{Text: ae.Message, Bad: true}, in)
			return
		}
		http.Redirect(w, r, "/articles/"+article+"?posted="+url.QueryEscape(res.ID)+"#status", http.StatusSeeOther)
	}
}
