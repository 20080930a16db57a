package web

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/newsroom/commentd/events"
	"github.com/newsroom/commentd/projections"
)

// The moderators' search: the Approved, Rejected and All screens and
// GET /api/moderation/comments. On one article it reads the article's
// history from the log (every comment it ever had; cost follows the
// article); otherwise it searches the comments most recently changed,
// which each api process keeps (projections.RecentComments, bounded by
// --search-window), and says how far back that reaches.

// CommentSearch finds comments among those recently changed.
type CommentSearch interface {
	Search(q projections.Search) projections.SearchPage
}

// maxSearchText bounds the words searched for.
const maxSearchText = 200

var errNoSearch = &apiError{Status: http.StatusServiceUnavailable, Code: "no_search", retryAfter: 5,
	Message: "this server keeps no comments to search; choose an article"}

type searchQuery struct {
	projections.Search
	status string // as asked: "all" for every status
}

// url is the screen's address for this search from cursor on.
func (q searchQuery) url(path string, cursor string) string {
	v := url.Values{}
	v.Set("status", q.status)
	for k, s := range map[string]string{"q": q.Text, "author": q.AuthorID, "article": q.Article, "cursor": cursor} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return path + "?" + v.Encode()
}

// complete reports whether the search reads the log, not the window: on
// one article.
func (q searchQuery) complete() bool {
	return q.Article != "" && !strings.HasSuffix(q.Article, "*")
}

func parseSearchQuery(r *http.Request) (searchQuery, error) {
	v := r.URL.Query()
	q := searchQuery{status: cmp.Or(v.Get("status"), "all")}
	switch st := projections.Status(q.status); st {
	case projections.Approved, projections.Rejected, projections.Held, projections.Pending:
		q.Status = st
	case "all":
	default:
		return q, badRequest("invalid_status", "status", "status is all, approved, rejected, held or pending")
	}
	q.Text = strings.TrimSpace(v.Get("q"))
	if len(q.Text) > maxSearchText {
		return q, badRequest("invalid_q", "q", fmt.Sprintf("q is at most %d bytes of words to find", maxSearchText))
	}
	if a := v.Get("author"); a != "" {
		q.AuthorID = events.CanonicalAuthorID(a)
	}
	q.Article = v.Get("article")
	if q.Article != "" {
		prefix, group := strings.CutSuffix(q.Article, "*")
		if group && prefix != "" && !events.ValidArticleID(prefix) || !group && !events.ValidArticleID(q.Article) {
			return q, badRequest("invalid_article", "article", "article is an article id, or the start of some followed by * (a section)")
		}
	}
	var err error
	q.Limit, q.Before, err = pageParams(v, defaultPageSize)
	return q, err
}

// searchResponse is GET /api/moderation/comments.
type searchResponse struct {
	Status     string                  `json:"status"`
	Items      []projections.QueueItem `json:"items"`
	NextCursor string                  `json:"next_cursor,omitempty"`
	// Complete: every comment the article ever had was searched.
	// Otherwise the Window comments changed most recently were, the
	// oldest of those changes at Since.
	Complete bool      `json:"complete"`
	Window   int       `json:"window,omitempty"`
	Since    time.Time `json:"since,omitzero"`
}

func (s *Server) search(ctx context.Context, q searchQuery) (searchResponse, error) {
	resp := searchResponse{Status: q.status, Items: []projections.QueueItem{}, Complete: q.complete()}
	var found []projections.Comment
	var next uint64
	if resp.Complete {
		var err error
		found, next, err = s.searchArticle(ctx, q)
		if err != nil {
			return resp, err
		}
	} else {
		if s.cfg.Search == nil {
			return resp, errNoSearch
		}
		page := s.cfg.Search.Search(q.Search)
		for _, c := range page.Comments {
			found = append(found, c.Comment)
		}
		next, resp.Window, resp.Since = page.Next, page.Window, page.Since
	}
	if next != 0 {
		resp.NextCursor = strconv.FormatUint(next, 36)
	}
	// With their reports and authors' records, as a queue shows them.
	items, err := s.cfg.Views.Items(ctx, found)
	if err != nil {
		return resp, err
	}
	resp.Items = append(resp.Items, items...)
	return resp, nil
}

// searchArticle is every comment of q's article that matches, newest
// submitted first, from the log; the cursor is a submission's sequence.
func (s *Server) searchArticle(ctx context.Context, q searchQuery) ([]projections.Comment, uint64, error) {
	all, _, err := s.articleAt(ctx, q.Article, time.Now())
	if err != nil {
		return nil, 0, err
	}
	slices.Reverse(all) // newest first
	var out []projections.Comment
	matches := q.Matcher()
	for _, c := range all {
		if q.Before != 0 && c.SubmittedSeq >= q.Before || !matches(c) {
			continue
		}
		if len(out) == q.Limit {
			return out, c.SubmittedSeq + 1, nil
		}
		out = append(out, c)
	}
	return out, 0, nil
}

func (s *Server) handleSearch() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q, err := parseSearchQuery(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		resp, err := s.search(r.Context(), q)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, resp)
	}
}

// searchPage is what the search screens show above the list.
type searchPage struct {
	searchQuery
	Status     string // as asked
	AuthorName string
	Complete   bool
	Window     int
	Since      time.Time
}

// statusLink is one of the screens' status links.
type statusLink struct {
	Status, Label, URL string
	Current            bool
}

// Link is the link to the same search with status st.
func (p *searchPage) Link(st, label string) statusLink {
	q := p.searchQuery
	q.status = st
	return statusLink{Status: st, Label: label, URL: q.url("/moderation/comments", ""), Current: st == p.status}
}

// WithoutAuthor is the same search for any author.
func (p *searchPage) WithoutAuthor() string {
	q := p.searchQuery
	q.AuthorID = ""
	return q.url("/moderation/comments", "")
}

func (s *Server) searchData(r *http.Request) (modPage, error) {
	q, err := parseSearchQuery(r)
	if err != nil {
		return modPage{}, err
	}
	resp, err := s.search(r.Context(), q)
	if err != nil {
		return modPage{}, err
	}
	pg := s.modPage(r, pageI18n(r).T("All comments"))
	pg.Page, pg.Article, pg.Counts = "comments", q.Article, counts(s.cfg.Views.QueueCounts(""))
	pg.Search = &searchPage{searchQuery: q, Status: q.status, Complete: resp.Complete, Window: resp.Window, Since: resp.Since}
	if q.AuthorID != "" {
		pg.Search.AuthorName = q.AuthorID
		if rec, err := s.cfg.Views.AuthorRecord(r.Context(), q.AuthorID, 0); err == nil {
			pg.Search.AuthorName = rec.Name
		}
	}
	if resp.NextCursor != "" {
		pg.More = q.url("/moderation/comments", resp.NextCursor)
	}
	for _, it := range resp.Items {
		pg.Items = append(pg.Items, s.uiItem(r.Context(), it))
	}
	return pg, nil
}

func (s *Server) handleSearchPage() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pg, err := s.searchData(r)
		if err != nil {
			e := s.apiErrorOf(r, err)
			s.renderMessage(w, r, e.Status, "Bad request", e.Message)
			return
		}
		s.render(w, http.StatusOK, "comments", pg)
	}
}

// handleSearchItems is the found list alone, which the screen reloads on
// live updates as a queue does.
func (s *Server) handleSearchItems() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pg, err := s.searchData(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.render(w, http.StatusOK, "items", pg)
	}
}
