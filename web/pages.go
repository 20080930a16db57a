package web

import (
	"bytes"
	"cmp"
	"context"
	_ "embed"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
	// For is the comment the notice is about (a reply's parent, a
	// reported comment): it is shown there, near the thread, when that
	// comment is on the page, and above the form otherwise.
	For string
}

// reportReasons are the reasons a reader may report for, as the page
// says them (the widget's list in static/embed.js says the same).
var reportReasons = []struct{ Code, Label string }{
	{"offensive", "Offensive"}, {"abusive", "Abusive or harassing"}, {"spam", "Spam or advertising"},
	{"off-topic", "Off topic"}, {"personal-information", "Shares personal information"}, {"other", "Something else"},
}

// nameCookie remembers the name a reader posted under, for the page's
// forms (the widget keeps it in localStorage).
const nameCookie = "commentd_name"

func readerName(r *http.Request) string {
	c, err := r.Cookie(nameCookie)
	if err != nil {
		return ""
	}
	name, err := url.QueryUnescape(c.Value)
	if err != nil || !utf8.ValidString(name) || utf8.RuneCountInString(name) > 80 {
		return ""
	}
	return name
}

// rememberName: Secure by --cookie-secure, as the session cookie, never by
// a request's headers.
func (s *Server) rememberName(w http.ResponseWriter, name string) {
	if name == "" || utf8.RuneCountInString(name) > 80 {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: nameCookie, Value: url.QueryEscape(name), Path: "/articles/",
		MaxAge: 365 * 24 * 3600, HttpOnly: true, Secure: s.cfg.CookieSecure, SameSite: http.SameSiteLaxMode})
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
	// Name is the name the reader last posted under, for the forms.
	Name string
	// Notify: the forms offer an e-mail field (notifications are on).
	Notify bool
	// Lang is the reader's language ("en", "ru"); T translates a string
	// of the catalogue into it (messages.go), Date writes a time in it.
	Lang    string
	Count   string // "N comments", with the language's plural
	T       func(string, ...any) string
	Date    func(time.Time) string
	Reasons []struct{ Code, Label string }
	// EditTop is an edit form of the reader's that has no comment on
	// the page (pageedits.go).
	EditTop    *pageEdit
	editWindow time.Duration
}

// pageComment is a comment as the page shows it.
type pageComment struct {
	projections.ThreadComment
	Indent    int // visual depth, capped so deep threads stay readable on a phone
	CanReply  bool
	ReplyOpen bool // the reply form comes back open, with an error
	// CanEdit: the reader wrote it from this browser and may still edit
	// it; EditOpen, the edit form comes back open with EditText.
	CanEdit  bool
	EditOpen bool
	EditText string
}

// SignedIn: the page marks signed-in readers, whose name an anonymous
// reader cannot take.
func (c pageComment) SignedIn() bool { return events.SignedIn(c.AuthorID) }

// HTML is the comment's text with its links clickable (links.go).
func (c pageComment) HTML() template.HTML { return linkText(c.Text) }

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
		var ed pageEdit
		q := r.URL.Query()
		if id := q.Get("posted"); id != "" {
			if n = s.postedNotice(r.Context(), readerLang(r), id); n != nil {
				n.For = q.Get("reply_to")
			}
			ed, _ = s.postedEdit(r.Context(), readPageEdits(r), id)
		} else if id := q.Get("reported"); id != "" {
			n = &notice{Text: tr(readerLang(r), "Thank you. A moderator will look at the comment."), For: id}
		} else if id := q.Get("edited"); id != "" {
			seq, _ := strconv.ParseUint(q.Get("seq"), 10, 64)
			if n = s.editedNotice(r.Context(), readerLang(r), id, seq); n != nil {
				n.For = id
			}
			ed, _ = s.postedEdit(r.Context(), readPageEdits(r), id)
		}
		s.renderArticleEdit(w, r, http.StatusOK, article, n, ed)
	}
}

// articleQuery is what selects an article page: the article, and the
// page's cursor and order.
type articleQuery struct {
	article string
	after   uint64
	newest  bool
	lang    string // the reader's: "en" or "ru"
}

// articleStamp is what an article page is built from besides its
// comments' immutable fields: the approved view's version, and the
// settings, which the version does not follow.
type articleStamp struct {
	version  uint64
	settings events.ArticleSettings
}

// Bounds of the cache of article pages. A page of 20 threads can be
// large, so the cache is bounded in bytes as well as in pages.
const (
	maxCachedArticles     = 2000
	maxCachedArticleBytes = 64 << 20
)

func newArticleCache() *viewCache[articleQuery, articleStamp, [][]byte] {
	return newViewCache[articleQuery, articleStamp](maxCachedArticles, maxCachedArticleBytes, func(parts [][]byte) int {
		n := 0
		for _, p := range parts {
			n += len(p)
		}
		return n
	})
}

// keyMark stands in for the idempotency key in a cached article page. It
// is random, never sent, and left alone by HTML escaping, so it can only
// be where the template put the key.
var keyMark = []byte(uuid.NewString())

func (s *Server) renderArticle(w http.ResponseWriter, r *http.Request, status int, article string, n *notice, form newComment) {
	s.renderArticlePage(w, r, status, article, n, form, pageEdit{})
}

// renderArticleEdit renders the article page with an edit form of the
// reader's (pageedits.go).
func (s *Server) renderArticleEdit(w http.ResponseWriter, r *http.Request, status int, article string, n *notice, ed pageEdit) {
	s.renderArticlePage(w, r, status, article, n, newComment{}, ed)
}

func (s *Server) renderArticlePage(w http.ResponseWriter, r *http.Request, status int, article string, n *notice, form newComment, ed pageEdit) {
	q := r.URL.Query()
	aq := articleQuery{article: article, newest: q.Get("sort") == "newest", lang: readerLang(r)}
	if c := q.Get("cursor"); c != "" {
		aq.after, _ = strconv.ParseUint(c, 36, 64)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Add("Vary", "Accept-Language")
	h.Set("Content-Language", aq.lang)
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'")
	version, err := s.cfg.Articles.ArticleVersion(r.Context(), article)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	stamp := articleStamp{version, s.cfg.Views.ArticleSettings(article)}
	name := readerName(r)
	edits := readPageEdits(r)
	// Kept are the pages every reader opens: first pages of articles with
	// comments. A notice or a form given back is one reader's; later
	// pages, and articles nobody commented on (any id is an article), are
	// what a client walking cursors or ids would fill the cache with.
	// A reader whose name is remembered, or who may edit a comment, gets
	// a page of their own too.
	if n != nil || form != (newComment{}) || name != "" || len(edits.ids) > 0 || ed != (pageEdit{}) || status != http.StatusOK || aq.after != 0 || stamp.version == 0 {
		data, err := s.articleData(r.Context(), aq, stamp.settings, n, form, uuid.NewString())
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		data.markEditable(edits, s.editWindow(), time.Now(), ed)
		w.WriteHeader(status)
		data.Name = name
		if err := articleTemplate.Execute(w, data); err != nil {
			s.log.Error("render article page", "article", article, "err", err)
		}
		return
	}
	// Every reader gets the same page but for the key of its forms, which
	// must be their own: keys are scoped to the author's name, so two
	// anonymous readers of one name sharing a key would collide (one
	// comment, or a 422 for the second).
	parts, ok := s.articles.get(aq, stamp)
	if !ok {
		var buf bytes.Buffer
		data, err := s.articleData(r.Context(), aq, stamp.settings, nil, form, string(keyMark))
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		if err := articleTemplate.Execute(&buf, data); err != nil {
			s.log.Error("render article page", "article", article, "err", err)
			http.Error(w, "The page could not be shown; please try again.", http.StatusInternalServerError)
			return
		}
		// Stamped with what was read before the build: if the view moved
		// meanwhile, the page is newer than its stamp and merely rebuilt.
		parts = bytes.Split(buf.Bytes(), keyMark)
		s.articles.put(aq, stamp, parts)
	}
	key := uuid.NewString()
	size := len(key) * (len(parts) - 1)
	for _, p := range parts {
		size += len(p)
	}
	h.Set("Content-Length", strconv.Itoa(size))
	w.WriteHeader(status)
	for i, p := range parts {
		if i > 0 {
			io.WriteString(w, key)
		}
		if _, err := w.Write(p); err != nil {
			return // the reader left
		}
	}
}

// articleData is what the article template shows: a page of threads, the
// settings, and the reader's notice, form and idempotency key.
func (s *Server) articleData(ctx context.Context, q articleQuery, settings events.ArticleSettings, n *notice, form newComment, key string) (articlePage, error) {
	page, err := s.cfg.Articles.Threads(ctx, q.article, q.after, threadsPerPage, q.newest)
	if err != nil {
		return articlePage{}, err
	}
	title, paras := articleContent(q.article)
	data := articlePage{
		Article: q.article, Title: title, Paragraphs: paras, Total: page.Total, Threads: page.Threads,
		Newest: q.newest, Notice: n, Form: form, Closed: settings.Closed, Premoderated: settings.Premoderated,
		Comments: make([]pageComment, len(page.Comments)), Key: key, Reasons: reportReasons, Notify: s.cfg.Notify != nil,
		Lang: q.lang, Count: commentsCount(q.lang, page.Total),
		T:    func(en string, args ...any) string { return tr(q.lang, en, args...) },
		Date: func(t time.Time) string { return dateIn(q.lang, t) },
	}
	if q.article != DemoArticle {
		data.Title = tr(q.lang, "Comments on %s", q.article)
	}
	keep := url.Values{}
	if q.newest {
		keep.Set("sort", "newest")
	}
	if q.after != 0 {
		keep.Set("cursor", strconv.FormatUint(q.after, 36))
	}
	if len(keep) > 0 {
		data.Query = "?" + keep.Encode()
	}
	for i, c := range page.Comments {
		data.Comments[i] = pageComment{
			ThreadComment: c, Indent: min(c.Depth, 5),
			// The depth limit counts every ancestor, shown or not.
			CanReply:  !settings.Closed && c.ReplyDepth < s.cfg.MaxReplyDepth,
			ReplyOpen: form.ParentID == c.ID,
		}
	}
	if !slices.ContainsFunc(data.Comments, func(c pageComment) bool { return c.ReplyOpen }) {
		data.Form.ParentID = "" // its comment is not on this page: the notice goes on top
	}
	if n != nil && n.For != "" && !slices.ContainsFunc(data.Comments, func(c pageComment) bool { return c.ID == n.For }) {
		top := *n
		top.For = ""
		data.Notice = &top
	}
	if page.Next != 0 {
		data.Next = strconv.FormatUint(page.Next, 36)
	}
	return data, nil
}

// pageError answers a reader's page that the views could not build (not
// loaded yet, NATS unreachable) with the status the API would give.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	ae := s.apiErrorOf(r, err)
	if ae.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	http.Error(w, "The page could not be shown; please try again.", ae.Status)
}

// reasonWords say a moderator's reason code to a comment's author when
// no message came with it.
var reasonWords = map[string]string{
	"offensive":            "Your comment was not published because it was found offensive.",
	"abusive":              "Your comment was not published because it was found abusive.",
	"spam":                 "Your comment was not published because it looks like spam or advertising.",
	"off-topic":            "Your comment was not published because it is off topic.",
	"personal-information": "Your comment was not published because it shares personal information.",
}

// rejectionText is what the author of a rejected comment reads: the
// message of the rule or the moderator, said once: a message that says
// "not published" itself (the rules' do) is shown as it is, any other is
// introduced by that sentence; without a message, the reason in words.
func rejectionText(lang, reason, message string) string {
	if message != "" {
		if m := strings.ToLower(message); strings.Contains(m, "not published") || strings.Contains(m, "не опубликован") {
			return message
		}
		return tr(lang, "Your comment was not published. %s", message)
	}
	if w, ok := reasonWords[reason]; ok {
		return tr(lang, w)
	}
	return tr(lang, "Your comment was not published.")
}

// postedNotice tells the author what became of the comment just posted.
// The rules usually decide within milliseconds, so it waits briefly for
// the decision before saying the comment awaits review.
func (s *Server) postedNotice(ctx context.Context, lang, id string) *notice {
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	for {
		st, err := s.status(ctx, id)
		if err != nil && ctx.Err() != nil {
			break // the wait ended during a read of the view
		}
		if err != nil {
			return nil
		}
		switch projections.Status(st.Status) {
		case projections.Approved:
			return &notice{Text: tr(lang, "Thank you. Your comment is published.")}
		case projections.Rejected:
			return &notice{Text: rejectionText(lang, st.Reason, st.Message), Bad: true}
		case projections.Held:
			return &notice{Text: tr(lang, "Thank you. %s", cmp.Or(st.Message, tr(lang, "Your comment is awaiting review by a moderator.")))}
		}
		select {
		case <-ctx.Done():
			return &notice{Text: tr(lang, "Thank you. Your comment is awaiting review.")}
		case <-time.After(10 * time.Millisecond):
		}
	}
	return &notice{Text: tr(lang, "Thank you. Your comment is awaiting review.")}
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
		// Checked before r.Body is wrapped: net/http closes the connection
		// after a refusal only while the body it gave is unread.
		tooBig := tooLarge(r, MaxBodyBytes)
		if !tooBig {
			r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		}
		if tooBig || r.ParseForm() != nil {
			s.renderArticle(w, r, http.StatusRequestEntityTooLarge, article, &notice{Text: tr(readerLang(r), "The comment is too long."), Bad: true}, newComment{})
			return
		}
		in := newComment{Author: r.PostForm.Get("author"), Text: r.PostForm.Get("text"), ParentID: r.PostForm.Get("parent_id"), Email: r.PostForm.Get("email")}
		res, err := s.submit(r.Context(), r, article, in, r.PostForm.Get("idempotency_key"))
		if err != nil {
			ae := s.apiErrorOf(r, err) // logs what is the server's fault
			text := ae.Message
			if ae.Status >= 500 {
				text = tr(readerLang(r), "We could not take your comment just now. Please try again.")
			}
			s.renderArticle(w, r, ae.Status, article, &notice{Text: text, Bad: true}, in)
			return
		}
		s.rememberName(w, events.CleanName(in.Author))
		s.rememberEdit(w, r, res.ID, res.EditToken)
		to := "/articles/" + article + "?posted=" + url.QueryEscape(res.ID)
		if in.ParentID != "" {
			to += "&reply_to=" + url.QueryEscape(in.ParentID)
		}
		http.Redirect(w, r, to+"#status", http.StatusSeeOther)
	}
}

// handleArticleReport takes the page's report form (no JavaScript
// needed): the same report as POST /api/comments/{id}/reports, then back
// to the comment with the thanks under it.
func (s *Server) handleArticleReport() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		article := r.PathValue("article")
		if !events.ValidArticleID(article) {
			http.Error(w, "There is no article with that address.", http.StatusNotFound)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
		if r.ParseForm() != nil {
			s.renderArticle(w, r, http.StatusBadRequest, article, &notice{Text: tr(readerLang(r), "The report could not be read."), Bad: true}, newComment{})
			return
		}
		id := r.PostForm.Get("comment_id")
		if _, err := s.report(r, id, r.PostForm.Get("reason")); err != nil {
			ae := s.apiErrorOf(r, err)
			text := ae.Message
			switch {
			case ae.Code == "invalid_reason":
				text = "Please choose a reason for the report."
			case ae.Status == http.StatusNotFound:
				text = "This comment is no longer shown."
			case ae.Status == http.StatusTooManyRequests:
				w.Header().Set("Retry-After", strconv.Itoa(ae.retryAfter))
				text = "Too many reports from here just now; please try again later."
			}
			s.renderArticle(w, r, ae.Status, article, &notice{Text: tr(readerLang(r), text), Bad: true, For: id}, newComment{})
			return
		}
		http.Redirect(w, r, "/articles/"+article+"?reported="+url.QueryEscape(id)+"#status", http.StatusSeeOther)
	}
}
