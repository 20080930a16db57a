package web

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/newsroom/commentd/accounts"
	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// The moderation UI: server-rendered pages (html/template escapes every
// comment, name and reason wherever it appears), one script and one style
// sheet embedded in the binary, under a CSP that allows no inline script,
// no inline style and no other origin.

//go:embed templates/moderation_*.html
var modTemplateFS embed.FS

//go:embed assets
var modAssets embed.FS

var modTemplates = template.Must(template.New("moderation").Funcs(template.FuncMap{
	"inc":       func(i int) int { return i + 1 },
	"percent":   func(f float64) string { return strconv.Itoa(int(f*100+0.5)) + "%" },
	"authorURL": func(id string) string { return "/moderation/authors/" + url.PathEscape(id) },
	"join":      strings.Join,
}).ParseFS(modTemplateFS, "templates/moderation_*.html"))

const modCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

type viewer struct {
	Name  string
	Role  accounts.Role
	Actor string
}

type modPage struct {
	i18n
	Title   string
	CSRF    string
	Me      viewer
	Page    string // which page: held, reported, author, …
	Queue   projections.Queue
	Article string
	Counts  map[string]int
	Items   []uiItem
	Next    string
	More    string      // the next page's address
	Search  *searchPage // the search screens
	Reasons []string
	Record  projections.AuthorRecord
	// Now is when the page was made: a timed ban that ended before it
	// shows as no ban.
	Now time.Time
}

// uiItem is a queue item as the UI shows it.
type uiItem struct {
	projections.QueueItem
	Segments []segment
	// EditSegments: the author's edit of the published comment, held for
	// a moderator (the decision is the edit's).
	EditSegments  []segment
	ArticleTitle  string
	Parent        *projections.Comment
	ReportReasons []reasonCount
}

type reasonCount struct {
	Reason string
	N      int
}

// segment is a run of a comment's text, marked when a rule matched it.
type segment struct {
	Text string
	Mark bool
	Rule string
}

// highlight splits text at the evidence spans (byte offsets into the
// stored text). Spans that overlap an earlier one, fall outside the text
// or cut a character in two are left unmarked rather than trusted.
func highlight(text string, evidence []events.Evidence) []segment {
	ev := slices.SortedFunc(slices.Values(evidence), func(a, b events.Evidence) int { return cmp.Compare(a.Start, b.Start) })
	var out []segment
	at := 0
	for _, e := range ev {
		if e.Start < at || e.End > len(text) || e.Start >= e.End ||
			!utf8.RuneStart(text[e.Start]) || e.End < len(text) && !utf8.RuneStart(text[e.End]) {
			continue
		}
		if e.Start > at {
			out = append(out, segment{Text: text[at:e.Start]})
		}
		out = append(out, segment{Text: text[e.Start:e.End], Mark: true, Rule: e.Rule})
		at = e.End
	}
	if at < len(text) {
		out = append(out, segment{Text: text[at:]})
	}
	return out
}

func (s *Server) uiItem(ctx context.Context, it projections.QueueItem) uiItem {
	u := uiItem{QueueItem: it, Segments: highlight(it.Text, it.Evidence)}
	if it.Edit != nil && it.AwaitsModerator() && it.Status == projections.Approved {
		u.EditSegments = highlight(it.Edit.Text, it.Edit.Evidence)
	}
	u.ArticleTitle, _ = articleContent(it.Article)
	if it.ParentID != "" {
		// The parent's text beside the reply; without it (the view did not
		// answer) the reply alone.
		if p, ok, err := s.comment(ctx, it.ParentID); ok {
			u.Parent = &p.Comment
		} else if err != nil {
			s.log.Warn("parent of a queued reply not read", "comment", it.ID, "err", err)
		}
	}
	for r, n := range it.Reports.Reasons {
		u.ReportReasons = append(u.ReportReasons, reasonCount{r, n})
	}
	slices.SortFunc(u.ReportReasons, func(a, b reasonCount) int { return cmp.Or(b.N-a.N, strings.Compare(a.Reason, b.Reason)) })
	return u
}

func (s *Server) modPage(r *http.Request, title string) modPage {
	p := principalOf(r.Context())
	pg := modPage{i18n: pageI18n(r), Title: title, Me: viewer{Name: p.Name, Role: p.Role, Actor: p.Actor}, Reasons: ReasonCodes, Queue: projections.QueueHeld, Now: time.Now()}
	if p.Session != nil {
		pg.CSRF = p.Session.CSRF
	}
	return pg
}

func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", modCSP)
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Add("Vary", "Accept-Language, Cookie")
	if l, ok := data.(interface{ lang() string }); ok {
		h.Set("Content-Language", l.lang())
	}
	w.WriteHeader(status)
	if err := modTemplates.ExecuteTemplate(w, name, data); err != nil {
		s.log.Error("render moderation page", "template", name, "err", err)
	}
}

type messagePage struct {
	i18n
	Title, Text, CSRF string
}

// renderMessage renders a page that says one thing; title and text are
// catalogue strings, translated here.
func (s *Server) renderMessage(w http.ResponseWriter, r *http.Request, status int, title, text string) {
	l := pageI18n(r)
	s.render(w, status, "message", messagePage{i18n: l, Title: l.T(title), Text: l.T(text)})
}

// renderFailure renders the page of a request that failed: what the API
// would answer, as a page with its status.
func (s *Server) renderFailure(w http.ResponseWriter, r *http.Request, err error) {
	ae := s.apiErrorOf(r, err)
	title := "Bad request"
	switch {
	case ae.Status == http.StatusNotFound:
		title = "Not found"
	case ae.Status >= 500:
		title = "Something went wrong"
		if ae.Status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
	}
	s.renderMessage(w, r, ae.Status, title, ae.Message)
}

type loginPage struct {
	i18n
	Title, CSRF, Next, Name, Error string
	// FirstRun: no moderator account exists yet, and the page says how
	// to make the first.
	FirstRun bool
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, errText, next string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	l := pageI18n(r)
	s.render(w, status, "login", loginPage{i18n: l, Title: l.T("Sign in"), Next: safeNext(next), Error: l.T(errText), FirstRun: s.noAccounts(ctx)})
}

// safeNext keeps the page to return to after signing in on this site's
// moderation pages: never another host.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/moderation/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") ||
		strings.HasPrefix(next, "/moderation/items") {
		return "/moderation/"
	}
	return next
}

func (s *Server) handleLoginPage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		s.renderLogin(w, r, http.StatusOK, "", r.URL.Query().Get("next"))
	}
}

func (s *Server) handleLoginForm() http.Handler {
	return s.mod.origin.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if err := r.ParseForm(); err != nil {
			s.renderLogin(w, r, http.StatusBadRequest, "The form could not be read.", "")
			return
		}
		name, next := r.PostForm.Get("name"), r.PostForm.Get("next")
		if _, err := s.signIn(w, r, name, r.PostForm.Get("password")); err != nil {
			ae := s.apiErrorOf(r, err)
			if ae.Status == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", strconv.Itoa(ae.retryAfter))
			}
			l := pageI18n(r)
			s.render(w, ae.Status, "login", loginPage{i18n: l, Title: l.T("Sign in"), Next: safeNext(next), Name: name, Error: l.T(ae.Message), FirstRun: s.noAccounts(r.Context())})
			return
		}
		http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
	}))
}

func (s *Server) handleLogoutForm() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.signOut(w, r)
		http.Redirect(w, r, "/moderation/login", http.StatusSeeOther)
	}
}

// queueData builds the queue page or its list, from the query.
func (s *Server) queueData(r *http.Request) (modPage, error) {
	q, err := parseQueueQuery(r)
	if err != nil {
		return modPage{}, err
	}
	resp, err := s.queuePage(r.Context(), q)
	if err != nil {
		return modPage{}, err
	}
	l := pageI18n(r)
	title := l.T("Held comments")
	if q.queue == projections.QueueReported {
		title = l.T("Reported comments")
	}
	pg := s.modPage(r, fmt.Sprintf("%s (%d)", title, resp.Counts[q.queue]))
	pg.Page, pg.Queue, pg.Article, pg.Counts, pg.Next = string(q.queue), q.queue, q.article, counts(resp.Counts), resp.NextCursor
	if pg.Next != "" {
		v := url.Values{"queue": {string(q.queue)}, "cursor": {pg.Next}}
		if q.article != "" {
			v.Set("article", q.article)
		}
		pg.More = "/moderation/?" + v.Encode()
	}
	for _, it := range resp.Items {
		pg.Items = append(pg.Items, s.uiItem(r.Context(), it))
	}
	return pg, nil
}

func (s *Server) handleQueuePage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pg, err := s.queueData(r)
		if err != nil {
			s.renderFailure(w, r, err)
			return
		}
		s.render(w, http.StatusOK, "queue", pg)
	}
}

// handleQueueItems is the queue's list alone: the UI reloads it on every
// live update, so the list has one renderer (the template), not two.
func (s *Server) handleQueueItems() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pg, err := s.queueData(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.render(w, http.StatusOK, "items", pg)
	}
}

func (s *Server) handleAuthorPage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec, err := s.cfg.Views.AuthorRecord(r.Context(), events.CanonicalAuthorID(r.PathValue("author")), maxPageSize)
		if errors.Is(err, events.ErrNotFound) {
			s.renderMessage(w, r, http.StatusNotFound, "No such author", "No comment by this author is known.")
			return
		}
		if err != nil {
			s.renderFailure(w, r, err)
			return
		}
		pg := s.modPage(r, rec.Name)
		pg.Page = "author"
		pg.Record, pg.Counts = rec, counts(s.cfg.Views.QueueCounts(""))
		s.render(w, http.StatusOK, "author", pg)
	}
}

// counts keys queue counts by plain strings, for the templates.
func counts(c map[projections.Queue]int) map[string]int {
	out := make(map[string]int, len(c))
	for q, n := range c {
		out[string(q)] = n
	}
	return out
}

// handleAsset serves the UI's embedded script and style sheet. They are
// public: they hold no data.
func (s *Server) handleAsset() http.HandlerFunc {
	types := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		b, err := fs.ReadFile(modAssets, "assets/"+name)
		ct, known := types[path.Ext(name)]
		if err != nil || !known || strings.Contains(name, "/") {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", ct)
		h.Set("Cache-Control", "no-cache")
		w.Write(b)
	}
}

// First run. A fresh installation has no moderator account: at start the
// server makes a one-time setup link (FirstRun), which commentd logs; the
// link's page makes the first admin and signs them in, without curl. The
// link stops working once any account exists.

type firstRun struct {
	mu    sync.Mutex
	token string
}

// noAccounts reports whether the installation has no moderator account
// yet (false when it has, or when it cannot tell).
func (s *Server) noAccounts(ctx context.Context) bool {
	st := s.cfg.Moderation.Accounts
	if st == nil {
		return false
	}
	list, err := st.List(ctx)
	return err == nil && len(list) == 0
}

// FirstRun returns the path of a one-time setup link when no moderator
// account exists, and "" when one does (or sign-in is off).
func (s *Server) FirstRun(ctx context.Context) string {
	if !s.noAccounts(ctx) {
		return ""
	}
	s.setup.mu.Lock()
	defer s.setup.mu.Unlock()
	if s.setup.token == "" {
		b := make([]byte, 24)
		rand.Read(b)
		s.setup.token = hex.EncodeToString(b)
	}
	return "/moderation/setup?token=" + s.setup.token
}

func (s *Server) setupToken(got string) bool {
	s.setup.mu.Lock()
	defer s.setup.mu.Unlock()
	return s.setup.token != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.setup.token)) == 1
}

const setupGone = "This setup link is not valid: it was used, the server restarted (its log has the new one), or an account exists already. Sign in instead."

type setupPage struct {
	i18n
	Title, CSRF, Token, Name, Error string
	MinPassword                     int
}

func (s *Server) handleSetupPage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		token := r.URL.Query().Get("token")
		if !s.setupToken(token) || !s.noAccounts(r.Context()) {
			s.renderMessage(w, r, http.StatusNotFound, "No setup here", setupGone)
			return
		}
		l := pageI18n(r)
		s.render(w, http.StatusOK, "setup", setupPage{i18n: l, Title: l.T("Make the first admin"), Token: token, MinPassword: accounts.MinPasswordLen})
	}
}

func (s *Server) handleSetupForm() http.Handler {
	return s.mod.origin.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if err := r.ParseForm(); err != nil {
			s.renderMessage(w, r, http.StatusBadRequest, "Bad request", "The form could not be read.")
			return
		}
		token, name, password := r.PostForm.Get("token"), strings.ToLower(strings.TrimSpace(r.PostForm.Get("name"))), r.PostForm.Get("password")
		if !s.setupToken(token) || !s.noAccounts(r.Context()) {
			s.renderMessage(w, r, http.StatusNotFound, "No setup here", setupGone)
			return
		}
		again := func(status int, msg string) {
			l := pageI18n(r)
			s.render(w, status, "setup", setupPage{i18n: l, Title: l.T("Make the first admin"), Token: token, Name: name, Error: l.T(msg), MinPassword: accounts.MinPasswordLen})
		}
		if password != r.PostForm.Get("password2") {
			again(http.StatusBadRequest, "The two passwords differ.")
			return
		}
		if _, err := s.cfg.Moderation.Accounts.Add(r.Context(), name, password, accounts.Admin, "setup"); err != nil {
			ae := s.apiErrorOf(r, err)
			again(ae.Status, ae.Message)
			return
		}
		s.setup.mu.Lock()
		s.setup.token = ""
		s.setup.mu.Unlock()
		s.log.Info("first admin made through the setup link", "account", name)
		if _, err := s.signIn(w, r, name, password); err != nil {
			http.Redirect(w, r, "/moderation/login", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/moderation/", http.StatusSeeOther)
	}))
}

// handleLangForm is the language switch: it keeps the moderator's choice
// in a cookie and returns to the page. It changes nothing else, so it
// needs no session (the sign-in page has it too); the origin check keeps
// other sites from flipping it.
func (s *Server) handleLangForm() http.Handler {
	return s.mod.origin.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
		if err := r.ParseForm(); err != nil {
			s.renderMessage(w, r, http.StatusBadRequest, "Bad request", "The form could not be read.")
			return
		}
		lang := r.PostForm.Get("lang")
		if lang != "en" && lang != "ru" {
			s.renderMessage(w, r, http.StatusBadRequest, "Bad request", "The form could not be read.")
			return
		}
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/moderation/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: s.cfg.CookieSecure, SameSite: http.SameSiteLaxMode})
		next := r.PostForm.Get("next")
		if next == "/moderation/login" || strings.HasPrefix(next, "/moderation/login?") || strings.HasPrefix(next, "/moderation/setup?") {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
	}))
}
